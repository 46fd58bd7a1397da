"""Replaying events into the projections, a run of one type at a time where a domain can.

Replay (`rebuild`, an import) applies the whole log at once, and one statement per event costs
more in Python than the database work. A domain may give a type a batch projector
(`Handlers.projects_many`), which applies a run of consecutive events of that type in bulk; every
other event goes through its projector one by one, in log order, so a run never crosses an event
of another type and the tables end as the event-by-event projectors leave them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection

from hanano.store.records import RecordedEvent
from hanano.store.registry import Registry

RUN = 2000


def replay(
    conn: Connection,
    registry: Registry,
    events: Iterable[RecordedEvent],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply `events` (in log order) to the projections on `conn`; returns how many were read."""
    projectors, batches = registry.projectors, registry.batch_projectors
    run: list[RecordedEvent] = []
    count = 0
    for event in events:
        if run and (event.type != run[0].type or len(run) >= RUN):
            batches[run[0].type](conn, run)
            run = []
        if event.type in batches:
            run.append(event)
        else:
            handler = projectors.get(event.type)
            if handler is not None:
                handler(conn, event)
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    if run:
        batches[run[0].type](conn, run)
    return count
