"""Teams and hospitals: registration, duty, positions going stale, statuses."""

from datetime import timedelta

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from tests.dispatch.support import leader_token, make_hospital, make_team
from tests.helpers import HANANO, auth


def test_team_registers_on_duty_and_its_position_goes_stale_after_30_minutes(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1", crew=5)
    assert team["id"] == "T-1"
    assert team["duty"] == "on_duty"
    assert team["capabilities"] == ["light_rescue", "heavy_rescue", "medical"]
    assert team["position"] is None
    leader = leader_token(client, tokens["admin"], team["id"])
    sent = client.post(
        f"/api/v1/teams/{team['id']}/position",
        json={"lat": HANANO[0], "lon": HANANO[1], "accuracy_m": 12},
        headers=auth(leader),
    )
    assert sent.status_code == 200, sent.text
    position = client.get(f"/api/v1/teams/{team['id']}", headers=auth(d)).json()["position"]
    assert position["lat"] == HANANO[0] and position["stale"] is False
    clock.advance(timedelta(minutes=31))
    position = client.get("/api/v1/teams", headers=auth(d)).json()["teams"][0]["position"]
    assert position["stale"] is True
    assert position["age_min"] == 31.0


def test_older_position_does_not_replace_a_newer_one(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    url = f"/api/v1/teams/{team['id']}/position"
    now = clock.now()
    client.post(
        url,
        json={"lat": HANANO[0], "lon": HANANO[1], "observed_at": now.isoformat()},
        headers=auth(d),
    )
    late = client.post(
        url,
        json={
            "lat": HANANO[0],
            "lon": HANANO[1],
            "observed_at": (now - timedelta(minutes=5)).isoformat(),
        },
        headers=auth(d),
    )
    assert late.status_code == 409


def test_team_update_duty_and_refusals(client: TestClient, tokens: dict[str, str]) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    again = client.post(
        "/api/v1/teams",
        json={
            "name": "Hanano-1",
            "base_name": "x",
            "base_lat": 36.2,
            "base_lon": 37.1,
            "sector": "A",
            "crew": 3,
            "capabilities": ["fire"],
        },
        headers=auth(d),
    )
    assert again.status_code == 409
    changed = client.patch(
        f"/api/v1/teams/{team['id']}", json={"crew": 2, "capabilities": ["fire"]}, headers=auth(d)
    ).json()
    assert changed["crew"] == 2 and changed["capabilities"] == ["fire"]
    bad = client.patch(
        f"/api/v1/teams/{team['id']}", json={"capabilities": ["cooking"]}, headers=auth(d)
    )
    assert bad.status_code == 422
    off = client.post(
        f"/api/v1/teams/{team['id']}/duty", json={"duty": "off_duty"}, headers=auth(d)
    )
    assert off.status_code == 200
    assert client.get(f"/api/v1/teams/{team['id']}", headers=auth(d)).json()["duty"] == "off_duty"
    twice = client.post(
        f"/api/v1/teams/{team['id']}/duty", json={"duty": "off_duty"}, headers=auth(d)
    )
    assert twice.status_code == 409
    assert client.get("/api/v1/teams/T-99", headers=auth(d)).status_code == 404


def test_hospital_status_and_destroyed_is_final(client: TestClient, tokens: dict[str, str]) -> None:
    d = tokens["dispatcher"]
    hospital_id = make_hospital(client, d)
    url = f"/api/v1/hospitals/{hospital_id}/status"
    assert (
        client.post(
            url, json={"status": "full", "reason": "no beds"}, headers=auth(tokens["team_leader"])
        ).status_code
        == 200
    )
    listed = client.get("/api/v1/hospitals", headers=auth(d)).json()["hospitals"]
    assert listed[0]["status"] == "full" and listed[0]["status_reason"] == "no beds"
    assert client.post(url, json={"status": "destroyed"}, headers=auth(d)).status_code == 200
    reopened = client.post(url, json={"status": "open"}, headers=auth(d))
    assert reopened.status_code == 409
    assert "destroyed" in reopened.json()["detail"]


def test_team_positions_never_reach_reporter_or_public(
    client: TestClient, tokens: dict[str, str]
) -> None:
    make_team(client, tokens["dispatcher"], "Hanano-1")
    for role in ("reporter", "public"):
        for path in ("/api/v1/teams", "/api/v1/teams/T-1", "/api/v1/tasks", "/api/v1/hospitals"):
            assert client.get(path, headers=auth(tokens[role])).status_code == 403
