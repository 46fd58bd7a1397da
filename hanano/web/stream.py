"""Server-Sent Events: committed events fanned out to subscribers, filtered by the visibility rule.

Each subscriber gets the events its role (or, for its own events, its token) may read, without
the fields the rule withholds from it, and with sensitive fields left sealed. The roles that do
not read incidents (reporter, public, spotter) get instead each incident, at neighbourhood
precision, once it is cleared or old enough to be public, and nothing about teams or victims.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hanano.access.tokens import ANONYMOUS, Principal
from hanano.access.visibility import SEALED, event_view
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.intake.api import get_incident, newly_public_ids
from hanano.intake.views import is_restricted
from hanano.store.records import RecordedEvent

QUEUE_LIMIT = 10_000
__all__ = ["SEALED", "Broadcaster", "event_message", "sse_stream"]
# How often an open stream checks that its token or session still holds (seconds). The check is
# answered from memory but for one query per token per `auth_cache_s`.
RECHECK_S = 1.0


@dataclass(eq=False)
class Subscriber:
    who: Principal
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


def event_message(event: RecordedEvent, who: Principal) -> dict[str, Any] | None:
    """The stream message of one event for one reader, or None if the rule hides it."""
    view = event_view(event, who)
    if view is None:
        return None
    return {"event": event.type, "id": event.seq, "data": view}


def messages_for(
    events: list[RecordedEvent], who: Principal, cache: dict[tuple[str, int], Any]
) -> list[dict[str, Any]]:
    """The messages of a group for one reader. What a role reads is the same for every
    subscriber of that role, so it is worked out once per role; only events a reader sees as
    their actor differ, and those are not shared."""
    out = []
    for event in events:
        if event.actor == who.actor:
            message = event_message(event, who)
        else:
            key = (who.role, event.seq)
            if key not in cache:
                cache[key] = event_message(event, Principal("", who.role))
            message = cache[key]
        if message is not None:
            out.append(message)
    return out


class Broadcaster:
    def __init__(self, service: Runtime) -> None:
        self.service = service
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        # The public view last sent of each incident: only a changed view is sent again, so
        # the moments rescuers act at a public site do not show on the public stream.
        self._announced: dict[str, str] = {}

    def subscribe(self, who: Principal) -> Subscriber:
        sub = Subscriber(who, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def on_events(self, events: list[RecordedEvent]) -> None:
        """Called by the sequencer after each commit, in its thread."""
        with self._lock:
            subscribers = list(self._subscribers)
        if not subscribers:
            return
        public: list[dict[str, Any]] = []
        if any(is_restricted(s.who.role) for s in subscribers):
            public = self.public_messages(self._incidents_touched(events))
        cache: dict[tuple[str, int], Any] = {}
        for sub in subscribers:
            messages = messages_for(events, sub.who, cache)
            if is_restricted(sub.who.role):
                messages = public + messages
            for message in messages:
                sub.loop.call_soon_threadsafe(self._offer, sub, message)

    def publish(self, message: dict[str, Any]) -> None:
        """Send one message to every subscriber, whatever the role (public alerts)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.loop.call_soon_threadsafe(self._offer, sub, message)

    @staticmethod
    def _offer(sub: Subscriber, message: dict[str, Any]) -> None:
        try:
            sub.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A client too slow to keep up is cut off rather than slowing everyone else.
            sub.dropped = True

    @staticmethod
    def _incidents_touched(events: list[RecordedEvent]) -> list[str]:
        touched: list[str] = []
        for event in events:
            for key in ("incident_id", "target_id", "new_incident_id"):
                value = event.data.get(key)
                if isinstance(value, str) and value not in touched:
                    touched.append(value)
        return touched

    def public_messages(self, incident_ids: list[str]) -> list[dict[str, Any]]:
        """Public views of those incidents that the public may now see."""
        messages = []
        for incident_id in incident_ids:
            try:
                view = get_incident(self.service, ANONYMOUS, incident_id)
            except Problem:  # not public (yet)
                continue
            seen = json.dumps(view, sort_keys=True, default=str)
            if self._announced.get(incident_id) == seen:
                continue
            self._announced[incident_id] = seen
            messages.append({"event": "incident", "data": view})
        return messages

    def sweep(self) -> None:
        """Announce incidents that became public by age alone since the last sweep."""
        if not self.service.sequencer.running:
            return  # the service is stopping; its engine may already be disposed
        with self._lock:
            if not any(is_restricted(s.who.role) for s in self._subscribers):
                return
        ids = newly_public_ids(self.service)
        fresh = [i for i in ids if i not in self._announced]
        if not fresh:
            return
        messages = self.public_messages(fresh)
        with self._lock:
            subscribers = [s for s in self._subscribers if is_restricted(s.who.role)]
        for sub in subscribers:
            for message in messages:
                sub.loop.call_soon_threadsafe(self._offer, sub, message)


def format_sse(message: dict[str, Any]) -> bytes:
    lines = [f"event: {message['event']}"]
    if "id" in message:
        lines.append(f"id: {message['id']}")
    lines.append("data: " + json.dumps(message["data"], ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def sse_stream(
    broadcaster: Broadcaster,
    sub: Subscriber,
    heartbeat_s: float = 15.0,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[bytes]:
    """The subscriber's messages as SSE. With `still_allowed`, the caller's token or session is
    checked again every `RECHECK_S` and the stream ends once it no longer holds: a revoked
    token's open stream stops as surely as its next request is refused."""
    loop = asyncio.get_running_loop()
    wait_s = min(heartbeat_s, RECHECK_S) if still_allowed is not None else heartbeat_s
    try:
        yield b": connected\n\n"
        spoke_at = checked_at = loop.time()
        while not sub.dropped:
            if still_allowed is not None and loop.time() - checked_at >= RECHECK_S:
                if not await still_allowed():
                    yield b'event: ended\ndata: {"reason":"token revoked or session ended"}\n\n'
                    return
                checked_at = loop.time()
            try:
                message = await asyncio.wait_for(sub.queue.get(), timeout=wait_s)
            except TimeoutError:
                if loop.time() - spoke_at >= heartbeat_s:
                    yield b": keep-alive\n\n"
                    spoke_at = loop.time()
                continue
            yield format_sse(message)
            spoke_at = loop.time()
        yield b'event: dropped\ndata: {"reason":"client too slow"}\n\n'
    finally:
        broadcaster.unsubscribe(sub)
