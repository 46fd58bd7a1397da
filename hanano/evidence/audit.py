"""`hanano log verify`: recompute the log from the stored events and check every checkpoint.

Every leaf is recomputed from the event's stored bytes and every checkpoint's root from those
leaves; each checkpoint's signature is checked with the log's verifier key. As every checkpoint
root is recomputed from one sequence of leaves, consecutive checkpoints that all match are
consistent with each other (each tree is a prefix of the next). The report names the first
event found altered, removed, inserted or reordered.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from hanano.evidence import merkle, note
from hanano.evidence.log import parse_checkpoint
from hanano.evidence.tables import checkpoints, merkle_nodes
from hanano.store import schema

_sha256 = hashlib.sha256
_events = schema.events
# Each event with the leaf the tree logged for it, in one pass: a rewrite of an event and its
# stored leaf hash together is still named, by the tree's own copy of the leaf.
_EVENTS_WITH_LOGGED_LEAF = (
    select(_events.c.seq, _events.c.canonical, _events.c.leaf_hash, merkle_nodes.c.hash)
    .select_from(
        _events.outerjoin(
            merkle_nodes, and_(merkle_nodes.c.level == 0, merkle_nodes.c.idx == _events.c.seq - 1)
        )
    )
    .where(_events.c.seq > bindparam("after"))
    .order_by(_events.c.seq)
    .limit(bindparam("batch"))
)


@dataclass
class AuditReport:
    events: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
                _first(
                    report,
                    f"checkpoint {self.mark.size} does not match the events: an event after "
                    f"{self.last_good} and at most {self.mark.size} was altered, removed, "
                    "inserted or reordered",
                )
            else:
                self.last_good = self.mark.size
            self._advance()


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
    report = AuditReport()
    marks = conn.execute(
        select(checkpoints.c.size, checkpoints.c.root, checkpoints.c.note).order_by(
            checkpoints.c.size
        )
    ).all()
    report.checkpoints = len(marks)
    _check_signatures(marks, verifier_key, report)
    due = _Checkpoints(marks)
    frontier = _Frontier()
    push = frontier.push
    expected = 1
    after = 0
    while True:
        rows = conn.execute(_EVENTS_WITH_LOGGED_LEAF, {"after": after, "batch": batch}).all()
        if not rows:
            break
        for seq, stored_bytes, stored_leaf, logged_leaf in rows:
            canonical = stored_bytes if type(stored_bytes) is bytes else _as_bytes(stored_bytes)
            if seq != expected:
                what = "removed" if seq > expected else "duplicated"
                _first(report, f"event {expected} {what}: the next stored event is {seq}")
                expected = seq
            leaf = _sha256(b"\x00" + canonical).digest()
            claimed = _entry_seq(canonical)
            if claimed != seq:
                _first(report, f"event {seq} reordered: its entry says it is event {claimed}")
            elif (leaf != stored_leaf and leaf != _as_bytes(stored_leaf)) or (
                logged_leaf is not None and leaf != logged_leaf and leaf != _as_bytes(logged_leaf)
            ):
                _first(report, f"event {seq} altered: its bytes no longer hash to its logged leaf")
            push(leaf)
            expected = seq + 1
            if frontier.size == due.size:
                due.reached(frontier, report)
        report.events += len(rows)
        after = rows[-1][0]
        if progress is not None:
            progress(report.events)
    if due.mark is not None:
        _first(
            report,
            f"checkpoint {due.size} covers events that are missing (log has {frontier.size})",
        )
    covered = marks[-1].size if marks else 0
    if frontier.size > covered:
        _first(report, f"event {covered + 1} inserted: no signed checkpoint covers it")
    return report


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
            _first(report, f"checkpoint {mark.size}: signature does not verify with the log key")
            continue
        body = mark.note.split("\n\n", 1)[0] + "\n"
        checkpoint = parse_checkpoint(body)
        if checkpoint.size != mark.size or checkpoint.root != bytes(mark.root):
            _first(
                report, f"checkpoint {mark.size}: stored size or root differ from the signed one"
            )


def _first(report: AuditReport, problem: str) -> None:
    report.problems.append(problem)
