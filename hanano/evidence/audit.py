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

from sqlalchemy import Connection, select

from hanano.evidence import merkle, note
from hanano.evidence.log import parse_checkpoint
from hanano.evidence.tables import checkpoints, merkle_nodes
from hanano.store import schema


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
        self.stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing
        self.size = 0

    def push(self, leaf: bytes) -> None:
        height, node = 0, leaf
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            node = merkle.node_hash(left, node)
            height += 1
        self.stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return merkle.root_hash([])
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = merkle.node_hash(left, node)
        return node


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
    pending = iter(marks)
    mark = next(pending, None)
    frontier = _Frontier()
    expected = 1
    last_good = 0
    first_bad_event: int | None = None
    after = 0
    while True:
        rows = conn.execute(
            select(schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash)
            .where(schema.events.c.seq > after)
            .order_by(schema.events.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        originals = _original_leaves(conn, rows[0].seq - 1, rows[-1].seq - 1)
        for seq, stored_bytes, stored_leaf in rows:
            canonical = _as_bytes(stored_bytes)
            if seq != expected:
                what = "removed" if seq > expected else "duplicated"
                _first(report, f"event {expected} {what}: the next stored event is {seq}")
                first_bad_event = first_bad_event or expected
                expected = seq
            leaf = hashlib.sha256(b"\x00" + canonical).digest()
            claimed = _entry_seq(canonical)
            if claimed != seq:
                _first(report, f"event {seq} reordered: its entry says it is event {claimed}")
                first_bad_event = first_bad_event or seq
            elif leaf != _as_bytes(stored_leaf) or leaf != originals.get(seq - 1, leaf):
                _first(report, f"event {seq} altered: its bytes no longer hash to its logged leaf")
                first_bad_event = first_bad_event or seq
            frontier.push(leaf)
            expected = seq + 1
            report.events += 1
            while mark is not None and mark.size == frontier.size:
                if frontier.root() != bytes(mark.root):
                    _first(
                        report,
                        f"checkpoint {mark.size} does not match the events: an event after "
                        f"{last_good} and at most {mark.size} was altered, removed, inserted "
                        "or reordered",
                    )
                else:
                    last_good = mark.size
                mark = next(pending, None)
        after = rows[-1].seq
        if progress is not None:
            progress(report.events)
    if mark is not None:
        _first(
            report,
            f"checkpoint {mark.size} covers events that are missing (log has {frontier.size})",
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


def _original_leaves(conn: Connection, first: int, last: int) -> dict[int, bytes]:
    rows = conn.execute(
        select(merkle_nodes.c.idx, merkle_nodes.c.hash).where(
            merkle_nodes.c.level == 0, merkle_nodes.c.idx.between(first, last)
        )
    )
    return {int(r.idx): bytes(r.hash) for r in rows}


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
