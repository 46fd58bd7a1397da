"""Channels against their real counterparts: Mosquitto for MQTT and sirens, a local HTTP
receiver for webhooks, a live server for Server-Sent Events. Webhook signatures, retries and
deliveries that outlive a restart are tested in test_outbox.py."""

import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlparse

import httpx2 as httpx
import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.warning.sirens import register_siren
from hanano.web.app import build_app
from tests.helpers import auth
from tests.helpers_server import free_port, running_server
from tests.warning.common import HANANO_PCODE, cap_schema, setup_posts, sighting_body

MQTT_URL = os.environ.get("HANANO_TEST_MQTT_URL")
needs_mqtt = pytest.mark.skipif(
    not MQTT_URL, reason="HANANO_TEST_MQTT_URL is unset: no MQTT broker to test against"
)


class Subscriber:
    """A real MQTT client listening on a topic filter."""

    def __init__(self, url: str, topic: str) -> None:
        parsed = urlparse(url)
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex)
        self.client.on_message = lambda _c, _u, m: self.messages.put(m)
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
        self.client.loop_start()
        assert self.ready.wait(10)

    def take(self, seconds: float = 5.0) -> list[mqtt.MQTTMessage]:
        out = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                out.append(self.messages.get(timeout=0.2))
            except queue.Empty:
                if out:
                    break
        return out

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def sortie(client: TestClient, service: Service, token: str, clock: ManualClock) -> None:
    body = sighting_body(clock.now(), activity="circling")
    assert client.post("/api/v1/sightings", json=body, headers=auth(token)).status_code == 201


def all_clear(client: TestClient, service: Service, token: str, clock: ManualClock) -> None:
    clock.advance(timedelta(minutes=11))
    service.tick()
    clock.advance(timedelta(minutes=11))
    service.tick()


@pytest.fixture
def city() -> str:
    return "test-" + uuid.uuid4().hex[:10]


@needs_mqtt
def test_mqtt_retains_alerts_per_zone_and_clears_them(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, city: str
) -> None:
    assert MQTT_URL is not None
    aleppo.settings = Settings(
        database_url=aleppo.settings.database_url, city=city, mqtt_url=MQTT_URL
    )
    setup_posts(aleppo)
    aleppo.execute(lambda tx: register_siren(tx, "test", "siren-1", [HANANO_PCODE]))
    live = Subscriber(MQTT_URL, f"hanano/{city}/#")
    topic = f"hanano/{city}/alerts/{HANANO_PCODE}"
    try:
        with TestClient(build_app(aleppo)) as client:
            sortie(client, aleppo, tokens["spotter"], clock)
            got = live.take()
            alert_msgs = [m for m in got if m.topic == topic]
            assert alert_msgs and alert_msgs[0].qos == 1
            cap_schema().validate(alert_msgs[0].payload)
            assert b"<identifier>AL-1</identifier>" in alert_msgs[0].payload
            siren = [m for m in got if m.topic == f"hanano/{city}/sirens/siren-1"]
            assert [m.payload for m in siren] == [b"on"]

            late = Subscriber(MQTT_URL, topic)
            retained = late.take()
            late.close()
            assert len(retained) == 1 and retained[0].retain
            assert retained[0].payload == alert_msgs[0].payload

            all_clear(client, aleppo, tokens["spotter"], clock)
            cleared = [m for m in live.take() if m.topic == topic]
            assert b"AllClear" in cleared[0].payload
            cap_schema().validate(cleared[0].payload)
            assert cleared[-1].payload == b""
            after = Subscriber(MQTT_URL, topic)
            assert after.take(1.5) == []
            after.close()
    finally:
        live.close()


class Receiver(BaseHTTPRequestHandler):
    """A subscriber's webhook endpoint, outside hanano: it fails twice, then accepts."""

    received: "queue.Queue[tuple[dict[str, str], bytes]]"
    failures_left: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.failures_left > 0:
            cls.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        cls.received.put((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("FakeSubscriber", (Receiver,), {"received": queue.Queue(), "failures_left": 2})
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_public_stream_gets_alerts(aleppo: Service, clock: ManualClock) -> None:
    aleppo.settings = Settings(database_url=aleppo.settings.database_url, mqtt_url=None)
    setup_posts(aleppo)
    spotter = aleppo.execute(lambda tx: create_token(tx, "t", "spotter", None)).secret
    messages: queue.Queue[dict[str, Any]] = queue.Queue()
    ready = threading.Event()

    def listen(base: str) -> None:
        with (
            httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=30)) as c,
            c.stream("GET", "/api/v1/stream") as response,
        ):
            event = None
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "alert":
                    messages.put(json.loads(line[6:]))
                    return

    with running_server(aleppo) as base:
        threading.Thread(target=listen, args=(base,), daemon=True).start()
        assert ready.wait(10)
        with httpx.Client(base_url=base) as c:
            body = sighting_body(clock.now(), activity="circling")
            assert c.post("/api/v1/sightings", json=body, headers=auth(spotter)).status_code == 201
        alert = messages.get(timeout=10)
    assert alert["level"] == "imminent"
    assert HANANO_PCODE in [z["pcode"] for z in alert["zones"]]
    assert alert["headline_ar"].startswith("غارة وشيكة")


