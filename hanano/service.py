"""Wiring: one store, one sequencer, the caches that follow its events, the clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from hanano.access.tokens import TokenAuthority
from hanano.clock import Clock, SystemClock
from hanano.evidence.keys import default_key_path, load_or_create
from hanano.evidence.log import EvidenceLog, catch_up
from hanano.evidence.tsa import Timestamper
from hanano.geo.city import CityCache
from hanano.geo.gazetteer import load_aleppo_aliases
from hanano.settings import Settings
from hanano.store.engine import make_engine
from hanano.store.fingerprint import derive_key
from hanano.store.migrations import migrate
from hanano.store.reactions import tick_handlers
from hanano.store.sequencer import Sequencer, Tx

T = TypeVar("T")
log = logging.getLogger(__name__)


class Service:
    """Everything a process of hanano shares; start() before use, stop() to finish writes."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, engine: Engine | None = None
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.database_url)
        # The landmarks, squares and markets people name in Aleppo, from public sources.
        builtin = load_aleppo_aliases() if settings.city == "aleppo" else []
        self.city = CityCache(self.engine, builtin)
        self.sequencer = Sequencer(
            self.engine,
            self.clock,
            settings,
            max_batch=settings.group_commit_max,
            city=self.city.get,
        )
        self.tokens = TokenAuthority(self.engine, settings.auth_cache_s)
        self.sequencer.add_listener(self.tokens.on_events)
        self.sequencer.add_listener(self.city.on_events)
        self.key_path = default_key_path(settings.database_url, settings.log_key_file)
        self.log_origin = settings.log_origin or f"hanano/{settings.city}"
        self._evidence: EvidenceLog | None = None
        self._started = False
        self.timestamper: Timestamper | None = None
        if settings.tsa_url:
            self.timestamper = Timestamper(self.engine, self.sequencer, settings.tsa_url)
            self.sequencer.add_listener(self.timestamper.on_events)

    @property
    def evidence(self) -> EvidenceLog:
        if self._evidence is None:
            self._evidence = EvidenceLog(
                load_or_create(self.key_path, self.log_origin), self.log_origin, self.clock
            )
        return self._evidence

    def start(self) -> Service:
        if not self._started:
            migrate(self.engine)
            evidence = self.evidence
            with self.engine.begin() as conn:
                catch_up(conn, evidence)
            self.sequencer.fingerprint_key = derive_key(evidence.key.signer)
            self.sequencer.add_group_hook(evidence.extend)
            self.sequencer.add_listener(evidence.committed)
            self.sequencer.start()
            if self.timestamper is not None:
                self.timestamper.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            # The timestamper stores its tokens through the sequencer, so it stops first.
            if self.timestamper is not None:
                self.timestamper.stop()
            self.sequencer.stop()
            self._started = False
        self.engine.dispose()

    def execute(self, command: Callable[[Tx], T]) -> T:
        return self.sequencer.execute(command)

    def tick(self) -> None:
        """Run every time-driven handler once, each as its own command (the server does so on a
        timer; tests call it after moving the clock)."""
        for handler in tick_handlers():
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

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
