"""SQLite's WAL checkpoints, moved off the writer's commit path.

By default SQLite copies the WAL back into the database (a checkpoint, with its fsyncs) inside
whichever commit pushes the WAL past 1,000 pages: that one commit, and every request waiting on
its group, takes tens of milliseconds longer. hanano's connections turn that off
(`wal_autocheckpoint=0`, hanano.store.engine) and this thread runs a PASSIVE checkpoint, which
never blocks the writer or the readers, at most once per `interval_s` after the writer's commits
nudge it. When the last connection of a process closes, SQLite checkpoints what is left.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, interval_s: float = 1.0) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._due = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hanano-checkpoint", daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def nudge(self) -> None:
        """Called after a commit: there is WAL to copy back."""
        self._due.set()

    def checkpoint(self) -> None:
        # On the driver's connection, outside any transaction: SQLAlchemy would open one first,
        # and SQLite refuses a checkpoint inside a transaction ("database table is locked").
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchall()
            cursor.close()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed: %s", exc)
        finally:
            raw.close()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._due.wait()
            if self._stopped.is_set():
                return
            self._due.clear()
            self.checkpoint()
            self._stopped.wait(self.interval_s)

    def stop(self) -> None:
        self._stopped.set()
        self._due.set()
        self._thread.join(timeout=10)
        self.checkpoint()
