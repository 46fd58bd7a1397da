"""The Merkle log over the events: append, checkpoints, proofs.

Each event's leaf hash is appended to an RFC 9162 tree whose complete subtrees are stored, so an
append costs O(log n) writes amortised and the root of any past size or any proof O(log n)
reads. After each group commit the log signs one checkpoint (C2SP tlog-checkpoint) in the same
transaction, so an acknowledged event is always covered by a durable signed checkpoint.
"""

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select, tuple_

from hanano.clock import Clock, isoformat
from hanano.errors import invalid, not_found
from hanano.evidence import merkle_store, note
from hanano.evidence.keys import LogKey
from hanano.evidence.tables import checkpoints, merkle_nodes
from hanano.store import schema
from hanano.store.prepared import Prepared, insert_all
from hanano.store.records import RecordedEvent, read_events

_NODE = Prepared(
    select(merkle_nodes.c.hash).where(
        merkle_nodes.c.level == bindparam("level"), merkle_nodes.c.idx == bindparam("idx")
    )
)
_INSERT_NODE = insert_all(merkle_nodes)
_INSERT_CHECKPOINT = insert_all(checkpoints)
_TREE_SIZE = Prepared(select(func.coalesce(func.max(checkpoints.c.size), 0)))


class LogIntegrityError(Exception):
    """The stored events and the log disagree: the server will not sign over them."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """The origin, size and root of a checkpoint body (the note's text)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise ValueError("a checkpoint has an origin, a size and a root, each on its own line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise ValueError(f"bad tree size {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError as exc:
        raise ValueError("root is not base64") from exc
    if len(root) != 32:
        raise ValueError("root is not 32 bytes")
    return Checkpoint(origin, int(size_text), root)


class NodeReader:
    """Reads stored subtree hashes: this group's new nodes first, then nodes known committed,
    then the database."""

    def __init__(
        self,
        conn: Connection,
        pending: dict[tuple[int, int], bytes] | None = None,
        committed: dict[tuple[int, int], bytes] | None = None,
    ):
        self.conn = conn
        self.pending = pending if pending is not None else {}
        self.committed = committed if committed is not None else {}

    def __call__(self, level: int, index: int) -> bytes:
        found = self.pending.get((level, index)) or self.committed.get((level, index))
        if found is not None:
            return found
        row = _NODE.run(self.conn, {"level": level, "idx": index}).first()
        if row is None:
            raise LookupError(f"subtree ({level}, {index}) is not stored")
        return bytes(row.hash)

    def prefetch(self, keys: Sequence[tuple[int, int]]) -> None:
        """Load many nodes in one query (a proof needs O(log n) of them)."""
        wanted = [k for k in keys if k not in self.pending]
        if not wanted:
            return
        rows = self.conn.execute(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
                tuple_(merkle_nodes.c.level, merkle_nodes.c.idx).in_(wanted)
            )
        )
        for row in rows:
            self.pending[(row.level, row.idx)] = bytes(row.hash)


class EvidenceLog:
    """Appends each committed group's leaves and signs one checkpoint for the group."""

    def __init__(self, key: LogKey, origin: str, clock: Clock) -> None:
        self.key = key
        self.origin = origin
        self.clock = clock
        # The right edge of the tree, which the next append and root read: a stored subtree
        # never changes, so nodes known committed spare the writer a query each (on PostgreSQL
        # a round trip each). Only a durable group's nodes enter it (see committed()).
        self._frontier: dict[tuple[int, int], bytes] = {}
        self._pending: tuple[int, dict[tuple[int, int], bytes]] | None = None

    def extend(self, conn: Connection, events: list[RecordedEvent]) -> Checkpoint | None:
        """Called by the sequencer inside the group's transaction, after its commands."""
        self._pending = None
        if not events:
            return None
        signed = int(_TREE_SIZE.run(conn).scalar() or 0)
        if events[0].seq != signed + 1:
            # Every event the server writes is signed in its own group, so a gap means rows
            # were put into `events` behind its back; signing now would vouch for them.
            raise LogIntegrityError(
                unsigned_message(signed + 1, events[0].seq - 1)
                if events[0].seq > signed + 1
                else f"event {events[0].seq} follows no signed checkpoint of size {signed}: the "
                "log was changed outside hanano (run `hanano log verify`)"
            )
        pending: dict[tuple[int, int], bytes] = {}
        reader = NodeReader(conn, pending, self._frontier)
        rows = []
        for event in events:
            nodes = merkle_store.append_nodes(event.seq - 1, event.leaf_hash, reader)
            for level, index, digest in nodes:
                pending[(level, index)] = digest
                rows.append({"level": level, "idx": index, "hash": digest})
        _INSERT_NODE.run_many(conn, rows)
        size = events[-1].seq
        checkpoint = Checkpoint(self.origin, size, merkle_store.root_from_nodes(size, reader))
        _INSERT_CHECKPOINT.run(
            conn,
            {
                "size": size,
                "root": checkpoint.root,
                "note": note.sign(checkpoint.body(), self.key.signer),
                "created_at": isoformat(self.clock.now()),
            },
        )
        self._pending = (size, pending)
        return checkpoint

    def committed(self, events: list[RecordedEvent]) -> None:
        """Called by the sequencer once a group is durable: its nodes join the frontier. A group
        that failed never reaches here, so its nodes are never trusted."""
        if self._pending is None or not events or self._pending[0] != events[-1].seq:
            return
        self._frontier.update(self._pending[1])
        self._pending = None
        # Keep only the two rightmost nodes of each level: all an append or a root reads.
        newest: dict[int, int] = {}
        for level, index in self._frontier:
            newest[level] = max(index, newest.get(level, index))
        for key in [k for k in self._frontier if k[1] < newest[k[0]] - 1]:
            del self._frontier[key]


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(checkpoints.c.size), 0))).scalar_one())


