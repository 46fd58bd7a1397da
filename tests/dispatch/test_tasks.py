"""The task state machine: every legal step is an event, every illegal one a 409 with the reason;
response-time segments and their percentiles."""

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.dispatch.tasks import STATES, TRANSITIONS, percentile, steps_between
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from tests.dispatch.support import (
    assign,
    leader_token,
    make_hospital,
    make_incident,
    make_team,
    move,
)
from tests.helpers import SAKHOUR, auth

# The shortest legal path from "assigned" to each state.
PATH_TO = {
    "assigned": [],
    "en_route": ["en_route"],
    "on_scene": ["en_route", "on_scene"],
    "transporting": ["en_route", "on_scene", "transporting"],
    "at_hospital": ["en_route", "on_scene", "transporting", "at_hospital"],
    "returning": ["en_route", "on_scene", "returning"],
    "available": ["en_route", "on_scene", "returning", "available"],
    "withdrawn": ["withdrawn"],
}
PAIRS = [(a, b) for a in STATES for b in STATES]


def _step(client: TestClient, token: str, task_id: str, state: str, hospital: str) -> object:
    extra = {"hospital_id": hospital} if state == "transporting" else {}
    return move(client, token, task_id, state, **extra)


@pytest.mark.parametrize(("start", "target"), PAIRS)
def test_every_transition_is_legal_or_refused_with_409(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, start: str, target: str
) -> None:
    d = tokens["dispatcher"]
    hospital = make_hospital(client, d)
    team = make_team(client, d, "Hanano-1")
    incident = make_incident(client, d, clock)
    task = assign(client, d, incident, team["id"])
    for state in PATH_TO[start]:
        response = _step(client, d, task["id"], state, hospital)
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    leader = leader_token(client, tokens["admin"], team["id"])
    response = _step(client, leader, task["id"], target, hospital)
    if target in TRANSITIONS[start]:
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        assert response.json()["state"] == target  # type: ignore[attr-defined]
        events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
        # A withdrawal may be followed by the incident's own change (it waits again).
        entries = [json.loads(e["entry"]) for e in events]
        last = next(e for e in reversed(entries) if e["type"] == "dispatch.task_transitioned")
        assert last["data"]["previous"] == start and last["data"]["state"] == target
    else:
        assert response.status_code == 409, (start, target)  # type: ignore[attr-defined]
        detail = response.json()["detail"]  # type: ignore[attr-defined]
        assert f"cannot go from {start} to {target}" in detail


@pytest.mark.parametrize(
    ("start", "goal", "between"),
    [
        ("assigned", "on_scene", ["en_route"]),
        ("assigned", "returning", ["en_route", "on_scene"]),
        ("en_route", "at_hospital", ["on_scene", "transporting"]),
        ("assigned", "en_route", []),  # the next step: nothing skipped
        ("on_scene", "en_route", []),  # behind it: no way forward
        ("available", "on_scene", []),  # ended
    ],
)
def test_the_steps_a_skipped_step_needs_first(start: str, goal: str, between: list[str]) -> None:
    assert steps_between(start, goal) == between


