"""Where a witness records the last checkpoint it cosigned for each log: a JSON file (shared
with the pulling witness) or a database of its own (SQLite or PostgreSQL).

Either way `locked()` holds the record against every other request and process from the check
to the write, and the write is atomic and durable before the cosignature leaves: a crash leaves
the old record or the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, delete, select

from hanano.evidence.witness import load_state, save_state
from hanano.store.engine import backend_name, make_engine

State = dict[str, dict[str, Any]]
"""{origin: {"size": int, "root": base64, "note": the log's signed checkpoint}}"""


class Record(Protocol):
    def locked(self) -> AbstractContextManager[State]: ...

    def close(self) -> None: ...


class FileRecord:
    """The record in a JSON file, replaced atomically (the pulling witness's state file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()

    @contextmanager
    def locked(self) -> Iterator[State]:
        """The record, held until the block ends; what the block leaves in it is written when
        it ends without error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._threads, lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = load_state(self.path)
                before = repr(state)
                yield state
                if repr(state) != before:
                    save_state(self.path, state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        """Nothing stays open between requests."""


_SCHEMA = MetaData()
witness_checkpoints = Table(
    "witness_checkpoints",
    _SCHEMA,
    Column("origin", String(500), primary_key=True),
    Column("size", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("root", String(64), nullable=False),
    Column("note", Text, nullable=False),
)


class DatabaseRecord:
    """The record in a database of the witness's own: one row per log, in one transaction that
    holds the table (SQLite: BEGIN IMMEDIATE; PostgreSQL: a table lock) from check to write."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, pool_size=2)
        _SCHEMA.create_all(self.engine)

    @contextmanager
    def locked(self) -> Iterator[State]:
        with self.engine.connect() as conn:
            conn.info["writer"] = True
            with conn.begin():
                if backend_name(self.engine) == "postgresql":
                    conn.exec_driver_sql(
                        "LOCK TABLE witness_checkpoints IN SHARE ROW EXCLUSIVE MODE"
                    )
                state: State = {
                    str(row.origin): {"size": int(row.size), "root": row.root, "note": row.note}
                    for row in conn.execute(select(witness_checkpoints))
                }
                before = {origin: dict(held) for origin, held in state.items()}
                yield state
                for origin, held in state.items():
                    if before.get(origin) != held:
                        conn.execute(
                            delete(witness_checkpoints).where(
                                witness_checkpoints.c.origin == origin
                            )
                        )
                        conn.execute(witness_checkpoints.insert().values(origin=origin, **held))

    def close(self) -> None:
        self.engine.dispose()
