"""Channels carry committed alerts to people: SSE, MQTT, webhooks, sirens. One interface.

The sequencer calls `Fanout.on_events` in its writer thread after each durable group; the fanout
only queues there. Its own thread renders each alert once (JSON and CAP) and hands it to every
channel's worker, so a slow or broken channel delays neither the writer nor the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.warning.events import AlertIssued
from hanano.warning.views import cap_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertMessage:
    """An alert as every channel receives it: its event data and its CAP 1.2 document."""

    alert: dict[str, Any]
    cap: bytes
    city: str

    @property
    def cleared(self) -> bool:
        return bool(self.alert["level"] == "all_clear")


class Channel(Protocol):
    name: str

    def deliver(self, message: AlertMessage) -> None:
        """Deliver one alert; may block (it runs in the channel's own thread)."""

    def close(self) -> None: ...


class _Worker:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
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
            try:
                self.channel.deliver(message)
            except Exception:
                log.exception(
                    "channel %s failed on %s", self.channel.name, message.alert["alert_id"]
                )

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)
        self.channel.close()


class Fanout:
    """Alerts from the log to every channel."""

    def __init__(self, settings: Settings, channels: list[Channel]) -> None:
        self.settings = settings
        self.workers = [_Worker(c) for c in channels]
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="hanano-fanout", daemon=True)
        self._thread.start()

    def on_events(self, events: list[RecordedEvent]) -> None:
        """The sequencer's listener: queue the group's alerts, nothing more."""
        if self._stopped:
            return
        for event in events:
            if event.type == AlertIssued.type:
                self._queue.put(event.data)

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            try:
                message = AlertMessage(
                    alert, cap_document(alert, self.settings), self.settings.city
                )
            except Exception:
                log.exception("alert %s could not be rendered", alert.get("alert_id"))
                continue
            for worker in self.workers:
                worker.queue.put(message)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        for worker in self.workers:
            worker.stop()


def channels_from_settings(
    settings: Settings, engine: Any, broadcaster: Any = None
) -> list[Channel]:
    """Every channel the settings configure."""
    channels: list[Channel] = []
    if broadcaster is not None:
        from hanano.warning.channels.sse import SseChannel

        channels.append(SseChannel(broadcaster))
    if settings.mqtt_url:
        from hanano.warning.channels.mqtt import MqttChannel

        channels.append(MqttChannel(settings.mqtt_url, settings.city, engine))
    for url in (u.strip() for u in settings.webhook_urls.split(",")):
        if url:
            from hanano.warning.channels.webhooks import WebhookChannel

            channels.append(
                WebhookChannel(url, settings.webhook_secret, attempts=settings.webhook_attempts)
            )
    return channels


def start_channels(service: Any, broadcaster: Any = None) -> Fanout:
    """Start the configured channels and subscribe them to the service's commits."""
    fanout = Fanout(
        service.settings, channels_from_settings(service.settings, service.engine, broadcaster)
    )
    service.sequencer.add_listener(fanout.on_events)
    return fanout
