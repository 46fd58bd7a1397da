"""Alerts and pull-back orders go out by SMS (through FakeSmsGateway, the fake of the gateway
phone) to the registered phones of the zones and teams they concern, and to no other."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.tokens import CONSOLE
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.domain import finish
from hanano.errors import Problem
from hanano.field import api
from hanano.field.sms_alerts import SmsAlerts
from hanano.field.sms_setup import Gateway
from hanano.field.tables import sms_phones
from hanano.service import Service
from hanano.settings import Settings
from hanano.warning import api as warning_api
from hanano.warning.manual import ManualAlertIn
from tests.dispatch.support import make_incident, make_team
from tests.dispatch.test_site_risk import _on_scene
from tests.field.sms_gateway import PASSWORD, SIGNING_KEY, USERNAME, FakeSmsGateway
from tests.helpers import HANANO, auth

HANANO_PCODE, SAKHOUR_PCODE = "N0129", "N0139"
IN_HANANO, IN_SAKHOUR, LEADER, OTHER_LEADER = (
    "+963944100001",
    "+963944100002",
    "+963944100003",
    "+963944100004",
)


def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "not within the time allowed"
        time.sleep(0.02)


@pytest.fixture
def gateway(aleppo: Service) -> Iterator[FakeSmsGateway]:
    fake = FakeSmsGateway()
    with fake.running():
        send = (fake.url, USERNAME, PASSWORD)
        finish(api.add_gateway(aleppo, CONSOLE, "roof-1", SIGNING_KEY, send))
        yield fake


def sent_to(gateway: FakeSmsGateway) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in gateway.sent:
        for number in message["phoneNumbers"]:
            found.setdefault(number, []).append(message["textMessage"]["text"])
    return found


def alert(client: TestClient, token: str, zones: list[str], level: str) -> dict[str, Any]:
    body = {"zones": zones, "level": level, "reason": "helicopter circling, seen from the roof"}
    answer = client.post("/api/v1/alerts", json=body, headers=auth(token))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


# The served app (the test client) runs the field domain's SMS sender itself.


def test_an_alert_goes_to_the_phones_of_its_zones_and_no_other(
    client: TestClient, tokens: dict[str, str], aleppo: Service, gateway: FakeSmsGateway
) -> None:
    finish(api.add_phone(aleppo, CONSOLE, IN_HANANO, "reporter", None, None, ("Hanano",)))
    finish(api.add_phone(aleppo, CONSOLE, IN_SAKHOUR, "reporter", None, None, (SAKHOUR_PCODE,)))
    alert(client, tokens["dispatcher"], [HANANO_PCODE], "imminent")
    wait_for(lambda: IN_HANANO in sent_to(gateway))
    [text] = sent_to(gateway)[IN_HANANO]
    assert text.startswith("غارة وشيكة: هنانو. احتموا الآن")
    assert "\nAir strike imminent: Hanano. Take shelter now" in text
    assert len(text) <= 300
    # An aircraft merely airborne ("watch") is not sent: it would be sent all day.
    alert(client, tokens["dispatcher"], [SAKHOUR_PCODE], "watch")
    time.sleep(0.5)
    assert IN_SAKHOUR not in sent_to(gateway)
    assert len(gateway.sent) == 1


def test_a_pull_back_order_and_its_end_go_to_the_team_s_leader_only(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    gateway: FakeSmsGateway,
) -> None:
    d = tokens["dispatcher"]
    struck = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    other = make_team(client, d, "Hanano-2")
    finish(api.add_phone(aleppo, CONSOLE, LEADER, "team_leader", team["id"], None))
    finish(api.add_phone(aleppo, CONSOLE, OTHER_LEADER, "team_leader", other["id"], None))
    _on_scene(client, d, struck, team["id"])
    lat, lon = HANANO
    body = {"lat": lat, "lon": lon, "radius_m": 300, "reason": "helicopter overhead, by radio"}
    assert client.post("/api/v1/threats", json=body, headers=auth(d)).status_code == 201
    wait_for(lambda: LEADER in sent_to(gateway))
    [order, *rest] = sent_to(gateway)[LEADER]
    assert rest == [], rest
    assert order.startswith(f"انسحبوا الآن ({team['id']})")
    assert f"PULL BACK NOW ({team['id']})" in order
    assert OTHER_LEADER not in sent_to(gateway)


def test_a_failed_send_is_tried_again_and_then_given_up(
    aleppo: Service, gateway: FakeSmsGateway
) -> None:
    """With no served app (whose own sender would claim the alert), this sender alone."""
    tried: list[str] = []

    def refusing(gateway: Gateway, number: str, text: str) -> bool:
        tried.append(number)
        return len(tried) >= 2  # the gateway phone is back on its second try

    out = SmsAlerts(aleppo, send=refusing, first_retry_s=0.05).start()
    try:
        finish(api.add_phone(aleppo, CONSOLE, IN_HANANO, "reporter", None, None, (HANANO_PCODE,)))
        body = ManualAlertIn(zones=[HANANO_PCODE], level="warning", reason="jets over Hanano")
        finish(warning_api.issue_alert(aleppo, CONSOLE, body))
        wait_for(lambda: len(tried) == 2)
        time.sleep(0.3)
        assert tried == [IN_HANANO, IN_HANANO]
    finally:
        out.stop()


def test_an_unknown_zone_is_refused_by_name_and_nothing_is_written(aleppo: Service) -> None:
    with pytest.raises(Problem) as refused:
        finish(api.add_phone(aleppo, CONSOLE, IN_HANANO, "reporter", None, None, ("Atlantis",)))
    assert refused.value.status == 422 and "'Atlantis'" in refused.value.detail
    with aleppo.engine.connect() as conn:
        assert conn.execute(select(sms_phones)).all() == []


def test_the_cli_registers_a_number_for_its_zones(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    add = ["--db", db_url, "sms", "add-phone", IN_HANANO, "--role", "reporter"]
    result = runner.invoke(main, [*add, "--zone", "Hanano", "--zone", "N0139"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(
        main, [*add[:4], IN_SAKHOUR, "--role", "reporter", "--zone", "Atlantis"]
    )
    assert refused.exit_code != 0 and "'Atlantis' is not a neighbourhood" in refused.output


def test_an_alert_the_cli_issues_while_the_server_runs_is_texted_too(
    client: TestClient,
    aleppo: Service,
    settings: Settings,
    clock: ManualClock,
    gateway: FakeSmsGateway,
) -> None:
    finish(api.add_phone(aleppo, CONSOLE, IN_SAKHOUR, "reporter", None, None, (SAKHOUR_PCODE,)))
    # `hanano warn issue` is its own process with its own writer, as this second service is.
    console = Service(settings, clock=clock).start()
    try:
        body = ManualAlertIn(zones=[SAKHOUR_PCODE], level="imminent", reason="jets over Sakhour")
        finish(warning_api.issue_alert(console, CONSOLE, body))
    finally:
        console.stop()
    wait_for(lambda: IN_SAKHOUR in sent_to(gateway), seconds=5.0)


def test_two_servers_text_each_alert_once(
    aleppo: Service, settings: Settings, clock: ManualClock, gateway: FakeSmsGateway
) -> None:
    second = Service(settings, clock=clock).start()
    senders = [SmsAlerts(aleppo).start(), SmsAlerts(second).start()]
    try:
        finish(api.add_phone(aleppo, CONSOLE, IN_HANANO, "reporter", None, None, (HANANO_PCODE,)))
        for level, runtime in (("warning", aleppo), ("imminent", second)):
            body = ManualAlertIn(zones=[HANANO_PCODE], level=level, reason="jets over Hanano")
            finish(warning_api.issue_alert(runtime, CONSOLE, body))
        wait_for(lambda: len(sent_to(gateway).get(IN_HANANO, [])) >= 2)
        time.sleep(2.5)  # both senders have looked again since
        texts = sent_to(gateway)[IN_HANANO]
        assert len(texts) == 2, texts
        assert [t.split(":")[0] for t in texts] == ["طائرة حربية تقترب", "غارة وشيكة"]
    finally:
        for sender in senders:
            sender.stop()
        second.stop()
