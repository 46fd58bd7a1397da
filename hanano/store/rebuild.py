"""Rebuild every projection from the log, and compare projections for equality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, select

from hanano.store import lease, schema
from hanano.store.records import read_events
from hanano.store.registry import Registry
from hanano.store.replay import replay


def rebuild(
    engine: Engine, registry: Registry, progress: Callable[[int], None] | None = None
) -> int:
    """Clear the projections and replay all events into them in one transaction.

    Events are replayed from their leaves only (see `read_events`); at the first event that
    contradicts its leaf, LogTampered is raised and the transaction rolls back, so the
    projections stay as they were.
    """
    with engine.connect() as conn:
        conn.info["writer"] = True
        with conn.begin():
            # The writer's turn, as a group takes it: a server's projector must not update a
            # row this transaction has deleted and put back (it would find none, and be lost).
            lease.hold(conn)
            for table in reversed(schema.projection_tables(list(registry.projection_tables))):
                conn.execute(table.delete())
            return replay(conn, registry, read_events(conn), progress)


def snapshot(conn: Connection, registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's rows in primary-key order, for comparing two states."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table in schema.projection_tables(list(registry.projection_tables)):
        order = list(table.primary_key.columns)
        rows = conn.execute(select(table).order_by(*order)).all()
        result[table.name] = [tuple(r) for r in rows]
    return result
