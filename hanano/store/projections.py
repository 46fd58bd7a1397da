"""The registry of projection handlers: how each event type changes the tables screens read."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from hanano.store.records import RecordedEvent

Projector = Callable[[Connection, RecordedEvent], None]

_PROJECTORS: dict[str, Projector] = {}


def projects(event_type: str) -> Callable[[Projector], Projector]:
    """Register the handler that applies events of `event_type` to the projections."""

    def decorate(func: Projector) -> Projector:
        if event_type in _PROJECTORS:
            raise ValueError(f"two projectors for {event_type!r}")
        _PROJECTORS[event_type] = func
        return func

    return decorate


def projectors() -> dict[str, Projector]:
    """All handlers, once every domain module that declares them has been imported."""
    from hanano.domains import load_domains

    load_domains()
    return _PROJECTORS


def apply(conn: Connection, event: RecordedEvent) -> None:
    handler = projectors().get(event.type)
    if handler is not None:
        handler(conn, event)
