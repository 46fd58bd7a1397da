"""MQTT: each alert's CAP document on hanano/{city}/alerts/{pcode}, QoS 1, retained while the
zone is alerted so a phone that connects later still gets it; at the all-clear the all-clear is
sent, then the retained message is cleared (an empty retained message). Sirens listen on
hanano/{city}/sirens/{siren_id} for "on" and "off".

A delivery is done once the broker has acknowledged every publish (QoS 1 PUBACK); one that is not
raises, and the outbox (hanano.warning.outbox) tries it again later, after a restart too."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, select

from hanano.warning.channels.message import AlertMessage
from hanano.warning.outbox import MQTT, DeliveryFailed, target_name
from hanano.warning.sirens import sounds
from hanano.warning.tables import sirens, zone_state

log = logging.getLogger(__name__)
PUBLISH_TIMEOUT_S = 10.0


def connect(url: str, name: str) -> mqtt.Client:
    """A client that connects in the background and reconnects by itself."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"unsupported MQTT URL {url!r}: use mqtt://host:port")
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"hanano-{name}-{uuid.uuid4().hex[:8]}",
        clean_session=True,
    )
    if parsed.username:
        client.username_pw_set(parsed.username, parsed.password)
    client.connect_async(parsed.hostname or "127.0.0.1", parsed.port or 1883, keepalive=30)
    client.loop_start()
    return client


def alert_topic(city: str, pcode: str) -> str:
    return f"hanano/{city}/alerts/{pcode}"


def siren_topic(city: str, siren_id: str) -> str:
    return f"hanano/{city}/sirens/{siren_id}"


class MqttChannel:
    """Alert topics per zone, and siren commands from the zones' levels after each alert."""

    name = "mqtt"

    def __init__(self, url: str, city: str, engine: Engine | None = None) -> None:
        self.city = city
        self.engine = engine
        self.outbox_key = (MQTT, target_name(url))
        self.client = connect(url, city)
        self._sirens: dict[str, str] = {}
        self._lock = threading.Lock()

    def _publish(self, topic: str, payload: bytes, retain: bool) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def deliver(self, message: AlertMessage) -> None:
        pending = []
        for zone in message.alert["zones"]:
            topic = alert_topic(message.city, zone["pcode"])
            if message.cleared:
                pending.append(self._publish(topic, message.cap, retain=False))
                pending.append(self._publish(topic, b"", retain=True))
            else:
                pending.append(self._publish(topic, message.cap, retain=True))
        pending.extend(self._sound_sirens())
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        try:
            for info in pending:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
                if not info.is_published():
                    raise DeliveryFailed(
                        f"the broker did not acknowledge within {PUBLISH_TIMEOUT_S:.0f}s"
                    )
        except (DeliveryFailed, RuntimeError, ValueError):
            # The sirens' states may not have reached the broker: the retry sends them all.
            with self._lock:
                self._sirens.clear()
            raise

    def _sound_sirens(self) -> list[mqtt.MQTTMessageInfo]:
        """Each siren on while any of its zones stands at warning or imminent, else off."""
        if self.engine is None:
            return []
        with self.engine.connect() as conn:
            levels = {r.pcode: r.level for r in conn.execute(select(zone_state))}
            mapping = {r.siren_id: json.loads(r.pcodes) for r in conn.execute(select(sirens))}
        out = []
        with self._lock:
            for siren_id, pcodes in sorted(mapping.items()):
                state = "on" if sounds(pcodes, levels) else "off"
                if self._sirens.get(siren_id) != state:
                    self._sirens[siren_id] = state
                    out.append(
                        self._publish(siren_topic(self.city, siren_id), state.encode(), retain=True)
                    )
        return out

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
