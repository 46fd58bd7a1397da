"""The radio log over HTTP: a line is read (writing nothing) into what it says and the request
that records it; sending that request records the report, step or sighting, once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.city.commands import add_alias
from hanano.clock import ManualClock
from hanano.service import Service
from tests.dispatch.support import assign, make_incident, make_team, move
from tests.field.test_forms import entries
from tests.field.test_openrosa import event_count
from tests.helpers import auth

PARSE = "/api/v1/radio/parse"


def parse(client: TestClient, token: str, text: str) -> Any:
    return client.post(PARSE, json={"text": text}, headers=auth(token))


def send(client: TestClient, token: str, reading: dict[str, Any]) -> Any:
    request = reading["request"]
    return client.request(
        request["method"], request["path"], json=request["body"], headers=auth(token)
    )


def test_a_strike_heard_is_shown_then_saved_once_as_a_radio_log_report(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    dispatcher = tokens["dispatcher"]
    before = event_count(aleppo)
    answer = parse(client, dispatcher, "غارة على الصاخور ٣ عالقين و٢ جرحى")
    assert answer.status_code == 200, answer.text
    reading = answer.json()
    assert reading["kind"] == "report"
    understood = reading["understood"]
    assert understood["place"]["pcode"] == "N0139"
    assert understood["place"]["name_ar"] == "الصاخور"
    assert (understood["trapped"], understood["casualties"]) == (3, 2)
    assert event_count(aleppo) == before  # reading writes nothing
    saved = send(client, dispatcher, reading)
    assert saved.status_code == 201, saved.text
    again = send(client, dispatcher, reading)  # Enter pressed twice, or a retry
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    (incident,) = client.get("/api/v1/incidents", headers=auth(dispatcher)).json()["incidents"]
    assert incident["neighbourhood"]["pcode"] == "N0139"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth(dispatcher)).json()
    (report,) = detail["reports"]
    assert (report["source"], report["trapped"], report["casualties"]) == ("radio_log", 3, 2)


def test_a_team_s_step_heard_moves_its_task(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    dispatcher = tokens["dispatcher"]
    team = make_team(client, dispatcher, "Bustan crew")
    incident = make_incident(client, dispatcher, clock)
    task = assign(client, dispatcher, incident, team["id"])
    assert move(client, dispatcher, task["id"], "en_route").status_code == 200
    number = team["id"].removeprefix("T-")
    reading = parse(client, dispatcher, f"Team {number} on scene at Bustan al-Qasr").json()
    assert reading["kind"] == "step"
    assert reading["understood"]["team"]["id"] == team["id"]
    assert reading["understood"]["state"] == "on_scene"
    assert reading["understood"]["place"]["name"] == "Bustan Al-Qaser"
    assert send(client, dispatcher, reading).status_code == 200
    now = client.get(f"/api/v1/tasks/{task['id']}", headers=auth(dispatcher)).json()
    assert now["state"] == "on_scene"
    # Heard again: the task has moved on, and the line is refused naming the task's state.
    refused = parse(client, dispatcher, f"الفريق {number} وصلنا")
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "task" and "on_scene" in error["message"]


def test_an_aircraft_heard_is_a_radio_log_sighting_with_its_heading(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = tokens["admin"]
    reading = parse(client, admin, "helicopter heading north over Hanano 2").json()
    assert reading["kind"] == "sighting"
    assert reading["understood"]["aircraft"] == "helicopter"
    assert reading["understood"]["heading_deg"] == 0.0
    assert reading["understood"]["place"]["pcode"] == "N0129"
    saved = send(client, admin, reading)
    assert saved.status_code == 201, saved.text
    logged = [e for e in entries(client, admin) if e["type"] == "warning.sighting_reported"]
    (sighting,) = logged
    assert sighting["data"]["source"] == "radio_log"
    assert sighting["data"]["sighting_id"] == reading["request"]["body"]["id"]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("the weather is fine", ["what"]),
        ("strike now, 4 trapped", ["place"]),
        ("Team 77 on scene", ["team"]),
        ("Team 1 at Hanano", ["step"]),
        ("   ", ["text"]),
        ("\x00\x01\x02 strike", ["text"]),
        ("strike Sakhour " + "x" * 600, ["text"]),
    ],
)
def test_a_line_not_understood_names_what_was_not_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], aleppo: Service, text: str, fields: list[str]
) -> None:
    make_team(client, tokens["dispatcher"], "One")
    before = event_count(aleppo)
    answer = parse(client, tokens["dispatcher"], text)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == fields
    assert event_count(aleppo) == before


def test_a_team_without_a_task_is_told_so(client: TestClient, tokens: dict[str, str]) -> None:
    team = make_team(client, tokens["dispatcher"], "Idle")
    answer = parse(client, tokens["dispatcher"], f"{team['id']} en route")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "task"


@pytest.mark.parametrize(
    "role", ["team_leader", "spotter", "reporter", "auditor", "public", "mirror"]
)
def test_only_dispatchers_and_admins_read_the_radio(
    client: TestClient, tokens: dict[str, str], role: str
) -> None:
    """A stolen field token learns nothing from the radio log: not which teams exist, nor
    what a place is called, nor which team has a task."""
    make_team(client, tokens["dispatcher"], "Hidden crew")
    answer = parse(client, tokens[role], "Team 1 on scene")
    assert answer.status_code == 403
    assert "T-1" not in answer.text and "Hidden" not in answer.text


def test_a_signed_count_heard_is_left_unknown_and_the_reading_says_why(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    dispatcher = tokens["dispatcher"]
    answer = parse(client, dispatcher, "strike Sakhour -5 trapped")
    assert answer.status_code == 200, answer.text
    reading = answer.json()
    understood = reading["understood"]
    assert reading["kind"] == "report" and understood["place"]["pcode"] == "N0139"
    assert understood["trapped"] is None and understood["casualties"] is None
    (why,) = understood["not_counted"]
    assert "-5 trapped" in why and "no sign" in why
    assert "trapped" not in reading["request"]["body"]
    assert send(client, dispatcher, reading).status_code == 201
    (incident,) = client.get("/api/v1/incidents", headers=auth(dispatcher)).json()["incidents"]
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=auth(dispatcher)).json()
    (report,) = detail["reports"]
    assert report["trapped"] is None and report["text"] == "strike Sakhour -5 trapped"
    plain = parse(client, dispatcher, "strike Sakhour 5 trapped").json()["understood"]
    assert (plain["trapped"], plain["not_counted"]) == (5, [])


def test_a_step_heard_before_the_one_it_needs_names_that_one_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    """A team heard "on scene" while its task is only assigned: as on the leader's phone, the
    step is not taken for two; the reading names the step to send first."""
    dispatcher = tokens["dispatcher"]
    team = make_team(client, dispatcher, "Bustan crew")
    task = assign(client, dispatcher, make_incident(client, dispatcher, clock), team["id"])
    number = team["id"].removeprefix("T-")
    before = event_count(aleppo)
    refused = parse(client, dispatcher, f"Team {number} on scene")
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "task"
    assert "is assigned" in error["message"]
    assert "on_scene comes after en_route: send en_route first" in error["message"]
    assert event_count(aleppo) == before
    for said in ("en route", "on scene"):
        reading = parse(client, dispatcher, f"Team {number} {said}").json()
        assert send(client, dispatcher, reading).status_code == 200
    now = client.get(f"/api/v1/tasks/{task['id']}", headers=auth(dispatcher)).json()
    assert now["state"] == "on_scene"


@pytest.mark.parametrize(
    ("text", "pcode", "matched"),
    [
        # A landmark shipped with the gazetteer, in either language, with no quarter named.
        ("helicopter circling over the Umayyad Mosque", "N0185", "Umayyad Mosque"),
        ("drone heading east over Bab Antakya", "N0175", "Bab Antakya"),
        ("مروحية تحوم فوق قلعة حلب", "N0185", "قلعة حلب"),
        # A street the operators added to the city's names.
        ("jet over Baron Street heading south", "N0160", "Baron Street"),
    ],
)
def test_a_sighting_is_placed_by_a_street_or_landmark_the_gazetteer_knows(
    client: TestClient,
    tokens: dict[str, str],
    aleppo: Service,
    text: str,
    pcode: str,
    matched: str,
) -> None:
    aleppo.execute(lambda tx: add_alias(tx, "test", "Baron Street", "N0160"))
    dispatcher = tokens["dispatcher"]
    answer = parse(client, dispatcher, text)
    assert answer.status_code == 200, answer.text
    reading = answer.json()
    assert reading["kind"] == "sighting"
    assert reading["understood"]["place"]["pcode"] == pcode
    assert reading["understood"]["place"]["matched"] == matched
    assert reading["request"]["body"]["pcode"] == pcode
    assert send(client, dispatcher, reading).status_code == 201


def test_a_sighting_over_a_place_nobody_knows_names_the_place_as_missing(
    client: TestClient, tokens: dict[str, str]
) -> None:
    answer = parse(client, tokens["dispatcher"], "helicopter circling over the old bakery")
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "place" and "street or landmark" in error["message"]
