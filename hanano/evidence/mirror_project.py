"""The mirror's projections: its events replayed into the tables `hanano serve` reads.

A mirror holds no sealed value (see `hanano.evidence.mirror`), and some projections cannot be
made without one: a team's base, a hospital's place, a report's keyed fingerprint are required
columns. Such an event is left out of the projections (in a savepoint, so nothing of it stays)
and counted; the log itself, checked and complete, still holds it. Each bundle is first replayed
whole in one savepoint (runs of one type at once where the projector allows it,
`hanano.store.replay`), so the common case costs two statements per 256 events beside the
projections' own.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from hanano.store.prepared import release, rollback_to, savepoint
from hanano.store.records import RecordedEvent
from hanano.store.registry import Registry
from hanano.store.replay import replay

log = logging.getLogger(__name__)


def project(conn: Connection, registry: Registry, events: list[RecordedEvent]) -> int:
    """Project the events; how many could not be projected here."""
    savepoint(conn, "mirror_bundle")
    try:
        replay(conn, registry, events)
    except Exception:
        rollback_to(conn, "mirror_bundle")
        release(conn, "mirror_bundle")
        return _one_by_one(conn, registry, events)
    release(conn, "mirror_bundle")
    return 0


def _one_by_one(conn: Connection, registry: Registry, events: list[RecordedEvent]) -> int:
    left_out = 0
    for event in events:
        savepoint(conn, "mirror_event")
        try:
            _apply(conn, registry, event)
        except Exception as exc:
            rollback_to(conn, "mirror_event")
            left_out += 1
            # The driver's own words, first line only: SQLAlchemy's message repeats the statement
            # and its parameters, which are no reader's business.
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            log.warning(
                "event %d (%s) left out of the projections: %s", event.seq, event.type, reason
            )
        release(conn, "mirror_event")
    return left_out


def _apply(conn: Connection, registry: Registry, event: RecordedEvent) -> None:
    handler = registry.projectors.get(event.type)
    if handler is not None:
        handler(conn, event)
