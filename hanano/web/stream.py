"""Server-Sent Events: committed events fanned out to subscribers, filtered by role.

Privileged roles get each event with its sensitive fields left sealed. The reporter and public
roles never get raw events: they get an incident, at neighbourhood precision, once it is cleared
or old enough to be public, and nothing about teams or victims.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hanano.errors import Problem
from hanano.events import EVENT_TYPES, Role
from hanano.intake.views import get_incident, is_restricted, old_enough
from hanano.service import Service
from hanano.store import schema
from hanano.store.records import RecordedEvent

SEALED = "[sealed]"
QUEUE_LIMIT = 10_000


@dataclass(eq=False)
class Subscriber:
    role: Role
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


def operator_message(event: RecordedEvent) -> dict[str, Any]:
    data = dict(event.data)
    cls = EVENT_TYPES.get(event.type)
    for name in cls.sensitive if cls else ():
        if name in data:
            data[name] = SEALED
    return {
        "event": event.type,
        "id": event.seq,
        "data": {
            "seq": event.seq,
            "time": event.time,
            "actor": event.actor,
            "type": event.type,
            "data": data,
        },
    }


class Broadcaster:
    def __init__(self, service: Service) -> None:
        self.service = service
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._announced: set[str] = set()

    def subscribe(self, role: Role) -> Subscriber:
        sub = Subscriber(role, asyncio.get_running_loop())
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
        operator = [operator_message(e) for e in events]
        public: list[dict[str, Any]] = []
        if any(is_restricted(s.role) for s in subscribers):
            public = self.public_messages(self._incidents_touched(events))
        for sub in subscribers:
            for message in public if is_restricted(sub.role) else operator:
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
        settings = self.service.settings
        now = self.service.clock.now()
        messages = []
        with self.service.engine.connect() as conn:
            for incident_id in incident_ids:
                try:
                    view = get_incident(conn, "public", incident_id, now, settings.public_delay_min)
                except Problem:  # not public (yet)
                    continue
                self._announced.add(incident_id)
                messages.append({"event": "incident", "data": view})
        return messages

    def sweep(self) -> None:
        """Announce incidents that became public by age alone since the last sweep."""
        if not self.service.sequencer.running:
            return  # the service is stopping; its engine may already be disposed
        with self._lock:
            if not any(is_restricted(s.role) for s in self._subscribers):
                return
        settings = self.service.settings
        now = self.service.clock.now()
        with self.service.engine.connect() as conn:
            ids = (
                conn.execute(
                    select(schema.incidents.c.incident_id).where(
                        old_enough(now, settings.public_delay_min),
                        schema.incidents.c.merged_into.is_(None),
                        schema.incidents.c.status.in_(("open", "responding")),
                    )
                )
                .scalars()
                .all()
            )
        fresh = [i for i in ids if i not in self._announced]
        if not fresh:
            return
        messages = self.public_messages(fresh)
        with self._lock:
            subscribers = [s for s in self._subscribers if is_restricted(s.role)]
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
    broadcaster: Broadcaster, sub: Subscriber, heartbeat_s: float = 15.0
) -> AsyncIterator[bytes]:
    try:
        yield b": connected\n\n"
        while not sub.dropped:
            try:
                message = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield format_sse(message)
        yield b'event: dropped\ndata: {"reason":"client too slow"}\n\n'
    finally:
        broadcaster.unsubscribe(sub)