def latest_checkpoint(conn: Connection) -> str:
    row = conn.execute(
        select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
    ).first()
    if row is None:
        raise not_found("checkpoint (the log is empty)")
    return str(row.note)


def checkpoint_at(conn: Connection, size: int) -> str:
    row = conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).first()
    if row is None:
        raise not_found(f"checkpoint of size {size}")
    return str(row.note)


def root_at(conn: Connection, size: int) -> bytes:
    _check_size(conn, size, "size")
    return merkle_store.root_from_nodes(size, NodeReader(conn))


def inclusion(conn: Connection, index: int, size: int) -> list[bytes]:
    _check_size(conn, size, "size")
    if not 0 <= index < size:
        raise invalid("index", f"must be in [0, {size})")
    return merkle_store.inclusion_proof_from_nodes(index, size, NodeReader(conn))


def consistency(conn: Connection, size1: int, size2: int) -> list[bytes]:
    _check_size(conn, size2, "to")
    if not 0 < size1 <= size2:
        raise invalid("from", f"must be in [1, {size2}]")
    return merkle_store.consistency_proof_from_nodes(size1, size2, NodeReader(conn))


def _check_size(conn: Connection, size: int, field: str) -> None:
    current = tree_size(conn)
    if not 0 < size <= current:
        raise invalid(field, f"must be in [1, {current}] (the log's size)")


def nodes_cover(conn: Connection) -> int:
    """How many leaves the stored subtree hashes reach: node (L, i) covers up to (i+1) * 2^L."""
    top = conn.execute(select(func.max(merkle_nodes.c.level))).scalar()
    reach = 0
    for level in range(-1 if top is None else int(top), -1, -1):
        last = conn.execute(
            select(func.max(merkle_nodes.c.idx)).where(merkle_nodes.c.level == level)
        ).scalar()
        if last is not None:
            reach = max(reach, (int(last) + 1) << level)
    return reach


def last_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(schema.events.c.seq), 0))).scalar_one())


def unsigned_message(first: int, last: int) -> str:
    which = f"event {first} is" if first == last else f"events {first} to {last} are"
    return (
        f"{which} in the store but no signed checkpoint covers them: they were written outside "
        "hanano, and the server will not sign them (run `hanano log verify`)"
    )


def catch_up(conn: Connection, log: EvidenceLog, *, log_begins: bool, batch: int = 5000) -> int:
    """Check that the log covers exactly the stored events before the server writes on.

    Events no signed checkpoint covers are signed only when `log_begins` (a store from before
    the evidence log, opened with a key made just now); anywhere else they were written behind
    the server's back, and so is a log that reaches past the last stored event (truncation).
    Either raises LogIntegrityError.
    """
    covered = tree_size(conn)
    stored = last_seq(conn)
    reach = nodes_cover(conn)
    if max(covered, reach) > stored:
        raise LogIntegrityError(
            f"the log was truncated: its checkpoints or subtree hashes cover "
            f"{max(covered, reach)} events but the store holds events only up to {stored}; "
            "the server will not write on it (run `hanano log verify`)"
        )
    if reach < covered:
        raise LogIntegrityError(
            f"the log's subtree hashes reach event {reach} but its checkpoints cover {covered}: "
            "they were deleted; the server will not write on it (run `hanano log verify`)"
        )
    if stored > covered and not log_begins:
        raise LogIntegrityError(unsigned_message(covered + 1, stored))
    appended = 0
    while True:
        pending = list(read_events(conn, after=covered, limit=batch))
        if not pending:
            return appended
        log.extend(conn, pending)
        covered = pending[-1].seq
        appended += len(pending)
