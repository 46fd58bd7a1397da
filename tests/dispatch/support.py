"""Shared steps for the dispatch tests: teams, hospitals and incidents made over HTTP."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from tests.helpers import HANANO, auth, offset, post, report_body

BASE = offset(*HANANO, north_m=-900, east_m=300)


def make_team(
    client: TestClient,
    token: str,
    name: str,
    at: tuple[float, float] = BASE,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "base_name": f"{name} centre",
        "base_lat": at[0],
        "base_lon": at[1],
        "sector": "A",
        "crew": 6,
        "min_crew": 4,
        "capabilities": ["light_rescue", "heavy_rescue", "medical"],
        "vehicle": "pickup",
    }
    body.update(fields)
    response = client.post("/api/v1/teams", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def make_hospital(
    client: TestClient, token: str, name: str = "Dar al-Shifa", status: str = "open"
) -> str:
    lat, lon = offset(*HANANO, north_m=1500)
    response = client.post(
        "/api/v1/hospitals",
        json={"name": name, "kind": "field_hospital", "lat": lat, "lon": lon, "status": status},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def make_incident(
    client: TestClient,
    token: str,
    clock: ManualClock,
    at: tuple[float, float] = HANANO,
    **fields: Any,
) -> str:
    response = post(client, token, report_body(clock.now(), lat=at[0], lon=at[1], **fields))
    assert response.status_code == 201, response.text
    return str(response.json()["incident"]["id"])


def assign(
    client: TestClient, token: str, incident_id: str, team_id: str, reason: str = "test"
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/incidents/{incident_id}/assign",
        json={"team_id": team_id, "reason": reason},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def move(client: TestClient, token: str, task_id: str, state: str, **fields: Any) -> Any:
    return client.post(
        f"/api/v1/tasks/{task_id}/transition",
        json={"state": state, **fields},
        headers=auth(token),
    )


def leader_token(client: TestClient, admin: str, team_id: str) -> str:
    """A team_leader token bound to `team_id`: a leader acts only for their own team."""
    response = client.post(
        "/api/v1/tokens",
        json={"role": "team_leader", "name": f"leader of {team_id}", "team": team_id},
        headers=auth(admin),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def tasked_leader(
    client: TestClient, tokens: dict[str, str], incident_id: str, name: str = "Tasked-1"
) -> str:
    """The token of the leader of a team tasked at the incident: a team leader records
    worksites and victims only where their team was sent."""
    team = make_team(client, tokens["dispatcher"], name)
    assign(client, tokens["dispatcher"], incident_id, team["id"])
    return leader_token(client, tokens["admin"], team["id"])


def matrix_names(client: TestClient, token: str, incident_id: str) -> dict[str, str]:
    """Fresh dispatch records for one row of the access matrix (tests/access/test_matrix.py)."""
    import uuid

    uniq = uuid.uuid4().hex[:8]
    busy = make_team(client, token, f"Busy-{uniq}")
    free = make_team(client, token, f"Free-{uniq}")
    hospital = make_hospital(client, token, f"Hospital-{uniq}")
    task = assign(client, token, incident_id, busy["id"])
    threat = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 300, "reason": "matrix"},
        headers=auth(token),
    )
    orders = threat.json()["pullbacks"]
    closure = client.post(
        "/api/v1/roads/closures",
        json={"lat": HANANO[0], "lon": HANANO[1], "reason": "rubble"},
        headers=auth(token),
    )
    client.post(
        f"/api/v1/incidents/{incident_id}/worksites",
        json={"worksite_id": "C-6", "category": "A"},
        headers=auth(token),
    )
    victim = client.post(
        f"/api/v1/incidents/{incident_id}/victims",
        json={"status": "trapped", "worksite_id": "C-6", "name": "sealed"},
        headers=auth(token),
    )
    return {
        "worksite_id": "C-6",
        "victim_id": victim.json()["id"],
        "closure_id": closure.json()["id"],
        # The threat pulls back every team at the site; this row's is the busy team's order.
        "order_id": next(o["id"] for o in orders if o["team_id"] == busy["id"]),
        "uniq": uniq,
        "team_id": busy["id"],
        "free_team": free["id"],
        "hospital_id": hospital,
        "task_id": task["id"],
    }


def needs_dispatch_records(path: str, body: Any) -> bool:
    text = path + json.dumps(body)
    return any(
        f"{{{key}}}" in text
        for key in (
            "uniq",
            "team_id",
            "free_team",
            "hospital_id",
            "task_id",
            "order_id",
            "victim_id",
            "worksite_id",
            "closure_id",
        )
    )
