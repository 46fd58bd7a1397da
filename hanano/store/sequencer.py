"""The one writer. Commands run in a single thread; their events and projections commit together.

Requests queue commands; the writer takes every queued command (up to a limit), runs each inside
a savepoint so a failing command writes nothing, commits the whole group in one transaction, and
only then resolves each caller's future. Many concurrent requests so share one fsync.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, func, select
from sqlalchemy.exc import DBAPIError

from hanano.clock import Clock, isoformat
from hanano.errors import Problem
from hanano.events import Event
from hanano.inputs import check_values
from hanano.settings import Settings
from hanano.store import lease, schema
from hanano.store.checkpoint import WalCheckpointer
from hanano.store.log import MAX_ENTRY_BYTES, encode_event
from hanano.store.prepared import Prepared, insert_all, release, rollback_to, savepoint
from hanano.store.records import RecordedEvent

T = TypeVar("T")
_INSERT_EVENT = insert_all(schema.events)
_INSERT_SEALED = insert_all(schema.sealed_fields)
_MAX_SEQ = Prepared(select(func.max(schema.events.c.seq)))
log = logging.getLogger(__name__)
# How often the writer tries again to reach a store it has lost.
WRITER_RETRY_S = 0.5
# Reactions that append events that cause reactions: a chain longer than this is a loop.
MAX_DEPTH = 8


class EventHandlers(Protocol):
    """What the domains do with each appended event (`hanano.store.registry.Registry`)."""

    def apply(self, conn: Connection, event: RecordedEvent) -> None: ...

    def reactions_for(self, event_type: str) -> Sequence[Callable[[Tx, RecordedEvent], None]]: ...


class _NoHandlers:
    def apply(self, conn: Connection, event: RecordedEvent) -> None:
        pass

    def reactions_for(self, event_type: str) -> Sequence[Callable[[Tx, RecordedEvent], None]]:
        return ()


def entry_too_large(event_type: str, size: int) -> Problem:
    """Nothing is written: a mirror could not fetch the entry (see MAX_ENTRY_BYTES)."""
    return Problem(
        413,
        "Entry too large",
        f"{event_type}: its log entry would be {size:,} bytes, over the {MAX_ENTRY_BYTES:,} a "
        "mirror can fetch; nothing was written",
    )


class Tx:
    """What a command sees: a connection inside the group's transaction, the clock, the city,
    and append."""

    def __init__(
        self,
        conn: Connection,
        clock: Clock,
        next_seq: int,
        settings: Settings,
        fingerprint_key: bytes = b"",
        registry: EventHandlers | None = None,
    ) -> None:
        self.conn = conn
        self.clock = clock
        # Reactions and ticks run without a request: this is how they see the service's settings.
        self.settings = settings
        # The server's key for idempotency fingerprints (hanano.store.fingerprint).
        self.fingerprint_key = fingerprint_key
        self.next_seq = next_seq
        self.events: list[RecordedEvent] = []
        self._depth = 0
        self.registry: EventHandlers = registry or _NoHandlers()

    def now(self) -> datetime:
        return self.clock.now()

    def append(self, actor: str, event: Event) -> RecordedEvent:
        """Put an event at the end of the log and apply it to the projections.

        Every write passes here, whether it came from HTTP, the CLI or a file: no text with NUL
        or bidirectional controls and no number that is not finite enters the log (422).
        """
        check_values(event.model_dump())
        seq = self.next_seq
        time = isoformat(self.clock.now())
        encoded = encode_event(seq, time, actor, event)
        if len(encoded.canonical) > MAX_ENTRY_BYTES:
            raise entry_too_large(event.type, len(encoded.canonical))
        _INSERT_EVENT.run(
            self.conn,
            {
                "seq": seq,
                "time": time,
                "actor": actor,
                "type": event.type,
                "version": event.version,
                "canonical": encoded.canonical,
                "leaf_hash": encoded.leaf_hash,
            },
        )
        for sealed in encoded.sealed:
            _INSERT_SEALED.run(
                self.conn,
                {
                    "seq": seq,
                    "field": sealed.field,
                    "salt": sealed.salt,
                    "value": json.dumps(sealed.value),
                    "erased_at": None,
                },
            )
        recorded = RecordedEvent(
            seq=seq,
            time=time,
            actor=actor,
            type=event.type,
            version=event.version,
            data=event.model_dump(mode="json"),
            canonical=encoded.canonical,
            leaf_hash=encoded.leaf_hash,
        )
        self.registry.apply(self.conn, recorded)
        self.next_seq = seq + 1
        self.events.append(recorded)
        self._react(recorded)
        return recorded

    def _react(self, recorded: RecordedEvent) -> None:
        handlers = self.registry.reactions_for(recorded.type)
        if not handlers:
            return
        if self._depth >= MAX_DEPTH:
            raise RuntimeError(f"reactions nested deeper than {MAX_DEPTH} at {recorded.type}")
        self._depth += 1
        try:
            for handler in handlers:
                handler(self, recorded)
        finally:
            self._depth -= 1


Command = Callable[[Tx], T]


class _Job(Generic[T]):
    __slots__ = ("command", "future")

    def __init__(self, command: Command[T]) -> None:
        self.command = command
        self.future: Future[T] = Future()


Listener = Callable[[list[RecordedEvent]], None]
GroupHook = Callable[[Connection, list[RecordedEvent]], object]


class Sequencer:
    """The single writer of the store."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings,
        *,
        max_batch: int = 512,
        registry: EventHandlers | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.max_batch = max_batch
        self.registry: EventHandlers = registry or _NoHandlers()
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._listeners: list[Listener] = []
        self._group_hooks: list[GroupHook] = []
        self._thread: threading.Thread | None = None
        self._checkpointer: WalCheckpointer | None = None
        self._stopped = threading.Event()
        self.groups_committed = 0
        # Set by the service from its secret before the writer starts.
        self.fingerprint_key = b""
        self._refusal: Callable[[], Exception] | None = None

    def add_listener(self, listener: Listener) -> None:
        """Called in the writer thread with each group's events, once they are durable and
        before the group's callers are answered. Keep it quick: the writer waits for it."""
        self._listeners.append(listener)

    def add_group_hook(self, hook: GroupHook) -> None:
        """Called inside each group's transaction, after its commands, before the commit."""
        self._group_hooks.append(hook)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopped.clear()
        if self.engine.dialect.name == "sqlite":
            self._checkpointer = WalCheckpointer(self.engine).start()
        self._thread = threading.Thread(target=self._run, name="hanano-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopped.set()
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def refuse_writes(self, refusal: Callable[[], Exception]) -> None:
        """Every command is refused with `refusal()` (a read-only store: a mirror)."""
        self._refusal = refusal

    @property
    def read_only(self) -> bool:
        return self._refusal is not None

    def submit(self, command: Command[T]) -> Future[T]:
        if self._refusal is not None:
            raise self._refusal()
        if self._thread is None:
            raise RuntimeError("the sequencer is not running")
        job = _Job(command)
        self._queue.put(job)
        return job.future

    def execute(self, command: Command[T]) -> T:
        """Run a command and wait for its commit (for the CLI and tests)."""
        return self.submit(command).result()

    async def run(self, command: Command[T]) -> T:
        """Run a command from async code; returns once its group has committed."""
        return await asyncio.wrap_future(self.submit(command))

    def _writer_connection(self) -> Connection | None:
        """The writer's connection. While the store cannot be reached (a PostgreSQL primary
        lost, its standby not yet promoted) it is tried again every WRITER_RETRY_S, until it is
        or until the sequencer stops (None). Commands wait in the queue meanwhile."""
        while not self._stopped.is_set():
            try:
                conn = self.engine.connect()
            except DBAPIError as exc:
                log.warning("the store cannot be reached for writing (%s); trying again", exc)
                self._stopped.wait(WRITER_RETRY_S)
                continue
            conn.info["writer"] = True
            return conn
        return None

    def _run(self) -> None:
        conn = self._writer_connection()
        try:
            while conn is not None:
                first = self._queue.get()
                if first is None:
                    return
                jobs: list[_Job[Any]] = [first]
                stop = False
                while len(jobs) < self.max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    jobs.append(nxt)
                fresh = self._commit_group(conn, jobs)
                if stop:
                    return
                if fresh is None:
                    conn.close()
                    conn = None
                    fresh = self._writer_connection()
                conn = fresh
        finally:
            if conn is not None:
                conn.close()
            self._refuse_waiting()

    def _refuse_waiting(self) -> None:
        """Commands still queued when the writer ends (stopped while the store could not be
        reached) are refused rather than left waiting for ever."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.future.set_exception(RuntimeError("the sequencer stopped before writing it"))

    def _run_commands(
        self,
        conn: Connection,
        transaction: RootTransaction,
        jobs: list[_Job[Any]],
        outcomes: list[tuple[bool, Any]],
    ) -> list[RecordedEvent]:
        """Run the group's commands in order; each outcome is noted for its caller."""
        events: list[RecordedEvent] = []
        lease.hold(conn)
        next_seq = (_MAX_SEQ.run(conn).scalar() or 0) + 1
        # A lone command needs no savepoint: if it fails, the whole transaction goes, which
        # spares two statements (two round trips on PostgreSQL) per command.
        alone = len(jobs) == 1
        for job in jobs:
            tx = Tx(conn, self.clock, next_seq, self.settings, self.fingerprint_key, self.registry)
            # Each command in its own savepoint: one that fails leaves no trace and spares the
            # others in its group.
            if not alone:
                savepoint(conn, "command")
            try:
                result = job.command(tx)
            except Exception as exc:  # the command's own failure, reported to its caller
                if alone:
                    transaction.rollback()
                else:
                    rollback_to(conn, "command")
                    release(conn, "command")
                outcomes.append((False, exc))
                continue
            if not alone:
                release(conn, "command")
            next_seq = tx.next_seq
            events.extend(tx.events)
            outcomes.append((True, result))
        return events

    def _commit_group(self, conn: Connection, jobs: list[_Job[Any]]) -> Connection | None:
        """Run and commit one group; the connection to go on with, or None when the group
        failed and a new connection (and the lease) must be taken first."""
        outcomes: list[tuple[bool, Any]] = []
        events: list[RecordedEvent] = []
        try:
            with conn.begin() as transaction:
                events = self._run_commands(conn, transaction, jobs, outcomes)
                if events:
                    for hook in self._group_hooks:
                        hook(conn, events)
        except Exception as exc:
            log.exception("group commit failed; %d commands refused", len(jobs))
            for job in jobs:
                job.future.set_exception(exc)
            return None
        self.groups_committed += 1
        if self._checkpointer is not None:
            self._checkpointer.nudge()
        # Listeners run before the callers hear back, so that caches they keep (revoked tokens,
        # the city) are current by the time a caller's next request arrives.
        if events:
            for listener in self._listeners:
                try:
                    listener(events)
                except Exception:
                    log.exception("event listener failed")
        for job, (ok, value) in zip(jobs, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        return conn