@needs_mqtt
def test_sighting_to_all_clear_on_every_channel(
    aleppo: Service, clock: ManualClock, city: str, receiver: tuple[str, type[Receiver]]
) -> None:
    """Sightings posted over HTTP reach SSE, MQTT, webhooks and a siren as valid CAP, and the
    all-clear follows on each."""
    assert MQTT_URL is not None
    url, hook = receiver
    hook.failures_left = 0
    aleppo.settings = Settings(
        database_url=aleppo.settings.database_url,
        city=city,
        mqtt_url=MQTT_URL,
        webhook_urls=url,
        webhook_secret="k",
    )
    setup_posts(aleppo)
    aleppo.execute(lambda tx: register_siren(tx, "test", "hanano-square", [HANANO_PCODE]))
    spotter = aleppo.execute(lambda tx: create_token(tx, "t", "spotter", None)).secret
    mqtt_in = Subscriber(MQTT_URL, f"hanano/{city}/#")
    sse: queue.Queue[dict[str, Any]] = queue.Queue()
    ready = threading.Event()

    def listen(base: str) -> None:
        try:
            with (
                httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=60)) as c,
                c.stream("GET", "/api/v1/stream") as response,
            ):
                event = None
                for line in response.iter_lines():
                    if line.startswith(": connected"):
                        ready.set()
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "alert":
                        sse.put(json.loads(line[6:]))
        except httpx.RemoteProtocolError:
            return  # the test server cut the stream as it shut down

    topic = f"hanano/{city}/alerts/{HANANO_PCODE}"
    siren = f"hanano/{city}/sirens/hanano-square"
    try:
        with running_server(aleppo, sweep_interval_s=0.5) as base:
            threading.Thread(target=listen, args=(base,), daemon=True).start()
            assert ready.wait(10)
            with httpx.Client(base_url=base) as c:
                for fields in (
                    {"activity": "took_off", "base_id": "kuweires", "pcode": None},
                    {"activity": "circling"},
                ):
                    clock.advance(timedelta(minutes=3))
                    body = sighting_body(clock.now(), **fields)
                    created = c.post("/api/v1/sightings", json=body, headers=auth(spotter))
                    assert created.status_code == 201
            first = [sse.get(timeout=10) for _ in range(2)]
            assert [a["level"] for a in first] == ["watch", "imminent"]
            got = mqtt_in.take()
            caps = [m.payload for m in got if m.topic == topic]
            assert len(caps) == 2
            for payload in caps:
                cap_schema().validate(payload)
            # The siren's state is published (retained) from the first alert on: off at watch.
            assert [m.payload for m in got if m.topic == siren] == [b"off", b"on"]
            hooked = [json.loads(hook.received.get(timeout=10)[1]) for _ in range(2)]
            assert [h["alert"]["level"] for h in hooked] == ["watch", "imminent"]

            # The server's own timer runs the tick: the aircraft's track ends, then the all-clear.
            clock.advance(timedelta(minutes=11))
            time.sleep(3)
            clock.advance(timedelta(minutes=11))
            cleared = sse.get(timeout=10)
            while cleared["level"] != "all_clear":
                # Neighbours warned as the aircraft circled come first.
                assert cleared["level"] == "warning"
                cleared = sse.get(timeout=10)
            assert HANANO_PCODE in [z["pcode"] for z in cleared["zones"]]
            after = mqtt_in.take()
            on_topic = [m.payload for m in after if m.topic == topic]
            assert b"AllClear" in on_topic[0] and on_topic[-1] == b""
            cap_schema().validate(on_topic[0])
            assert [m.payload for m in after if m.topic == siren] == [b"off"]
            delivered = [json.loads(hook.received.get(timeout=10)[1])["alert"]["level"]]
            while delivered[-1] != "all_clear":
                delivered.append(json.loads(hook.received.get(timeout=10)[1])["alert"]["level"])
            assert set(delivered) <= {"warning", "all_clear"}
    finally:
        mqtt_in.close()
