"""Connections to SQLite (the embedded default) or PostgreSQL, with the durability we promise."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and run them on psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def backend_name(engine: Engine) -> str:
    return engine.dialect.name


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine whose commits are durable: SQLite in WAL with synchronous=FULL, fsync on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=16, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    memory = make_url(url).database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        raise ValueError("an in-memory SQLite store would lose every acknowledged write")
    engine = create_engine(url, pool_size=8, max_overflow=16, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defeats SAVEPOINTs; SQLAlchemy emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL makes every WAL commit reach the disk before it returns: acknowledged = durable.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run beside the writer (hanano.store.checkpoint), not inside a commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # "writer" marks one borrower's connection (the sequencer's); the pool must not hand the
        # mark on, or a reader would hold the write lock while the writer waits for it.
        record.info.pop("writer", None)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

    return engine


class StoreUnavailable(Exception):
    """The store cannot be opened for reading (no such file, no such database)."""


def make_readonly_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro (no WAL switch, no file created),
    PostgreSQL in read-only transactions. Each connection's transaction is one snapshot
    (a SQLite read transaction, PostgreSQL REPEATABLE READ), so a checker reading the whole log
    sees one state of it even while a server appends."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            poolclass=NullPool,
            isolation_level="REPEATABLE READ",
            execution_options={"postgresql_readonly": True},
        )
    database = make_url(url).database
    if not database or database == ":memory:":
        raise StoreUnavailable("a read-only check needs a SQLite file")
    path = Path(database).absolute()
    if not path.is_file():
        raise StoreUnavailable(f"no SQLite store at {path}")
    uri = f"{path.as_uri()}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        # Transactions are begun by the listener below, not by pysqlite.
        connection.isolation_level = None
        connection.execute("PRAGMA query_only=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    engine = create_engine("sqlite+pysqlite://", creator=connect, poolclass=NullPool)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
