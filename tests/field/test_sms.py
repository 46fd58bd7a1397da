"""SMS in through a gateway phone (faked: FakeSmsGateway), acted on by the sender's role, and
answered by SMS through the gateway's send API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.tokens import CONSOLE
from hanano.clock import ManualClock
from hanano.domain import finish
from hanano.field import api
from hanano.service import Service
from hanano.store import schema
from tests.dispatch.support import make_incident, make_team
from tests.field.sms_gateway import PASSWORD, SIGNING_KEY, USERNAME, FakeSmsGateway, signed, webhook
from tests.field.test_forms import entries
from tests.field.test_openrosa import event_count
from tests.helpers import auth

INBOUND = "/api/v1/sms/inbound"


@pytest.fixture
def gateway(aleppo: Service) -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway()
    with fake.running():
        send = (fake.url, USERNAME, PASSWORD)
        finish(api.add_gateway(aleppo, CONSOLE, "roof-1", SIGNING_KEY, send))
        yield fake


def inbound(client: TestClient, clock: ManualClock, body: bytes, **kw: Any) -> Any:
    return client.post(INBOUND, content=body, headers=signed(body, clock.now(), **kw))


def sms_events(client: TestClient, tokens: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in entries(client, tokens["admin"]) if e["type"] == "field.sms_received"]


def test_a_citizen_s_sms_is_a_report_placed_and_counted_and_answered(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    text = "قصف على حي الصاخور الآن، ٣ عالقين تحت الأنقاض و٢ جرحى"
    answer = inbound(client, clock, webhook(text))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "report"
    incidents = client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()
    (incident,) = incidents["incidents"]
    assert incident["neighbourhood"]["pcode"] == "N0139"  # Al-Sakhour, named in the text
    detail = client.get(
        f"/api/v1/incidents/{incident['id']}", headers=auth(tokens["dispatcher"])
    ).json()
    (report,) = detail["reports"]
    assert (report["trapped"], report["casualties"], report["source"]) == (3, 2, "citizen")
    assert report["id"] == answer.json()["id"]
    (sent,) = gateway.sent
    assert sent["phoneNumbers"] == ["+963944000111"]
    assert "Report received" in sent["textMessage"]["text"]
    assert "وصل بلاغك" in sent["textMessage"]["text"]
    (logged,) = sms_events(client, tokens)
    # Sealed in the log: the number and the text are commitments, never plaintext.
    assert "+963944000111" not in str(logged) and "الصاخور" not in str(logged)
    assert logged["data"]["outcome"] == "report"


def test_an_unplaced_sms_is_kept_and_its_sender_asked_where(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    answer = inbound(client, clock, webhook("strike now, 4 trapped, please come"))
    assert answer.status_code == 200 and answer.json()["outcome"] == "report"
    (sent,) = gateway.sent
    assert "neighbourhood" in sent["textMessage"]["text"]


def test_a_retried_webhook_writes_nothing_and_sends_no_second_reply(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway, aleppo: Service
) -> None:
    body = webhook("غارة على هنانو")
    first = inbound(client, clock, body)
    before = event_count(aleppo)
    clock.advance(timedelta(seconds=40))
    again = inbound(client, clock, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert event_count(aleppo) == before
    assert len(gateway.sent) == 1


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("wrong key", {"key": "another-signing-key-xyz"}),
        ("an hour late", {"late": timedelta(hours=1)}),
        ("six minutes early", {"late": -timedelta(minutes=6)}),
        ("no signature", {"drop": "X-Signature"}),
        ("no timestamp", {"drop": "X-Timestamp"}),
    ],
)
def test_a_bad_signature_or_time_is_401_and_writes_nothing(
    client: TestClient,
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
    case: str,
    headers: dict[str, Any],
) -> None:
    body = webhook("غارة على هنانو")
    at = clock.now() - headers.get("late", timedelta(0))
    sent = signed(body, at, headers.get("key", SIGNING_KEY))
    sent.pop(headers.get("drop", ""), None)
    before = event_count(aleppo)
    answer = client.post(INBOUND, content=body, headers=sent)
    assert answer.status_code == 401, case
    assert event_count(aleppo) == before
    assert gateway.sent == []


@pytest.mark.parametrize("timestamp", [b"9" * 5000, "\u00b2".encode("latin-1"), b"-1", b"1e9"])
def test_a_timestamp_that_is_no_unix_time_is_401_and_writes_nothing(
    client: TestClient,
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
    timestamp: bytes,
) -> None:
    # Thousands of digits are past what int() reads; "\u00b2" passes str.isdigit(): each
    # was a 500.
    body = webhook("غارة على هنانو")
    sent: dict[str, Any] = signed(body, clock.now())
    sent["X-Timestamp"] = timestamp
    before = event_count(aleppo)
    answer = client.post(INBOUND, content=body, headers=sent)
    assert answer.status_code == 401
    assert "X-Timestamp" in answer.json()["detail"]
    assert event_count(aleppo) == before


def test_a_signature_with_letters_outside_ascii_is_401_and_writes_nothing(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway, aleppo: Service
) -> None:
    # hmac.compare_digest raises on such text: it was a 500.
    body = webhook("غارة على هنانو")
    sent: dict[str, Any] = signed(body, clock.now())
    sent["X-Signature"] = "\u00e9".encode("latin-1") * 64
    before = event_count(aleppo)
    answer = client.post(INBOUND, content=body, headers=sent)
    assert answer.status_code == 401
    assert "X-Signature" in answer.json()["detail"]
    assert event_count(aleppo) == before


def test_a_body_changed_after_signing_is_401(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway, aleppo: Service
) -> None:
    headers = signed(webhook("غارة على هنانو"), clock.now())
    before = event_count(aleppo)
    forged = client.post(INBOUND, content=webhook("غارة على الصاخور"), headers=headers)
    assert forged.status_code == 401
    assert event_count(aleppo) == before


@pytest.mark.parametrize(
    "message",
    [
        "غارة " * 2100,  # 10 KB of text
        "\x00\x01\x02\x03\x7f\ufffd" * 40 + "\u202e\x1b[2J",  # binary junk, decoded as it came
    ],
    ids=["10 KB", "binary"],
)
def test_a_huge_or_binary_sms_gets_a_polite_reply_and_a_logged_refusal(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
    message: str,
) -> None:
    answer = inbound(client, clock, webhook(message))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "refused"
    (sent,) = gateway.sent
    assert "Sorry" in sent["textMessage"]["text"] and "عذراً" in sent["textMessage"]["text"]
    (logged,) = sms_events(client, tokens)
    assert logged["data"]["outcome"] == "refused"
    # Refused, its text is not kept: the sealed field holds nothing.
    with aleppo.engine.connect() as conn:
        kept = conn.execute(
            select(schema.sealed_fields.c.value).where(
                schema.sealed_fields.c.seq == logged["seq"],
                schema.sealed_fields.c.field == "text",
            )
        ).scalar_one()
    assert json.loads(kept) is None
    assert logged["data"]["size"] >= 240
    assert (
        client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()["incidents"]
        == []
    )


def test_a_team_leader_s_number_moves_their_task_on(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
) -> None:
    team = make_team(client, tokens["dispatcher"], "Hanano-1")["id"]
    finish(api.add_phone(aleppo, CONSOLE, "+963 933 000 222", "team_leader", team, "Khaled"))
    incident = make_incident(client, tokens["dispatcher"], clock)
    task = client.post(
        f"/api/v1/incidents/{incident}/assign",
        json={"team_id": team, "reason": "nearest"},
        headers=auth(tokens["dispatcher"]),
    ).json()
    for text, state in (("انطلقنا", "en_route"), ("وصلنا", "on_scene")):
        clock.advance(timedelta(minutes=2))
        answer = inbound(client, clock, webhook(text, number="00963933000222", message_id=text))
        assert answer.json()["outcome"] == "step", answer.text
        shown = client.get(f"/api/v1/tasks/{task['id']}", headers=auth(tokens["dispatcher"]))
        assert shown.json()["state"] == state
    # A step the task cannot take is refused, logged and explained to the sender.
    answer = inbound(client, clock, webhook("on scene", number="+963933000222", message_id="x"))
    assert answer.json()["outcome"] == "refused"
    assert "Not recorded" in gateway.sent[-1]["textMessage"]["text"]


def test_a_spotter_s_number_reports_a_sighting_over_a_neighbourhood(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
) -> None:
    finish(api.add_phone(aleppo, CONSOLE, "+963955000333", "spotter", None, None))
    answer = inbound(client, clock, webhook("مروحية تحوم فوق الصاخور", number="+963955000333"))
    assert answer.json()["outcome"] == "sighting", answer.text
    found = [
        e for e in entries(client, tokens["admin"]) if e["type"] == "warning.sighting_reported"
    ]
    (sighting,) = found
    assert sighting["data"]["aircraft"] == "helicopter"
    assert sighting["data"]["activity"] == "circling"
    assert "Sighting received" in gateway.sent[-1]["textMessage"]["text"]


def test_a_network_s_named_sender_is_logged_refused_and_not_answered(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    answer = inbound(client, clock, webhook("Your balance is 100 SYP", number="Syriatel"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "refused"
    assert gateway.sent == []
    (logged,) = sms_events(client, tokens)
    assert logged["data"]["reason"] == "the sender is not a phone number"


def test_a_message_with_direction_marks_is_read_with_them_taken_out(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    # Phones put right-to-left marks in Arabic text; the log takes no bidirectional controls.
    answer = inbound(client, clock, webhook("\u200fقصف على الصاخور\u200f ٢ عالقين"))
    assert answer.json()["outcome"] == "report", answer.text
    detail = client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()
    (incident,) = detail["incidents"]
    shown = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth(tokens["dispatcher"]))
    (report,) = shown.json()["reports"]
    assert report["text"] == "قصف على الصاخور ٢ عالقين" and report["trapped"] == 2


def test_gateways_phones_and_messages_survive_a_rebuild(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    gateway: FakeSmsGateway,
    aleppo: Service,
) -> None:
    finish(api.add_phone(aleppo, CONSOLE, "+963955000333", "spotter", None, None))
    body = webhook("مروحية تحوم فوق الصاخور", number="+963955000333")
    first = inbound(client, clock, body)
    assert first.json()["outcome"] == "sighting"
    aleppo.rebuild()
    before = event_count(aleppo)
    # The gateway's key, the phone's role and the message are all known again from the log.
    again = inbound(client, clock, body)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert event_count(aleppo) == before
    other = inbound(client, clock, webhook("مسيرة فوق الصاخور", number="+963955000333"))
    assert other.json()["outcome"] == "sighting"


@pytest.mark.parametrize(
    ("case", "body", "content_type"),
    [
        ("malformed JSON", b'{"event": ', "application/json"),
        ("not JSON at all", b"\xff\xfe junk", "application/json"),
        ("no payload", b'{"event": "sms:received"}', "application/json"),
        ("form data", b"event=sms%3Areceived", "application/x-www-form-urlencoded"),
        ("no body", b"", "application/json"),
    ],
)
def test_an_unsigned_request_learns_nothing_of_the_body_s_shape(
    client: TestClient, aleppo: Service, case: str, body: bytes, content_type: str
) -> None:
    """Whoever cannot sign is told only that: no 415 or 422 describing what the route expects."""
    before = event_count(aleppo)
    answer = client.post(INBOUND, content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 401, (case, answer.status_code, answer.text)
    assert event_count(aleppo) == before


def test_a_signed_but_malformed_webhook_is_422_naming_what_is_wrong(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway, aleppo: Service
) -> None:
    body = b'{"event": "sms:received"}'
    before = event_count(aleppo)
    answer = inbound(client, clock, body)
    assert answer.status_code == 422
    assert "payload" in answer.text
    assert event_count(aleppo) == before


def test_a_reply_the_gateway_refuses_is_sent_again(
    client: TestClient, clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    gateway.unavailable = 1
    answer = inbound(client, clock, webhook("غارة على هنانو"))
    assert answer.status_code == 200
    # The test client runs the reply (a background task) before it returns: the second try.
    assert gateway.unavailable == 0
    [reply] = gateway.sent
    assert reply["phoneNumbers"] == ["+963944000111"]
