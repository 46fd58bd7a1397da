"""What `/me` says a caller may do is what the API does: for every role and every action, the
answer's yes is a request the route accepts past its gate, its no a 403; for a team leader, the
teams named are the only ones the route lets them act for, and the incidents named the only
ones whose worksites, victims and status it lets them write."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.events import ROLES
from hanano.web.permissions import ACTIONS
from tests.dispatch.support import assign, leader_token, make_incident, make_team, move
from tests.helpers import HANANO, auth, offset


def _world(client: TestClient, tokens: dict[str, str], clock: ManualClock) -> dict[str, Any]:
    """Two teams, each with a task at one incident and an open pull-back order there; a second
    incident far off that no team was sent to; a victim recorded at each incident."""
    d = tokens["dispatcher"]
    own = make_team(client, d, "Hanano-1")["id"]
    other = make_team(client, d, "Hanano-2", at=offset(*HANANO, north_m=800))["id"]
    incident = make_incident(client, d, clock, kind="strike")
    elsewhere = make_incident(
        client, d, clock, at=offset(*HANANO, north_m=-3000, east_m=2500), kind="collapse"
    )
    assert elsewhere != incident
    victim = {}
    for at in (incident, elsewhere):
        recorded = client.post(
            f"/api/v1/incidents/{at}/victims", json={"status": "trapped"}, headers=auth(d)
        )
        assert recorded.status_code == 201, recorded.text
        victim[at] = recorded.json()["id"]
    task = {team: assign(client, d, incident, team)["id"] for team in (own, other)}
    for team_task in task.values():
        move(client, d, team_task, "on_scene")
    threat = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 500, "reason": "jet circling"},
        headers=auth(d),
    )
    assert threat.status_code == 201, threat.text
    order = {o["team_id"]: o["id"] for o in threat.json()["pullbacks"]}
    return {
        "own": own,
        "other": other,
        "incident": incident,
        "elsewhere": elsewhere,
        "victim": victim,
        "task": task,
        "order": order,
    }


def _team_call(action: str, world: dict[str, Any], team: str) -> tuple[str, dict[str, Any]]:
    """A valid request of a per-team action for `team` (the gate for one's own team runs after
    the body is read, so the body must pass)."""
    calls = {
        "move_task": (f"/api/v1/tasks/{world['task'][team]}/transition", {"state": "returning"}),
        "acknowledge_pullback": (f"/api/v1/pullbacks/{world['order'][team]}/acknowledge", {}),
        "check_in": (f"/api/v1/teams/{team}/checkin", {"note": "all well"}),
        "set_duty": (f"/api/v1/teams/{team}/duty", {"duty": "on_duty"}),
        "report_position": (f"/api/v1/teams/{team}/position", {"lat": HANANO[0], "lon": HANANO[1]}),
    }
    return calls[action]


def _incident_call(action: str, world: dict[str, Any], incident: str) -> tuple[str, dict[str, Any]]:
    """A request of an action on an incident's records whose body passes, so that only the
    gate for the incident's team can refuse it (or the command, after the gate)."""
    base = f"/api/v1/incidents/{incident}"
    calls = {
        # The tasked incident is responding, so closing it is refused (409) past the gate; the
        # other is open and an operator closes it, which the later calls do not mind.
        "set_incident_status": (f"{base}/status", {"status": "closed", "reason": "test"}),
        "open_worksite": (f"{base}/worksites", {"worksite_id": "Z-9", "category": "A"}),
        "update_worksite": (f"{base}/worksites/C-1", {"category": "B"}),
        "record_victim": (f"{base}/victims", {"status": "trapped"}),
        "update_victim": (f"/api/v1/victims/{world['victim'][incident]}", {}),
    }
    return calls[action]


def _path(template: str, world: dict[str, Any]) -> str:
    values = {
        "incident_id": world["incident"],
        "alert_id": "AL-1",
        "worksite_id": "C-1",
        "victim_id": "V-1",
        "hospital_id": "H-1",
        "closure_id": "RC-1",
        "team_id": world["own"],
    }
    return template.format(**values)


def _status(client: TestClient, token: str, method: str, path: str, body: Any) -> int:
    if method == "GET":
        return client.get(path, headers=auth(token)).status_code
    return client.post(path, json=body, headers=auth(token)).status_code


def test_every_action_names_a_route_that_some_role_may_use(client: TestClient) -> None:
    roles = client.app.state.action_roles  # type: ignore[attr-defined]
    assert set(roles) == {a.name for a in ACTIONS}
    assert all(roles[a.name] for a in ACTIONS), roles


def test_me_says_what_each_role_may_do_and_the_routes_agree(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    world = _world(client, tokens, clock)
    callers = {**tokens, "team_leader": leader_token(client, tokens["admin"], world["own"])}
    wrong: list[tuple[str, str, str, Any, int]] = []
    for role in ROLES:
        token = callers[role]
        me = client.get("/api/v1/me", headers=auth(token)).json()
        assert me["role"] == role
        may = me["may"]
        assert set(may) == {a.name for a in ACTIONS}
        for action in ACTIONS:
            answer = may[action.name]
            if action.per_incident:
                if role == "team_leader":
                    assert answer == [world["incident"]], (role, action.name, answer)
                for incident in (world["incident"], world["elsewhere"]):
                    allowed = answer is True or (isinstance(answer, list) and incident in answer)
                    got = _status(
                        client, token, "POST", *_incident_call(action.name, world, incident)
                    )
                    if (got == 403) == allowed:
                        wrong.append((role, action.name, incident, answer, got))
                continue
            if not action.per_team:
                assert isinstance(answer, bool), (role, action.name, answer)
                got = _status(client, token, action.method, _path(action.path, world), {})
                if (got == 403) == answer:
                    wrong.append((role, action.name, "any", answer, got))
                continue
            if role == "team_leader":
                assert answer == [world["own"]], (role, action.name, answer)
            for team in (world["own"], world["other"]):
                allowed = answer is True or (isinstance(answer, list) and team in answer)
                got = _status(client, token, "POST", *_team_call(action.name, world, team))
                if (got == 403) == allowed:
                    wrong.append((role, action.name, team, answer, got))
    assert wrong == []


def test_a_team_leader_without_a_team_may_act_for_none(
    client: TestClient, tokens: dict[str, str]
) -> None:
    may = client.get("/api/v1/me", headers=auth(tokens["team_leader"])).json()["may"]
    assert {a.name: may[a.name] for a in ACTIONS if a.per_team} == {
        a.name: [] for a in ACTIONS if a.per_team
    }
