"""Events as they stand in the store, and reading them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from hanano.store import schema


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


def read_events(
    conn: Connection, *, after: int = 0, limit: int | None = None, batch: int = 2000
) -> Iterator[RecordedEvent]:
    """Events in log order with sealed plaintext merged back in (erased fields become None)."""
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        rows = conn.execute(
            select(schema.events)
            .where(schema.events.c.seq > after)
            .order_by(schema.events.c.seq)
            .limit(size)
        ).all()
        if not rows:
            return
        first, last = rows[0].seq, rows[-1].seq
        sealed: dict[int, dict[str, Any]] = {}
        for row in conn.execute(
            select(schema.sealed_fields).where(schema.sealed_fields.c.seq.between(first, last))
        ):
            value = None if row.value is None else json.loads(row.value)
            sealed.setdefault(row.seq, {})[row.field] = value
        for row in rows:
            document = json.loads(row.canonical)
            data = document["data"]
            data.update(sealed.get(row.seq, {}))
            yield RecordedEvent(
                seq=row.seq,
                time=row.time,
                actor=row.actor,
                type=row.type,
                version=row.version,
                data=data,
                canonical=bytes(row.canonical),
                leaf_hash=bytes(row.leaf_hash),
            )
        after = last
        if remaining is not None:
            remaining -= len(rows)


def read_entries(conn: Connection, after: int, limit: int) -> list[tuple[int, bytes, bytes]]:
    """Log entries as hashed: (seq, canonical bytes, leaf hash), in log order."""
    rows = conn.execute(
        select(schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash)
        .where(schema.events.c.seq > after)
        .order_by(schema.events.c.seq)
        .limit(limit)
    ).all()
    return [(r.seq, bytes(r.canonical), bytes(r.leaf_hash)) for r in rows]
