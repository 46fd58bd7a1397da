"""Channels carry committed alerts to people: SSE, MQTT, webhooks, sirens. One interface.

The sequencer calls `Fanout.on_events` in its writer thread after each durable group; the fanout
only queues there. Its own thread renders each alert once (JSON and CAP) and hands it to every
channel's worker, so a slow or broken channel delays neither the writer nor the others.

A channel with an `outbox_key` (MQTT, each webhook) is durable: the alert's delivery to it was
written to the outbox in the alert's own transaction (hanano.warning.outbox); its worker records
each attempt there, and the outbox hands back what failed, or what a restart left undone, when it
falls due. A channel's `deliver` makes one attempt and raises `DeliveryFailed` (or any error)
when it did not deliver.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from typing import Any

from sqlalchemy import Engine

from hanano.domain import Announcer, Runtime
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.warning.alert_places import placed
from hanano.warning.channels.message import AlertMessage, Channel
from hanano.warning.channels.mqtt import MqttChannel
from hanano.warning.channels.sse import SseChannel
from hanano.warning.channels.webhooks import WebhookChannel
from hanano.warning.events import AlertIssued
from hanano.warning.outbox import DeliveryFailed, Due, Key, Outbox
from hanano.warning.views import cap_document

log = logging.getLogger(__name__)


class _Worker:
    def __init__(self, channel: Channel, outbox: Outbox | None) -> None:
        self.channel = channel
        self.key: Key | None = getattr(channel, "outbox_key", None) if outbox else None
        self.outbox = outbox
        self.queue: queue.SimpleQueue[AlertMessage | None] = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._run, name=f"hanano-channel-{channel.name}", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        while True:
            message = self.queue.get()
            if message is None:
                return
            error: DeliveryFailed | None = None
            try:
                self.channel.deliver(message)
            except DeliveryFailed as exc:
                error = exc
            except Exception as exc:
                error = DeliveryFailed(f"{type(exc).__name__}: {exc}")
            if error is not None:
                log.warning(
                    "channel %s failed on %s (attempt %d): %s",
                    self.channel.name,
                    message.alert["alert_id"],
                    message.attempt,
                    error,
                )
            if self.key is not None and self.outbox is not None:
                self.outbox.attempted(self.key, message.alert["alert_id"], message.seq, error)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)
        self.channel.close()


class Fanout:
    """Alerts from the log to every channel."""

    def __init__(
        self,
        settings: Settings,
        channels: list[Channel],
        outbox: Outbox | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        # Where the alerts' zones are looked up (their names and outlines are the city's).
        self.engine = engine
        self.outbox = outbox
        self.workers = [_Worker(c, outbox) for c in channels]
        self._by_key = {w.key: w for w in self.workers if w.key is not None}
        self._queue: queue.SimpleQueue[tuple[int, dict[str, Any]] | None] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="hanano-fanout", daemon=True)
        self._thread.start()
        if outbox is not None:
            outbox.start(self._redeliver)

    def on_events(self, events: list[RecordedEvent]) -> None:
        """The sequencer's listener: queue the group's alerts, nothing more."""
        if self._stopped:
            return
        for event in events:
            if event.type == AlertIssued.type:
                self._queue.put((event.seq, event.data))

    def _render(self, seq: int, alert: dict[str, Any]) -> AlertMessage:
        if self.engine is not None:
            with self.engine.connect() as conn:
                alert = placed(conn, alert)
        return AlertMessage(alert, cap_document(alert, self.settings), self.settings.city, seq)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            seq, alert = item
            try:
                message = self._render(seq, alert)
            except Exception:
                log.exception("alert %s could not be rendered", alert.get("alert_id"))
                continue
            for worker in self.workers:
                if worker.key is not None and self.outbox is not None:
                    self.outbox.claim(worker.key, alert["alert_id"])
                worker.queue.put(message)

    def _redeliver(self, due: Due, alert: dict[str, Any]) -> bool:
        """The outbox's retry: the due delivery to its channel's worker, after what it has."""
        worker = self._by_key.get(due.key)
        if worker is None or self._stopped:
            return False
        message = self._render(due.seq, alert)
        worker.queue.put(dataclasses.replace(message, attempt=due.attempts + 1))
        return True

    def stop(self) -> None:
        if self._stopped:
            return
        if self.outbox is not None:
            self.outbox.stop()
        self._stopped = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        for worker in self.workers:
            worker.stop()
        if self.outbox is not None:
            # The workers' last outcomes, so a delivery made is not made again at the next start.
            self.outbox.flush()


def channels_from_settings(
    settings: Settings, engine: Engine, broadcaster: Announcer | None = None
) -> list[Channel]:
    """Every channel the settings configure."""
    channels: list[Channel] = []
    if broadcaster is not None:
        channels.append(SseChannel(broadcaster))
    if settings.mqtt_url:
        channels.append(MqttChannel(settings.mqtt_url, settings.city, engine))
    for url in (u.strip() for u in settings.webhook_urls.split(",")):
        if url:
            channels.append(WebhookChannel(url, settings.webhook_secret))
    return channels


def start_channels(service: Runtime, broadcaster: Announcer | None = None) -> Fanout:
    """Start the configured channels and the outbox's retries, and subscribe them to the
    service's commits."""
    outbox = Outbox(service.engine, service.sequencer, service.settings, service.clock)
    fanout = Fanout(
        service.settings,
        channels_from_settings(service.settings, service.engine, broadcaster),
        outbox,
        service.engine,
    )
    service.sequencer.add_listener(fanout.on_events)
    return fanout
