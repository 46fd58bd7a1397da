"""Wiring: one store, one sequencer, the caches that follow its events, the clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from hanano.access.mirror_accounts import MirrorTokenAuthority
from hanano.access.tokens import TokenAuthority
from hanano.city.model import City, CityCache
from hanano.clock import Clock, SystemClock
from hanano.domain import Domain
from hanano.domains import DOMAINS
from hanano.errors import Problem
from hanano.evidence import note
from hanano.evidence.identity import BoundKey, bind_log_key, log_origin
from hanano.evidence.keys import LogKey, purpose_key
from hanano.evidence.log import EvidenceLog, catch_up
from hanano.evidence.mirror_state import MirrorState, mirror_of
from hanano.evidence.tsa import Timestamper
from hanano.geo.gazetteer import load_aleppo_aliases
from hanano.settings import Settings
from hanano.store.engine import make_engine
from hanano.store.fingerprint import FINGERPRINTS
from hanano.store.migrations import migrate
from hanano.store.rebuild import rebuild
from hanano.store.registry import Registry
from hanano.store.sequencer import Sequencer, Tx

T = TypeVar("T")
log = logging.getLogger(__name__)


class Service:
    """Everything a process of hanano shares; start() before use, stop() to finish writes."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        engine: Engine | None = None,
        domains: tuple[Domain, ...] | None = None,
    ) -> None:
        self.domains = DOMAINS if domains is None else domains
        self.registry = Registry.merge(
            (d.handlers for d in self.domains), (t for d in self.domains for t in d.tables)
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.database_url)
        # The landmarks, squares and markets people name in Aleppo, from public sources.
        builtin = load_aleppo_aliases() if settings.city == "aleppo" else []
        self.city_cache = CityCache(self.engine, builtin)
        self.sequencer = Sequencer(
            self.engine,
            self.clock,
            settings,
            max_batch=settings.group_commit_max,
            registry=self.registry,
        )
        self.tokens = TokenAuthority(self.engine, settings.auth_cache_s)
        self.sequencer.add_listener(self.tokens.on_events)
        self.sequencer.add_listener(self.city_cache.on_events)
        self.key_path: Path | None = None
        self.log_origin = settings.log_origin or f"hanano/{settings.city}"
        self._evidence: EvidenceLog | None = None
        self.mirror: MirrorState | None = None
        self._started = False
        self.timestamper: Timestamper | None = None
        if settings.tsa_url:
            self.timestamper = Timestamper(self.engine, self.sequencer, settings.tsa_url)
            self.sequencer.add_listener(self.timestamper.on_events)

    @property
    def evidence(self) -> EvidenceLog:
        """The log and its key, bound to the store by start()."""
        if self._evidence is None:
            raise RuntimeError("the service is not started: its log key is not bound yet")
        return self._evidence

    def start(self) -> Service:
        """Migrate, bind the log's key and check the log covers exactly the stored events.

        Raises LogKeyError (the key is missing or not this log's) or LogIntegrityError (rows
        written or removed behind the server's back) before anything is signed.
        """
        if not self._started:
            try:
                migrate(self.engine, [(d.name, d.migrations) for d in self.domains])
                self.mirror = mirror_of(self.engine)
                if self.mirror is not None:
                    return self._start_read_only(self.mirror)
                self._bind_log()
            except Exception:
                # A refused start leaves no connection open behind it.
                self.engine.dispose()
                raise
            evidence = self.evidence
            self.sequencer.fingerprint_key = purpose_key(evidence.key.signer, FINGERPRINTS)
            self.sequencer.add_group_hook(evidence.extend)
            self.sequencer.add_listener(evidence.committed)
            self.sequencer.start()
            if self.timestamper is not None:
                self.timestamper.start()
            self._started = True
        return self

    def _start_read_only(self, mirror: MirrorState) -> Service:
        """A mirror's store: its log is another's, written only by `hanano mirror follow`, so
        every write is refused naming the primary, and no writer, tick or worker runs."""
        primary = mirror.primary_url
        self.sequencer.refuse_writes(
            lambda: Problem(
                409,
                "Read-only mirror",
                f"this server is a read-only mirror of {primary}: write to the primary",
            )
        )
        # The primary's tokens are replayed here with the log: a stolen one must not open the
        # copy abroad, so only the mirror's own tokens are accepted (access/mirror_accounts.py).
        self.tokens = MirrorTokenAuthority(self.engine, self.settings.auth_cache_s)
        self.log_origin = mirror.origin
        # The primary's key signs this log; what the server derives its own keys from (login
        # counters) is a key of this process alone, since nothing here is ever signed.
        signer, _ = note.generate_key(mirror.origin)
        self._evidence = EvidenceLog(LogKey(signer, mirror.log_key), mirror.origin, self.clock)
        self._started = True
        return self

    def _bind_log(self) -> None:
        try:
            bound, evidence = self._bind_log_once()
        except IntegrityError:
            # Another process recorded the key of a new store at the same moment (PostgreSQL:
            # both inserted, one waited for the other); its record now holds, so bind to it.
            bound, evidence = self._bind_log_once()
        self.key_path = bound.path
        self._evidence = evidence

    def _bind_log_once(self) -> tuple[BoundKey, EvidenceLog]:
        with self.engine.connect() as conn:
            # One writer at a time (SQLite): two processes opening a new store record one key.
            conn.info["writer"] = True
            with conn.begin():
                self.log_origin = log_origin(
                    conn, self.settings.log_origin, f"hanano/{self.settings.city}"
                )
                bound = bind_log_key(
                    conn,
                    self.settings.database_url,
                    self.settings.log_key_file,
                    self.log_origin,
                    self.clock,
                )
                evidence = EvidenceLog(bound.key, self.log_origin, self.clock)
                catch_up(conn, evidence, log_begins=bound.log_begins)
        return bound, evidence

    def stop(self) -> None:
        if self._started and not self.sequencer.read_only:
            # The timestamper stores its tokens through the sequencer, so it stops first.
            if self.timestamper is not None:
                self.timestamper.stop()
            self.sequencer.stop()
        self._started = False
        self.engine.dispose()

    def execute(self, command: Callable[[Tx], T]) -> T:
        return self.sequencer.execute(command)

    def city(self) -> City:
        """The city's zones, loaded once and reloaded after a city event commits."""
        return self.city_cache.get()

    def tick(self) -> None:
        """Run every time-driven handler once, each as its own command (the server does so on a
        timer; tests call it after moving the clock)."""
        for handler in self.registry.ticks:
            if not self.sequencer.running:
                return  # shutting down: the next start will catch up on time
            try:
                more = self.execute(handler) or []
            except Exception:
                log.exception("tick handler %s failed", getattr(handler, "__name__", handler))
                continue
            for command in more:
                if not self.sequencer.running:
                    return
                try:
                    self.execute(command)
                except Exception:
                    log.exception("tick command of %s failed", getattr(handler, "__name__", ""))

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Replay the whole log into freshly cleared projections (see `hanano.store.rebuild`)."""
        return rebuild(self.engine, self.registry, progress)

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
