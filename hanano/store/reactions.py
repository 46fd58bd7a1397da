"""Reactions: automated decisions that follow events, made through the same write path.

A reaction runs inside the transaction of the event it follows, so the event and what it caused
commit together or not at all; it may append events of its own (with an actor naming the
reaction, e.g. "hanano:dispatch"). Cross-domain reactions are how domains cooperate without
importing each other: dispatch reacts to an early-warning alert event, whichever lands first.

Tick handlers run on a schedule (the server calls `Service.tick`) for what depends on time
passing: watches expiring, check-ins overdue, all-clears due. They read the injected clock. A
handler with much to do (every live track, say) returns the work as separate commands instead:
each then runs as its own command, so the single writer is never held long and a report or a
sighting that arrives meanwhile waits for one small command, not for all of them.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from hanano.store.records import RecordedEvent

if TYPE_CHECKING:
    from hanano.store.sequencer import Tx

Reaction = Callable[["Tx", RecordedEvent], None]
TickCommand = Callable[["Tx"], None]
TickHandler = Callable[["Tx"], "list[TickCommand] | None"]

_REACTIONS: dict[str, list[Reaction]] = {}
_TICKS: list[TickHandler] = []
MAX_DEPTH = 8


def reacts_to(event_type: str) -> Callable[[Reaction], Reaction]:
    """Register a reaction to events of `event_type`."""

    def decorate(func: Reaction) -> Reaction:
        _REACTIONS.setdefault(event_type, []).append(func)
        return func

    return decorate


def on_tick(func: TickHandler) -> TickHandler:
    """Register a handler run on every tick of the clock."""
    _TICKS.append(func)
    return func


def reactions_for(event_type: str) -> list[Reaction]:
    return _REACTIONS.get(event_type, [])


def tick_handlers() -> list[TickHandler]:
    return list(_TICKS)
