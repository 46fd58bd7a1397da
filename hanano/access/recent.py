"""Answers remembered for a bounded time: how tokens and sessions are checked on every request
without a query each, while a revocation or a logout committed by another process (the CLI, a
second server on the same store) still takes effect within the lifetime.

A revocation in this process clears the memory at once, through the sequencer's listeners; one
committed elsewhere cannot be heard, so nothing is believed from memory for longer than
`lifetime_s`. Ages are measured on the monotonic clock: a wall clock set back must not make an
answer live longer.
"""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

V = TypeVar("V")

# Far more tokens and sessions than a city's teams, spotters and rooms hold at once; a flood of
# distinct ones must not grow the memory without end.
DEFAULT_LIMIT = 50_000


class Recent(Generic[V]):
    """A thread-safe map whose entries are forgotten `lifetime_s` after they were stored."""

    def __init__(self, lifetime_s: float, limit: int = DEFAULT_LIMIT) -> None:
        self.lifetime_s = lifetime_s
        self._limit = limit
        self._entries: dict[str, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._entries.get(key)
        if found is None:
            return None
        value, stored_at = found
        if time.monotonic() - stored_at >= self.lifetime_s:
            return None
        return value

    def put(self, key: str, value: V) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self._limit:
                self._drop_old(now)
            self._entries[key] = (value, now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _drop_old(self, now: float) -> None:
        """Called with the lock held when the map is full: drop what has lived out its time, and
        everything if that is not enough (the next request of each asks the store again)."""
        cutoff = now - self.lifetime_s
        self._entries = {k: v for k, v in self._entries.items() if v[1] > cutoff}
        if len(self._entries) >= self._limit:
            self._entries.clear()
