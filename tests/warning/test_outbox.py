"""The delivery outbox against a fake webhook subscriber (a local HTTP server) and the real
Mosquitto: retries with backoff, one delivery per alert, give-up, and deliveries a stopped or
crashed server left owed that the next start completes."""

import contextlib
import hashlib
import hmac
import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.warning.sightings import SightingIn, report_sighting
from hanano.web.app import build_app
from tests.helpers import auth
from tests.helpers_server import free_port
from tests.warning.common import HANANO_PCODE, cap_schema, setup_posts, sighting_body
from tests.warning.test_channels import MQTT_URL, Subscriber, needs_mqtt

SECRET = "outbox-secret"


class FakeSubscriber(BaseHTTPRequestHandler):
    """A subscriber's webhook endpoint, outside hanano. It checks the HMAC signature as a real
    receiver would, refuses the first `refusals` attempts at each alert with `refusal_status`,
    and records every attempt."""

    attempts: "queue.Queue[dict[str, Any]]"
    refusals: int
    refusal_status: int
    seen: dict[str, int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        expected = (
            "sha256="
            + hmac.new(
                SECRET.encode(),
                self.headers["X-Hanano-Timestamp"].encode() + b"." + body,
                hashlib.sha256,
            ).hexdigest()
        )
        signed = hmac.compare_digest(expected, self.headers["X-Hanano-Signature"])
        alert_id = self.headers["X-Hanano-Alert"]
        count = cls.seen.get(alert_id, 0) + 1
        cls.seen[alert_id] = count
        accepted = signed and count > cls.refusals
        cls.attempts.put(
            {
                "alert_id": alert_id,
                "attempt": int(self.headers["X-Hanano-Attempt"]),
                "at": time.monotonic(),
                "signed": signed,
                "accepted": accepted,
                "body": body,
            }
        )
        self.send_response(204 if accepted else (cls.refusal_status if signed else 401))
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def fake() -> Iterator[tuple[str, type[FakeSubscriber]]]:
    handler = type(
        "FakeSubscriberEndpoint",
        (FakeSubscriber,),
        {"attempts": queue.Queue(), "refusals": 0, "refusal_status": 503, "seen": {}},
    )
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def configure(service: Service, **changes: Any) -> None:
    """New settings for the service and for what its writer's reactions read."""
    service.settings = service.settings.model_copy(update=changes)
    service.sequencer.settings = service.settings


def attempts_until(
    handler: type[FakeSubscriber], done: Any, timeout: float = 20
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        assert time.monotonic() < deadline, got
        with contextlib.suppress(queue.Empty):
            got.append(handler.attempts.get(timeout=0.2))
    return got


def wait_for(check: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def deliveries(client: TestClient, admin: str, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/deliveries", params=params, headers=auth(admin))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["deliveries"]
    return items


def test_refused_webhook_is_retried_with_backoff_and_delivered_once(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, fake: Any
) -> None:
    url, handler = fake
    handler.refusals = 2
    configure(
        aleppo,
        mqtt_url=None,
        webhook_urls=url,
        webhook_secret=SECRET,
        webhook_backoff_s=0.3,
        delivery_poll_s=0.2,
    )
    setup_posts(aleppo)
    with TestClient(build_app(aleppo)) as client:
        body = sighting_body(clock.now(), activity="circling")
        created = client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"]))
        assert created.status_code == 201
        alert_ids = {a["alert_id"] for a in created.json()["alerts"]}
        got = attempts_until(
            handler, lambda g: {a["alert_id"] for a in g if a["accepted"]} == alert_ids
        )
        # Nothing more arrives once each alert is delivered.
        time.sleep(1.5)
        while not handler.attempts.empty():
            got.append(handler.attempts.get())
        rows = wait_for(
            lambda: (
                [
                    d
                    for d in deliveries(client, tokens["admin"], status="delivered")
                    if d["alert_id"] in alert_ids
                ]
                if len(deliveries(client, tokens["admin"], status="delivered")) == len(alert_ids)
                else None
            )
        )
    assert all(a["signed"] for a in got)
    for alert_id in alert_ids:
        mine = [a for a in got if a["alert_id"] == alert_id]
        assert [a["attempt"] for a in mine] == [1, 2, 3]
        assert [a["accepted"] for a in mine] == [False, False, True]
        # Backoff doubles: at least 0.3 s, then 0.6 s between attempts.
        assert mine[1]["at"] - mine[0]["at"] >= 0.25
        assert mine[2]["at"] - mine[1]["at"] >= 0.55
        payload = json.loads(mine[2]["body"])
        assert payload["alert"]["alert_id"] == alert_id
        cap_schema().validate(payload["cap"].encode())
    assert {r["alert_id"] for r in rows} == alert_ids
    for row in rows:
        assert row["channel"] == "webhook" and row["target"] == url
        assert row["attempts"] == 3 and row["last_error"] == "HTTP 503"
        assert row["delivered_at"] is not None and row["gave_up_at"] is None


def test_webhook_gives_up_and_says_so(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, fake: Any, db_url: str
) -> None:
    url, handler = fake
    handler.refusals = 1000
    configure(
        aleppo,
        mqtt_url=None,
        webhook_urls=url,
        webhook_secret=SECRET,
        webhook_backoff_s=0.1,
        webhook_attempts=3,
        delivery_poll_s=0.1,
    )
    setup_posts(aleppo)
    with TestClient(build_app(aleppo)) as client:
        body = sighting_body(clock.now(), activity="over")
        created = client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"]))
        alert_ids = {a["alert_id"] for a in created.json()["alerts"]}
        rows = wait_for(
            lambda: (
                len(deliveries(client, tokens["admin"], status="gave_up")) == len(alert_ids)
                and deliveries(client, tokens["admin"], status="gave_up")
            )
        )
        assert {r["alert_id"] for r in rows} == alert_ids
        for row in rows:
            assert row["attempts"] == 3 and row["last_error"] == "HTTP 503"
            assert row["next_attempt_at"] is None and row["delivered_at"] is None
        assert deliveries(client, tokens["admin"], status="pending") == []
        refused = client.get("/api/v1/deliveries", headers=auth(tokens["dispatcher"]))
        assert refused.status_code == 403
        bad = client.get("/api/v1/deliveries?status=lost", headers=auth(tokens["admin"]))
        assert bad.status_code == 422 and "status" in bad.text
    got = attempts_until(handler, lambda g: len(g) == 3 * len(alert_ids))
    for alert_id in alert_ids:
        assert [a["attempt"] for a in got if a["alert_id"] == alert_id] == [1, 2, 3]
    aleppo.stop()
    out = CliRunner().invoke(main, ["--db", db_url, "warn", "deliveries", "--status", "gave_up"])
    assert out.exit_code == 0, out.output
    alert_id = sorted(alert_ids)[0]
    assert alert_id in out.output and "gave_up" in out.output
    assert "attempts 3" in out.output and "HTTP 503" in out.output


def test_a_refusal_that_retrying_cannot_change_gives_up_at_once(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, fake: Any
) -> None:
    url, handler = fake
    handler.refusals, handler.refusal_status = 1000, 410
    configure(aleppo, mqtt_url=None, webhook_urls=url, webhook_secret=SECRET)
    setup_posts(aleppo)
    with TestClient(build_app(aleppo)) as client:
        body = sighting_body(clock.now(), activity="over")
        created = client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"]))
        count = len(created.json()["alerts"])
        rows = wait_for(
            lambda: (
                len(deliveries(client, tokens["admin"], status="gave_up")) == count
                and deliveries(client, tokens["admin"], status="gave_up")
            )
        )
    assert {(r["attempts"], r["last_error"]) for r in rows} == {(1, "HTTP 410")}
    assert handler.attempts.qsize() == count


def sighting_without_server(
    service: Service, clock: ManualClock, activity: str = "over", **fields: Any
) -> list[str]:
    """Alerts committed while no channel runs: the process died before delivering them."""
    sighting = SightingIn.model_validate_json(
        json.dumps(sighting_body(clock.now(), activity=activity, **fields))
    )
    result = service.execute(lambda tx: report_sighting(tx, "test", sighting))
    return [a["alert_id"] for a in result.alerts]


def test_deliveries_owed_at_a_stop_are_made_after_the_restart(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, fake: Any
) -> None:
    url, handler = fake
    handler.refusals = 1
    # A long backoff: the retry after the first refusal is not due before the service stops.
    configure(
        aleppo,
        mqtt_url=None,
        webhook_urls=url,
        webhook_secret=SECRET,
        webhook_backoff_s=3600,
        delivery_poll_s=0.2,
    )
    setup_posts(aleppo)
    with TestClient(build_app(aleppo)) as client:
        body = sighting_body(clock.now(), activity="over")
        first = {
            a["alert_id"]
            for a in client.post(
                "/api/v1/sightings", json=body, headers=auth(tokens["spotter"])
            ).json()["alerts"]
        }
        refused = attempts_until(handler, lambda g: len(g) == len(first))
        assert not any(a["accepted"] for a in refused)
        rows = wait_for(
            lambda: (
                [d for d in deliveries(client, tokens["admin"]) if d["attempts"] == 1]
                if len([d for d in deliveries(client, tokens["admin"]) if d["attempts"] == 1])
                == len(first)
                else None
            )
        )
        assert {r["status"] for r in rows} == {"pending"}
        assert all(r["next_attempt_at"] is not None for r in rows)
    # A crash: the next alert commits, and the process dies before any channel sees it.
    # (Another helicopter, circling over the far side of the city: the one over Hanano already
    # gave Hanano all the alerts circling there would.)
    crashed = sighting_without_server(aleppo, clock, "circling", pcode="N0221")
    assert crashed
    aleppo.stop()

    restarted = Service(aleppo.settings, clock=clock).start()
    try:
        # Now due: the backoff was an hour of the wall clock; the restart does not wait for the
        # never-tried delivery's grace, and an operator's retry is modelled by a short backoff.
        configure(restarted, webhook_backoff_s=0.2)
        with restarted.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE warning_deliveries SET next_attempt_at = created_at WHERE attempts = 1"
            )
        with TestClient(build_app(restarted)) as client:
            owed = {*first, *crashed}
            got = attempts_until(
                handler, lambda g: {a["alert_id"] for a in g if a["accepted"]} == owed
            )
            done = wait_for(
                lambda: (
                    len(deliveries(client, tokens["admin"], status="delivered")) == len(owed)
                    and deliveries(client, tokens["admin"], status="delivered")
                )
            )
    finally:
        restarted.stop()
    accepted = {a["alert_id"]: a["attempt"] for a in got if a["accepted"]}
    # Each crashed alert's first attempt was refused too (one refusal per alert), then retried.
    assert {d["alert_id"]: d["attempts"] for d in done} == {a: 2 for a in owed}
    assert accepted == {a: 2 for a in owed}


@needs_mqtt
def test_mqtt_publish_owed_at_a_crash_is_made_at_the_next_start(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    assert MQTT_URL is not None
    city = "outbox-" + os.urandom(5).hex()
    configure(aleppo, city=city, mqtt_url=MQTT_URL, delivery_poll_s=0.2)
    setup_posts(aleppo)
    alert_ids = sighting_without_server(aleppo, clock)
    live = Subscriber(MQTT_URL, f"hanano/{city}/alerts/#")
    try:
        with TestClient(build_app(aleppo)) as client:
            got = live.take(10)
            rows = wait_for(
                lambda: (
                    len(deliveries(client, tokens["admin"], status="delivered")) == len(alert_ids)
                    and deliveries(client, tokens["admin"], status="delivered")
                )
            )
    finally:
        live.close()
    topic = f"hanano/{city}/alerts/{HANANO_PCODE}"
    mine = [m for m in got if m.topic == topic]
    assert mine and b"<identifier>AL-" in mine[0].payload
    for message in got:
        cap_schema().validate(message.payload)
    published = {m.payload.split(b"<identifier>")[1].split(b"<")[0].decode() for m in got}
    assert published == set(alert_ids)
    assert {(r["channel"], r["attempts"]) for r in rows} == {("mqtt", 1)}
