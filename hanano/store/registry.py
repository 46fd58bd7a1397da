"""What the domains do with events, collected per domain and merged into one registry.

A projector applies an event to the tables screens read. A reaction is an automated decision that
follows an event, made through the same write path: it runs inside the transaction of the event
it follows, so the event and what it caused commit together or not at all, and it may append
events of its own (with an actor naming the reaction, e.g. "hanano:dispatch"). Cross-domain
reactions are how domains cooperate without importing each other: dispatch reacts to an
early-warning alert event, whichever lands first.

Tick handlers run on a schedule (the server calls `Service.tick`) for what depends on time
passing: watches expiring, check-ins overdue, all-clears due. They read the injected clock. A
handler with much to do (every live track, say) returns the work as separate commands instead:
each then runs as its own command, so the single writer is never held long and a report or a
sighting that arrives meanwhile waits for one small command, not for all of them.

The store knows no domain: each domain fills a `Handlers` of its own, and whoever builds the
service passes the merged `Registry` to the sequencer and to `rebuild`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table

from hanano.events import Event
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

Projector = Callable[[Connection, RecordedEvent], None]
# Applies a run of consecutive events of one type, leaving the tables as its type's Projector
# would have, event by event (replay uses it; the writer, one event at a time, does not).
BatchProjector = Callable[[Connection, Sequence[RecordedEvent]], None]
Reaction = Callable[[Tx, RecordedEvent], None]
TickCommand = Callable[[Tx], None]
TickHandler = Callable[[Tx], "list[TickCommand] | None"]


def _type_of(event: type[Event] | str) -> str:
    return event if isinstance(event, str) else event.type


class Handlers:
    """One domain's projectors, reactions and tick handlers, filled by decorators in its
    modules (`@HANDLERS.projects(TeamRegistered)`)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.projectors: dict[str, Projector] = {}
        self.batch_projectors: dict[str, BatchProjector] = {}
        self.reactions: dict[str, list[Reaction]] = {}
        self.ticks: list[TickHandler] = []

    def projects(self, event: type[Event] | str) -> Callable[[Projector], Projector]:
        """Register the handler that applies events of this type to the projections."""
        event_type = _type_of(event)

        def decorate(func: Projector) -> Projector:
            if event_type in self.projectors:
                raise ValueError(f"two projectors for {event_type!r} in {self.domain}")
            self.projectors[event_type] = func
            return func

        return decorate

    def projects_many(self, event: type[Event] | str) -> Callable[[BatchProjector], BatchProjector]:
        """Register, beside the type's projector, one that applies a run of its events at once
        (bulk inserts), for replaying a log; it must leave the same rows as the projector."""
        event_type = _type_of(event)

        def decorate(func: BatchProjector) -> BatchProjector:
            if event_type in self.batch_projectors:
                raise ValueError(f"two batch projectors for {event_type!r} in {self.domain}")
            self.batch_projectors[event_type] = func
            return func

        return decorate

    def reacts_to(self, event: type[Event] | str) -> Callable[[Reaction], Reaction]:
        """Register a reaction to events of this type (another domain's events included)."""
        event_type = _type_of(event)

        def decorate(func: Reaction) -> Reaction:
            self.reactions.setdefault(event_type, []).append(func)
            return func

        return decorate

    def on_tick(self, func: TickHandler) -> TickHandler:
        """Register a handler run on every tick of the clock."""
        self.ticks.append(func)
        return func


@dataclass(frozen=True)
class Registry:
    """Every domain's handlers and projection tables, merged in the order of the domains."""

    projectors: dict[str, Projector] = field(default_factory=dict)
    reactions: dict[str, list[Reaction]] = field(default_factory=dict)
    ticks: tuple[TickHandler, ...] = ()
    # Parents first: rebuild clears them in reverse.
    projection_tables: tuple[Table, ...] = ()
    batch_projectors: dict[str, BatchProjector] = field(default_factory=dict)

    @classmethod
    def merge(cls, handlers: Iterable[Handlers], tables: Iterable[Table] = ()) -> Registry:
        projectors: dict[str, Projector] = {}
        batches: dict[str, BatchProjector] = {}
        reactions: dict[str, list[Reaction]] = {}
        ticks: list[TickHandler] = []
        for one in handlers:
            for event_type, projector in one.projectors.items():
                if event_type in projectors:
                    raise ValueError(f"two domains project {event_type!r}")
                projectors[event_type] = projector
            for event_type, batch in one.batch_projectors.items():
                if event_type not in one.projectors:
                    raise ValueError(f"a batch projector for {event_type!r} but no projector")
                batches[event_type] = batch
            for event_type, funcs in one.reactions.items():
                reactions.setdefault(event_type, []).extend(funcs)
            ticks.extend(one.ticks)
        return cls(projectors, reactions, tuple(ticks), tuple(tables), batches)

    def apply(self, conn: Connection, event: RecordedEvent) -> None:
        handler = self.projectors.get(event.type)
        if handler is not None:
            handler(conn, event)

    def reactions_for(self, event_type: str) -> list[Reaction]:
        return self.reactions.get(event_type, [])
