"""`hanano log verify`: recompute the log from the stored events and check every checkpoint.

Every leaf is recomputed from the event's stored bytes and every checkpoint's root from those
leaves; each checkpoint's signature is checked with the log's verifier key. As every checkpoint
root is recomputed from one sequence of leaves, consecutive checkpoints that all match are
consistent with each other (each tree is a prefix of the next). Beyond the leaves, the columns
that copy a leaf (seq, time, actor, type, version) must equal it, and sealed plaintext must
match its commitment (see `audit_checks`). Each problem found is a named verdict.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select

from hanano.evidence import merkle, note
from hanano.evidence.audit_checks import ColumnCheck, SealedCheck, by_event, column_differences
from hanano.evidence.log import nodes_cover, parse_checkpoint
from hanano.evidence.tables import checkpoint_timestamps, checkpoints, cosignatures, merkle_nodes
from hanano.store import schema
from hanano.store.prepared import Prepared

# The verdicts, by name.
ALTERED = "altered"  # an event's bytes no longer hash to the leaf the tree logged for it
COLUMN_MISMATCH = "column_mismatch"  # a column that copies the leaf says something else
SEALED_MISMATCH = "sealed_mismatch"  # sealed plaintext or salt that its commitment denies
REMOVED = "removed"  # a gap in the sequence of events
DUPLICATED = "duplicated"
REORDERED = "reordered"  # an event's entry names another place in the log
SUBTREE_MISSING = "subtree_missing"  # the tree's own copy of a signed leaf is gone
UNSIGNED = "unsigned"  # events that no signed checkpoint covers
TRUNCATED = "truncated"  # the log reaches past the last stored event
BAD_SIGNATURE = "bad_signature"
CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # a checkpoint whose root the events do not give
KEY_MISMATCH = "key_mismatch"  # the store records another key than the one checked against
BAD_COSIGNATURE = "bad_cosignature"
BAD_TIMESTAMP = "bad_timestamp"
UNCHECKED_TIMESTAMPS = "unchecked_timestamps"
# The order verdicts are listed in: what breaks the signed tree first, then the copies beside it.
_ORDER = (
    BAD_SIGNATURE,
    KEY_MISMATCH,
    ALTERED,
    REORDERED,
    REMOVED,
    DUPLICATED,
    TRUNCATED,
    CHECKPOINT_MISMATCH,
    UNSIGNED,
    SUBTREE_MISSING,
    COLUMN_MISMATCH,
    SEALED_MISMATCH,
    BAD_COSIGNATURE,
    BAD_TIMESTAMP,
    UNCHECKED_TIMESTAMPS,
)

_sha256 = hashlib.sha256
_events = schema.events
_sealed = schema.sealed_fields
# Each event with the leaf the tree logged for it, in one pass: a rewrite of an event and its
# stored leaf hash together is still named, by the tree's own copy of the leaf.
_EVENTS_WITH_LOGGED_LEAF = Prepared(
    select(
        _events.c.seq,
        _events.c.canonical,
        _events.c.leaf_hash,
        merkle_nodes.c.hash,
        _events.c.time,
        _events.c.actor,
        _events.c.type,
        _events.c.version,
    )
    .select_from(
        _events.outerjoin(
            merkle_nodes, and_(merkle_nodes.c.level == 0, merkle_nodes.c.idx == _events.c.seq - 1)
        )
    )
    .where(_events.c.seq > bindparam("after"))
    .order_by(_events.c.seq)
    .limit(bindparam("batch"))
)
_SEALED_BETWEEN = Prepared(
    select(_sealed.c.seq, _sealed.c.field, _sealed.c.salt, _sealed.c.value).where(
        _sealed.c.seq.between(bindparam("first"), bindparam("last"))
    )
)


@dataclass(frozen=True)
class Verdict:
    kind: str
    message: str


@dataclass
class AuditReport:
    events: int = 0
    checkpoints: int = 0
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.verdicts

    @property
    def problems(self) -> list[str]:
        return [v.message for v in self.verdicts]

    def add(self, kind: str, message: str) -> None:
        self.verdicts.append(Verdict(kind, message))

    def sort(self) -> None:
        """Most fundamental first; within a kind, in the order found (the log's order)."""
        self.verdicts.sort(key=lambda v: _ORDER.index(v.kind))


class _Frontier:
    """The roots of the perfect subtrees of the leaves seen so far: enough for any prefix root."""

    def __init__(self) -> None:
        # One hash per set bit of size, largest subtree first; the bits say where each one ends.
        self.stack: list[bytes] = []
        self.size = 0

    def push(self, leaf: bytes) -> None:
        # Every low 1-bit of the old size is a complete subtree the new leaf now pairs with.
        # The hashes are known to be 32 bytes, so they are combined without node_hash's checks:
        # this runs once per event of the whole log.
        node, bits, stack = leaf, self.size, self.stack
        while bits & 1:
            node = _sha256(b"\x01" + stack.pop() + node).digest()
            bits >>= 1
        stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        node = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            node = merkle.node_hash(left, node)
        return node


class _Checkpoints:
    """The stored checkpoints in size order, each compared with the tree when it reaches its size.

    `size` is that of the next one due (-1 when none is left): the loop compares it with the
    tree's size once per event, so it is kept as a plain int.
    """

    def __init__(self, marks: Sequence[Any]) -> None:
        self._pending = iter(marks)
        self.mark: Any = None
        self.size = -1
        self.last_good = 0
        self._advance()

    def _advance(self) -> None:
        self.mark = next(self._pending, None)
        self.size = self.mark.size if self.mark is not None else -1

    def reached(self, frontier: _Frontier, report: AuditReport) -> None:
        while self.mark is not None and self.mark.size == frontier.size:
            if frontier.root() != bytes(self.mark.root):
                report.add(
                    CHECKPOINT_MISMATCH,
                    f"checkpoint {self.mark.size} does not match the events: an event after "
                    f"{self.last_good} and at most {self.mark.size} was altered, removed, "
                    "inserted or reordered",
                )
            else:
                self.last_good = self.mark.size
            self._advance()

    def never_reached(self) -> list[Any]:
        left = [] if self.mark is None else [self.mark]
        return left + list(self._pending)


def _entry_seq(canonical: bytes) -> int | None:
    # Keys are sorted, so the top-level "seq" is the last one: it follows the event's data, and
    # a quote inside a JSON string is always escaped.
    at = canonical.rfind(b',"seq":')
    if at < 0:
        return None
    end = canonical.find(b",", at + 7)
    try:
        return int(canonical[at + 7 : end])
    except ValueError:
        return None


def verify_log(
    conn: Connection,
    verifier_key: str,
    progress: Callable[[int], None] | None = None,
    batch: int = 20_000,
) -> AuditReport:
    """Check every event, leaf and checkpoint of the store's log; reads only."""
    report = AuditReport()
    marks = conn.execute(
        select(checkpoints.c.size, checkpoints.c.root, checkpoints.c.note).order_by(
            checkpoints.c.size
        )
    ).all()
    report.checkpoints = len(marks)
    _check_signatures(marks, verifier_key, report)
    walk = _Walk(marks, report)
    after = 0
    while True:
        # Straight from the driver: building a row object per event cost more than checking it.
        rows = _EVENTS_WITH_LOGGED_LEAF.tuples(conn, {"after": after, "batch": batch})
        if not rows:
            break
        sealed = _SEALED_BETWEEN.tuples(conn, {"first": rows[0][0], "last": rows[-1][0]})
        walk.batch(rows, by_event(sealed))
        report.events += len(rows)
        after = rows[-1][0]
        if progress is not None:
            progress(report.events)
    walk.finish(conn)
    report.sort()
    return report


class _Walk:
    """One pass over the events in order, with what it has seen so far."""

    def __init__(self, marks: Sequence[Any], report: AuditReport) -> None:
        self.report = report
        self.signed = marks[-1].size if marks else 0
        self.due = _Checkpoints(marks)
        self.frontier = _Frontier()
        self.columns = ColumnCheck()
        self.sealed = SealedCheck()
        self.watch = self.sealed.watch
        self.expected = 1

    def batch(self, rows: Sequence[Any], sealed: dict[int, dict[str, tuple[Any, Any]]]) -> None:
        # The hot loop of verify: names bound locally, rare cases handed to methods.
        report, frontier, due, signed = self.report, self.frontier, self.due, self.signed
        push, known, parts_for = frontier.push, self.columns.known, self.columns.parts
        watch, expected = self.watch, self.expected
        for seq, stored_bytes, stored_leaf, logged_leaf, time, actor, etype, version in rows:
            canonical = stored_bytes if type(stored_bytes) is bytes else _as_bytes(stored_bytes)
            if seq != expected:
                what = REMOVED if seq > expected else DUPLICATED
                report.add(what, f"event {expected} {what}: the next stored event is {seq}")
            leaf = _sha256(b"\x00" + canonical).digest()
            claimed = _entry_seq(canonical)
            if claimed != seq:
                report.add(
                    REORDERED, f"event {seq} reordered: its entry says it is event {claimed}"
                )
            elif (leaf != stored_leaf and leaf != _as_bytes(stored_leaf)) or (
                logged_leaf is not None and leaf != logged_leaf and leaf != _as_bytes(logged_leaf)
            ):
                report.add(
                    ALTERED, f"event {seq} altered: its bytes no longer hash to its logged leaf"
                )
            elif logged_leaf is None and seq <= signed:
                report.add(
                    SUBTREE_MISSING,
                    f"event {seq}: the log's own copy of its leaf (a stored subtree hash) is gone",
                )
            else:
                # The columns copy the leaf (see ColumnCheck; inline, as this runs per event).
                parts = known.get((actor, etype, version)) or parts_for(actor, etype, version)
                if (
                    parts is None
                    or type(time) is not str
                    or '"' in time
                    or "\\" in time
                    or not canonical.endswith(
                        b',"seq":%d,"time":"%b%b' % (seq, time.encode(), parts[1])
                    )
                    or not canonical.startswith(parts[0])
                ):
                    self.columns_differ(canonical, seq, time, actor, etype, version)
                fields = sealed.get(seq)
                if fields is not None or etype in watch:
                    self.sealed_differ(seq, canonical, fields or {})
            push(leaf)
            expected = seq + 1
            if frontier.size == due.size:
                due.reached(frontier, report)
        self.expected = expected

    def columns_differ(
        self,
        canonical: bytes,
        seq: int,
        time: object,
        actor: object,
        etype: object,
        version: object,
    ) -> None:
        for difference in column_differences(canonical, seq, time, actor, etype, version):
            self.report.add(COLUMN_MISMATCH, difference)

    def sealed_differ(self, seq: int, canonical: bytes, fields: dict[str, tuple[Any, Any]]) -> None:
        for problem in self.sealed.check(seq, canonical, fields):
            self.report.add(SEALED_MISMATCH, problem)

    def finish(self, conn: Connection) -> None:
        report, last = self.report, self.expected - 1
        for mark in self.due.never_reached():
            if mark.size <= last:
                report.add(
                    CHECKPOINT_MISMATCH,
                    f"checkpoint {mark.size} does not match the events: events before it are "
                    "missing",
                )
        _check_reach(conn, last, report)
        if last > self.signed:
            first = self.signed + 1
            report.add(
                UNSIGNED,
                f"event {first} inserted: no signed checkpoint covers it"
                if first == last
                else f"events {first} to {last} inserted: no signed checkpoint covers them",
            )
        for problem in self.sealed.unrecorded_erasures():
            report.add(SEALED_MISMATCH, problem)


def _check_reach(conn: Connection, last: int, report: AuditReport) -> None:
    """Truncation: anything of the log that reaches past the last stored event."""
    reaches = [
        ("a signed checkpoint covers", conn.execute(select(func.max(checkpoints.c.size))).scalar()),
        ("the stored subtree hashes cover", nodes_cover(conn)),
        (
            "a witness cosignature covers",
            conn.execute(select(func.max(cosignatures.c.size))).scalar(),
        ),
        (
            "an RFC 3161 timestamp covers",
            conn.execute(select(func.max(checkpoint_timestamps.c.size))).scalar(),
        ),
    ]
    for what, size in reaches:
        if size is not None and int(size) > last:
            report.add(
                TRUNCATED,
                f"the log was truncated: {what} {size} events but the store's last event is {last}",
            )


def _as_bytes(value: object) -> bytes:
    # A value rewritten by hand may come back as text rather than a blob.
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b""


def _check_signatures(marks: Sequence[Any], verifier_key: str, report: AuditReport) -> None:
    for mark in marks:
        if not note.verify(mark.note, verifier_key):
            report.add(
                BAD_SIGNATURE, f"checkpoint {mark.size}: signature does not verify with the log key"
            )
            continue
        body = mark.note.split("\n\n", 1)[0] + "\n"
        checkpoint = parse_checkpoint(body)
        if checkpoint.size != mark.size or checkpoint.root != bytes(mark.root):
            report.add(
                CHECKPOINT_MISMATCH,
                f"checkpoint {mark.size}: stored size or root differ from the signed one",
            )
