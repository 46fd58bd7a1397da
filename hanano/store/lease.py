"""The writer's lease: one sequencer writes to a store at a time.

On PostgreSQL the lease is a session-level advisory lock held by the writer's own connection,
keyed by the store's schema (several stores may share a database, one schema each). It lives
exactly as long as that session: a server that dies, or whose database server dies, loses it
with its connection, and a standby promoted by Patroni starts with no lock held, so the first
writer to reach the new primary takes it. A second `hanano serve` pointed at the same store
waits for the lease rather than interleaving its groups with the first's.

SQLite needs none: its writer takes the database's own write lock (BEGIN IMMEDIATE) for each
group.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

# The advisory lock's first key: "hana" in ASCII, the same in every hanano.
LEASE_CLASS = 0x68616E61


def key(conn: Connection) -> tuple[int, int]:
    """The lease's two advisory-lock keys for the store this connection works in."""
    schema = str(conn.execute(text("SELECT current_schema()")).scalar())
    crc = zlib.crc32(schema.encode())
    return LEASE_CLASS, crc - (1 << 32) if crc >= 1 << 31 else crc


def take(conn: Connection) -> bool:
    """Whether this connection now holds the lease (it may already)."""
    if conn.dialect.name != "postgresql":
        return True
    a, b = conn.info["lease"] = key(conn)
    held = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": a, "b": b}).scalar()
    conn.commit()
    return bool(held)


def give_back(conn: Connection) -> None:
    """Release the lease before the connection goes back to the pool, where a reader must not
    keep it; a connection already broken has lost it with its session."""
    held = conn.info.pop("lease", None)
    if held is not None and not conn.closed:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": held[0], "b": held[1]})
            conn.commit()
        except DBAPIError:
            conn.invalidate()
    conn.close()
