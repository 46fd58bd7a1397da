"""One writer at a time on a PostgreSQL store, whichever process it is in.

Each group the sequencer writes first takes a transaction-level advisory lock keyed by the
store's schema (several stores may share a database, one schema each), and holds it until the
group commits or rolls back. So `hanano serve`, a second server and a CLI command on the same
store take turns: each group reads the next sequence number and extends the tree with no other
writer between, as SQLite's BEGIN IMMEDIATE gives on the embedded store.

The lock lives in the database session: a writer whose server dies, or whose database server
dies, holds nothing, and a standby that Patroni promotes starts with no lock held.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text

# The advisory lock's first key: "hana" in ASCII, the same in every hanano.
LEASE_CLASS = 0x68616E61


def key(conn: Connection) -> tuple[int, int]:
    """The lock's two keys for the store this connection works in."""
    cached = conn.info.get("lease")
    if cached is None:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar())
        crc = zlib.crc32(schema.encode())
        cached = conn.info["lease"] = (LEASE_CLASS, crc - (1 << 32) if crc >= 1 << 31 else crc)
    return (int(cached[0]), int(cached[1]))


def hold(conn: Connection) -> None:
    """Inside a group's transaction: wait for the store's write lock, kept until it ends."""
    if conn.dialect.name == "postgresql":
        a, b = key(conn)
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": a, "b": b})
