"""Replaying a run of events into the projections, a run of one type at once where its projector
allows it.

Most projectors apply one event per call. One that only adds rows (a token, a sighting) may also
say how to apply many of its events at once (`projects_many`): the same rows, put in with one
statement per table. Replaying a whole log, or a mirror's bundle of 256 entries, then costs a
few statements per run of events of that type instead of several per event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from hanano.store.records import RecordedEvent
from hanano.store.registry import Projector, Registry

Many = Callable[[Connection, Sequence[RecordedEvent]], None]


def projects_many(many: Many) -> Callable[[Projector], Projector]:
    """Give a projector the form `many` that applies a run of its events, in order, to the same
    effect as applying them one by one."""

    def decorate(func: Projector) -> Projector:
        func.many = many  # type: ignore[attr-defined]
        return func

    return decorate


def replay(conn: Connection, registry: Registry, events: Sequence[RecordedEvent]) -> None:
    """Apply the events in order: each run of consecutive events of one type in one call when
    its projector has a `many` form, else one by one."""
    projectors = registry.projectors
    start, end = 0, len(events)
    while start < end:
        event_type = events[start].type
        stop = start + 1
        while stop < end and events[stop].type == event_type:
            stop += 1
        handler = projectors.get(event_type)
        many: Many | None = getattr(handler, "many", None)
        if many is not None and stop - start > 1:
            many(conn, events[start:stop])
        elif handler is not None:
            for event in events[start:stop]:
                handler(conn, event)
        start = stop
