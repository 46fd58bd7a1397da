"""Events as they stand in the store, and reading them back.

An event is read from its canonical bytes (the log's leaf) alone: seq, time, actor, type, version
and data all come from there. The `time`, `actor`, `type` and `version` columns of `events` are
copies for queries; an edit to them changes nothing that is replayed, and `hanano log verify`
names it. Sealed plaintext is merged back only if it matches the leaf's commitment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from hanano.store import schema
from hanano.store.log import loads
from hanano.store.sealed import SealedMismatch, committed_without_row, open_sealed

_EVENT_ROWS = select(
    schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash
).order_by(schema.events.c.seq)
_sealed = schema.sealed_fields


@dataclass(frozen=True)
class RecordedEvent:
    """An event at its place in the log, with its sensitive fields in plaintext where kept."""

    seq: int
    time: str
    actor: str
    type: str
    version: int
    data: dict[str, Any]
    canonical: bytes
    leaf_hash: bytes


class LogTampered(Exception):
    """A stored event contradicts its own leaf: it was changed outside hanano."""

    def __init__(self, seq: int, what: str) -> None:
        super().__init__(
            f"event {seq}: {what}; the store was changed outside hanano "
            "(run `hanano log verify` for the full account)"
        )
        self.seq = seq


def read_events(
    conn: Connection, *, after: int = 0, limit: int | None = None, batch: int = 2000
) -> Iterator[RecordedEvent]:
    """Events in log order, read from their leaves, with sealed plaintext checked and merged back
    in (erased fields become None). Raises LogTampered at the first event that does not hold."""
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        rows = conn.execute(_EVENT_ROWS.where(schema.events.c.seq > after).limit(size)).all()
        if not rows:
            return
        sealed = _sealed_rows(conn, rows[0].seq, rows[-1].seq)
        for row in rows:
            yield _from_leaf(row.seq, bytes(row.canonical), bytes(row.leaf_hash), sealed)
        after = rows[-1].seq
        if remaining is not None:
            remaining -= len(rows)


def _sealed_rows(conn: Connection, first: int, last: int) -> dict[int, dict[str, tuple[Any, Any]]]:
    found: dict[int, dict[str, tuple[Any, Any]]] = {}
    query = select(_sealed.c.seq, _sealed.c.field, _sealed.c.salt, _sealed.c.value).where(
        _sealed.c.seq.between(first, last)
    )
    for seq, name, salt, value in conn.execute(query).all():
        found.setdefault(seq, {})[name] = (salt, value)
    return found


def _from_leaf(
    seq: int, canonical: bytes, leaf: bytes, sealed: dict[int, dict[str, tuple[Any, Any]]]
) -> RecordedEvent:
    if hashlib.sha256(b"\x00" + canonical).digest() != leaf:
        raise LogTampered(seq, "its bytes no longer hash to its leaf")
    try:
        document = loads(canonical)
        entry = (document["seq"], document["time"], document["actor"], document["type"])
        version, data = document["v"], document["data"]
    except (ValueError, KeyError, TypeError):
        raise LogTampered(seq, "its bytes are not a log entry") from None
    if entry[0] != seq:
        raise LogTampered(seq, f"its entry says it is event {entry[0]}")
    fields = sealed.get(seq, {})
    for name, (salt, value) in fields.items():
        try:
            data[name] = open_sealed(data.get(name), salt, value)
        except SealedMismatch as exc:
            raise LogTampered(seq, f"sealed field {name!r}: {exc}") from None
    missing = committed_without_row(entry[3], data, fields)
    if missing:
        raise LogTampered(seq, f"sealed field {missing[0]!r}: its plaintext row is gone")
    return RecordedEvent(
        seq=seq,
        time=entry[1],
        actor=entry[2],
        type=entry[3],
        version=version,
        data=data,
        canonical=canonical,
        leaf_hash=leaf,
    )


def read_entries(conn: Connection, after: int, limit: int) -> list[tuple[int, bytes, bytes]]:
    """Log entries as hashed: (seq, canonical bytes, leaf hash), in log order."""
    rows = conn.execute(
        select(schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash)
        .where(schema.events.c.seq > after)
        .order_by(schema.events.c.seq)
        .limit(limit)
    ).all()
    return [(r.seq, bytes(r.canonical), bytes(r.leaf_hash)) for r in rows]