def test_a_step_that_skips_one_is_refused_naming_the_step_to_send_first(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """As the field app offers only the next step, a leader's "on scene" while the task is only
    assigned is not taken for two steps: it is refused (409) naming the one to send first."""
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    task = assign(client, d, make_incident(client, d, clock), team["id"])
    leader = leader_token(client, tokens["admin"], team["id"])
    before = len(client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"])
    refused = move(client, leader, task["id"], "on_scene")
    assert refused.status_code == 409
    assert "on_scene comes after en_route: send en_route first" in refused.json()["detail"]
    home = move(client, leader, task["id"], "returning").json()["detail"]
    assert "returning comes after en_route then on_scene: send en_route first" in home
    after = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    assert len(after) == before
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=auth(d)).json()["state"] == "assigned"


def test_transport_needs_an_open_hospital_and_team_frees_at_the_end(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    full = make_hospital(client, d, "Full one", status="full")
    open_ = make_hospital(client, d, "Open one")
    team = make_team(client, d, "Hanano-1")
    incident = make_incident(client, d, clock)
    task = assign(client, d, incident, team["id"])
    busy = client.post(
        f"/api/v1/incidents/{incident}/assign",
        json={"team_id": team["id"], "reason": "again"},
        headers=auth(d),
    )
    assert busy.status_code == 409 and "already on task" in busy.json()["detail"]
    move(client, d, task["id"], "en_route")
    move(client, d, task["id"], "on_scene")
    assert move(client, d, task["id"], "transporting").status_code == 422
    refused = move(client, d, task["id"], "transporting", hospital_id=full)
    assert refused.status_code == 409 and "full" in refused.json()["detail"]
    assert move(client, d, task["id"], "transporting", hospital_id=open_).status_code == 200
    for state in ("at_hospital", "returning", "available"):
        assert move(client, d, task["id"], state).status_code == 200
    view = client.get(f"/api/v1/tasks/{task['id']}", headers=auth(d)).json()
    assert view["hospital_id"] == open_ and view["legal_next"] == []
    assert client.get(f"/api/v1/teams/{team['id']}", headers=auth(d)).json()["task_id"] is None


def test_response_segments_and_percentiles(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    minutes = [(1, 2, 5), (2, 1, 7), (4, 3, 3)]
    for i, (to_assign, to_roll, to_scene) in enumerate(minutes):
        team = make_team(client, d, f"Team-{i}")
        incident = make_incident(client, d, clock, at=SAKHOUR)
        clock.advance(timedelta(minutes=to_assign))
        task = assign(client, d, incident, team["id"])
        clock.advance(timedelta(minutes=to_roll))
        move(client, d, task["id"], "en_route")
        clock.advance(timedelta(minutes=to_scene))
        move(client, d, task["id"], "on_scene")
        clock.advance(timedelta(minutes=20))
        client.post(
            f"/api/v1/incidents/{incident}/status",
            json={"status": "cleared", "reason": "all out"},
            headers=auth(d),
        )
        clock.advance(timedelta(hours=1))
    stats = client.get("/api/v1/stats/response", headers=auth(tokens["auditor"])).json()
    seg = stats["segments"]
    assert seg["report_to_assigned"] == {"count": 3, "p50_s": 120.0, "p90_s": 216.0}
    assert seg["assigned_to_rolling"]["p50_s"] == 120.0
    assert seg["rolling_to_on_scene"]["p90_s"] == pytest.approx(
        percentile([300.0, 420.0, 180.0], 90)
    )
    assert seg["on_scene_to_clear"] == {"count": 3, "p50_s": 1200.0, "p90_s": 1200.0}
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_percentile_interpolates() -> None:
    assert percentile([10.0], 90) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([0.0, 100.0], 90) == 90.0


def _incident(client: TestClient, token: str, incident_id: str) -> dict[str, object]:
    response = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_withdrawing_the_last_live_task_puts_the_incident_back_to_waiting(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    first = make_team(client, d, "Hanano-1")
    second = make_team(client, d, "Hanano-2")
    incident = make_incident(client, d, clock)
    one = assign(client, d, incident, first["id"])
    two = assign(client, d, incident, second["id"])
    for state in ("en_route", "on_scene"):
        assert move(client, d, one["id"], state).status_code == 200
    assert _incident(client, d, incident)["status"] == "responding"
    # One team withdrawn, the other still on its way: the incident is still being answered.
    assert move(client, d, two["id"], "withdrawn").status_code == 200
    assert _incident(client, d, incident)["status"] == "responding"
    # The last one withdrawn from the scene: nobody is coming, the incident waits again.
    assert move(client, d, one["id"], "withdrawn").status_code == 200
    assert _incident(client, d, incident)["status"] == "open"
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    last = json.loads(events[-1]["entry"])
    assert last["type"] == "intake.incident_status_changed"
    assert last["data"]["previous"] == "responding" and last["data"]["status"] == "open"
    assert "Hanano-1 withdrawn" in last["data"]["reason"]
    # Sent again, it responds again; a task that ends by its work (returning) leaves it be.
    three = assign(client, d, incident, second["id"])
    assert _incident(client, d, incident)["status"] == "responding"
    for state in ("en_route", "on_scene", "returning", "available"):
        assert move(client, d, three["id"], state).status_code == 200
    assert _incident(client, d, incident)["status"] == "responding"
    # The log is the truth: replayed, the projection says the same.
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_a_cleared_incident_stays_cleared_when_its_task_is_withdrawn(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    incident = make_incident(client, d, clock)
    task = assign(client, d, incident, team["id"])
    cleared = client.post(
        f"/api/v1/incidents/{incident}/status",
        json={"status": "cleared", "reason": "all out"},
        headers=auth(d),
    )
    assert cleared.status_code == 200, cleared.text
    assert move(client, d, task["id"], "withdrawn").status_code == 200
    assert _incident(client, d, incident)["status"] == "cleared"
