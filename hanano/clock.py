"""Clocks. Domain code asks a clock for the time so that tests and the simulator control it."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)


class ScaledClock:
    """Virtual time that starts at `start` and runs `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start.astimezone(UTC)
        self._speed = speed
        self._origin = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)


def isoformat(when: datetime) -> str:
    """ISO 8601 UTC with a four-digit year, microseconds and a Z: the one spelling of a time in
    the log, the store and every answer. Times are compared as these strings, so every part has
    a fixed width (strftime's %Y would write year 500 as "500", which sorts after "2026")."""
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


# Before the year was zero-padded, times before year 1000 were stored with fewer digits.
_SHORT_YEAR = re.compile(r"(\d{1,3})(?=-)")


def parse_iso(text: str) -> datetime:
    """Parse a time as the store holds it; a time without an offset is refused rather than
    guessed. A year of fewer than four digits, as older versions wrote them, is read too."""
    short = _SHORT_YEAR.match(text)
    if short:
        text = short[1].zfill(4) + text[short.end() :]
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("time must carry a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time lies outside the years 1 to 9999 in UTC") from None


def canonical_time(text: str) -> str:
    """A stored or logged time in the one spelling of `isoformat` (for times logged before it
    zero-padded years, so that projections compare them correctly)."""
    return isoformat(parse_iso(text))
