"""The three forms: built from their XLSForm sources, and each becoming its own record."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.field import forms
from hanano.field.form_build import build
from hanano.service import Service
from tests.dispatch.support import make_incident, make_team
from tests.field.collect import instance, submit
from tests.field.test_openrosa import event_count, record_of
from tests.helpers import HANANO, auth, offset


@pytest.mark.parametrize("form_id", sorted(forms.FORM_ROLES))
def test_each_served_form_is_its_xlsform_source_converted(form_id: str) -> None:
    """The committed XForm is what pyxform makes of the committed source: run
    `python -m hanano.field.form_build` after changing a source."""
    served = (forms.FORMS_DIR / f"{form_id}.xml").read_bytes()
    assert build(forms.FORMS_DIR / f"{form_id}.md") == served
    assert forms.form(form_id).version.isdigit()


def entries(client: TestClient, token: str, after: int = 0) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/events?after={after}", headers=auth(token)).json()["events"]
    return [json.loads(e["entry"]) | {"seq": e["seq"]} for e in found if e["entry"]]


def test_a_spotter_s_sighting_becomes_a_sighting_with_its_track(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    where = offset(*HANANO, north_m=-400)
    xml = instance(
        "hanano_sighting",
        {
            "aircraft": "helicopter",
            "activity": "circling",
            "bearing_deg": "45",
            "heading_deg": None,
            "location": f"{where[0]} {where[1]} 380 8",
            "observed_at": (clock.now() - timedelta(minutes=1)).isoformat(),
            "text": "تحوم فوق الحي",
        },
    )
    answer = submit(client, tokens["spotter"], xml)
    assert answer.status_code == 201, answer.text
    record = record_of(answer)
    assert record["form"] == "hanano_sighting"
    found = {e["seq"]: e for e in entries(client, tokens["admin"])}
    sighting = found[int(record["log_index"])]
    assert sighting["type"] == "warning.sighting_reported"
    assert sighting["data"]["sighting_id"] == record["id"]
    assert sighting["data"]["aircraft"] == "helicopter"
    assert sighting["data"]["activity"] == "circling"
    submitted = [e for e in found.values() if e["type"] == "field.form_submitted"]
    assert [e["data"]["record_id"] for e in submitted] == [record["id"]]


def test_a_sighting_is_held_to_the_sighting_rules(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    before = event_count(aleppo)
    answers = {
        "aircraft": "drone",
        "activity": "bearing",
        "observed_at": clock.now().isoformat(),
    }
    # A bearing sighting without a bearing, from a spotter with neither post nor position.
    answer = submit(client, tokens["spotter"], instance("hanano_sighting", answers))
    assert answer.status_code == 422
    assert "bearing" in answer.text
    unknown = submit(
        client, tokens["spotter"], instance("hanano_sighting", {**answers, "aircraft": "ufo"})
    )
    assert unknown.status_code == 422 and "aircraft" in unknown.text
    assert event_count(aleppo) == before


@pytest.mark.parametrize(
    ("role", "form_id"),
    [
        ("reporter", "hanano_sighting"),
        ("spotter", "hanano_report"),
        ("reporter", "hanano_team_status"),
        ("dispatcher", "hanano_team_status"),
        ("auditor", "hanano_report"),
        ("public", "hanano_report"),
    ],
)
def test_a_form_the_token_is_not_handed_is_refused(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    role: str,
    form_id: str,
) -> None:
    before = event_count(aleppo)
    xml = instance(form_id, {"kind": "strike", "observed_at": clock.now().isoformat()})
    answer = submit(client, tokens[role], xml)
    assert answer.status_code == 404
    assert "not among this token's forms" in answer.text
    assert event_count(aleppo) == before


def _leader(client: TestClient, tokens: dict[str, str], team: str | None) -> str:
    body: dict[str, Any] = {"role": "team_leader", "name": "Khaled"}
    if team:
        body["team"] = team
    issued = client.post("/api/v1/tokens", json=body, headers=auth(tokens["admin"]))
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


def _status(at: Any, where: tuple[float, float], note: str | None = None) -> bytes:
    return instance(
        "hanano_team_status",
        {"location": f"{where[0]} {where[1]} 0 12", "observed_at": at.isoformat(), "note": note},
    )


def test_a_team_leader_s_status_moves_their_team_and_checks_in(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    team = make_team(client, tokens["dispatcher"], "Hanano-1")["id"]
    leader = _leader(client, tokens, team)
    where = offset(*HANANO, north_m=200)
    answer = submit(client, leader, _status(clock.now() - timedelta(minutes=1), where))
    assert answer.status_code == 201, answer.text
    assert record_of(answer)["id"] == team
    shown = client.get(f"/api/v1/teams/{team}", headers=auth(tokens["dispatcher"])).json()
    assert (shown["position"]["lat"], shown["position"]["lon"]) == pytest.approx(where)
    # A check-in note needs a task to check in from: refused whole, nothing written.
    before = event_count(aleppo)
    refused = submit(client, leader, _status(clock.now(), where, "وصلنا"))
    assert refused.status_code == 409 and "no task" in refused.text
    assert event_count(aleppo) == before
    incident = make_incident(client, tokens["dispatcher"], clock)
    assigned = client.post(
        f"/api/v1/incidents/{incident}/assign",
        json={"team_id": team, "reason": "nearest"},
        headers=auth(tokens["dispatcher"]),
    )
    assert assigned.status_code == 201, assigned.text
    clock.advance(timedelta(minutes=2))
    checked = submit(client, leader, _status(clock.now(), where, "وصلنا"))
    assert checked.status_code == 201, checked.text
    kinds = [e["type"] for e in entries(client, tokens["admin"], before)]
    assert "dispatch.team_checked_in" in kinds


def test_a_leader_token_without_a_team_may_not_send_a_status(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    make_team(client, tokens["dispatcher"], "Hanano-1")
    before = event_count(aleppo)
    answer = submit(client, tokens["team_leader"], _status(clock.now(), HANANO))
    assert answer.status_code == 403
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert event_count(aleppo) == before
