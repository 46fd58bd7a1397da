"""The public and reporters never see where rescuers work now."""

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from tests.helpers import HANANO, auth, post, report_body

HIDDEN_KEYS = {"reports", "trapped", "casualties", "uncertainty_m", "opened_at", "updated_at"}


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("role", ["public", "reporter", None])
def test_fresh_incident_is_hidden_then_shown_at_neighbourhood_precision(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, role: str | None
) -> None:
    headers = auth(tokens[role]) if role else {}
    body = report_body(
        clock.now(), lat=HANANO[0] + 0.001, lon=HANANO[1], trapped=4, text="Ahmad is trapped"
    )
    incident_id = post(client, tokens["dispatcher"], body).json()["incident"]["id"]
    assert client.get("/api/v1/incidents", headers=headers).json()["incidents"] == []
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=headers).status_code == 404

    clock.advance(timedelta(minutes=118))
    assert client.get("/api/v1/incidents", headers=headers).json()["count"] == 0
    clock.advance(timedelta(minutes=3))
    listed = client.get("/api/v1/incidents", headers=headers).json()["incidents"]
    assert [i["id"] for i in listed] == [incident_id]
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()
    zones = client.get("/api/v1/neighbourhoods", headers=headers).json()
    assert detail["neighbourhood"]["pcode"] == "N0129"
    assert not keys(detail) & HIDDEN_KEYS
    assert "Ahmad" not in str(detail)
    assert detail["location"]["precision"] == "neighbourhood"
    # The point shown is the zone's centre, hundreds of metres from the site.
    assert (
        abs(detail["location"]["lat"] - body["lat"]) > 0.002
        or abs(detail["location"]["lon"] - body["lon"]) > 0.002
    )
    assert any(f["id"] == "N0129" for f in zones["features"])


def test_cleared_incident_is_public_at_once(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    incident_id = post(
        client, tokens["dispatcher"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
    ).json()["incident"]["id"]
    client.post(
        f"/api/v1/incidents/{incident_id}/status",
        json={"status": "cleared", "reason": "all out"},
        headers=auth(tokens["dispatcher"]),
    )
    listed = client.get("/api/v1/incidents", headers=auth(tokens["public"])).json()["incidents"]
    assert [i["id"] for i in listed] == [incident_id]
    assert listed[0]["status"] == "cleared"


def test_reporter_learns_nothing_of_the_incident(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    operator = post(
        client, tokens["dispatcher"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
    ).json()
    incident_id = operator["incident"]["id"]
    # Probes near the open incident and far from it get the same answer: their own report id.
    for role in ("reporter", "spotter"):
        for lat in (HANANO[0] + 0.0008, HANANO[0] + 0.004):
            answer = post(
                client, tokens[role], report_body(clock.now(), lat=lat, lon=HANANO[1])
            ).json()
            assert set(answer) == {"id", "status"}
            assert incident_id not in json.dumps(answer)


def test_operators_see_the_exact_place(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    post(
        client,
        tokens["reporter"],
        report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], accuracy_m=10.0),
    )
    listed = client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()
    incident_id = listed["incidents"][0]["id"]
    for role in ("admin", "dispatcher", "team_leader", "auditor"):
        detail = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens[role])).json()
        assert detail["location"]["lat"] == pytest.approx(HANANO[0])
        assert detail["location"]["precision"] == "point"
    # A spotter's token is handed out like a reporter's: the open site stays hidden from it.
    hidden = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["spotter"]))
    assert hidden.status_code == 404
