"""A team leader writes about an incident (changes its worksites and victims, moves its status)
only where their own team was sent, as they record them only there; dispatchers anywhere."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from tests.dispatch.support import make_incident, tasked_leader
from tests.helpers import HANANO, auth, offset


def _events(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def _post(client: TestClient, token: str, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers=auth(token))


def _incident_with_records(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, at: tuple[float, float]
) -> tuple[str, str]:
    """An incident with worksite C-1 and one victim there, recorded by the dispatcher."""
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, at=at, kind="collapse")
    base = f"/api/v1/incidents/{incident}"
    opened = _post(client, d, f"{base}/worksites", {"worksite_id": "C-1", "category": "C"})
    assert opened.status_code == 201, opened.text
    victim = _post(client, d, f"{base}/victims", {"status": "trapped", "worksite_id": "C-1"})
    assert victim.status_code == 201, victim.text
    return incident, str(victim.json()["id"])


def _writes(incident: str, victim: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"/api/v1/incidents/{incident}/worksites/C-1", {"category": "A", "reason": "voices"}),
        (f"/api/v1/victims/{victim}", {"status": "extracted_alive", "triage": "yellow"}),
        (f"/api/v1/incidents/{incident}/status", {"status": "cleared", "reason": "all out"}),
    ]


def test_a_team_leader_changes_only_the_incidents_their_team_was_sent_to(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    own, own_victim = _incident_with_records(client, tokens, clock, HANANO)
    other, other_victim = _incident_with_records(
        client, tokens, clock, offset(*HANANO, north_m=-3000, east_m=2500)
    )
    assert own != other
    leader = tasked_leader(client, tokens, own, "Sent-1")
    other_leader = tasked_leader(client, tokens, other, "Sent-2")
    team = client.get("/api/v1/me", headers=auth(leader)).json()["team"]
    before = _events(aleppo)
    for url, body in _writes(other, other_victim):
        refused = _post(client, leader, url, body)
        assert refused.status_code == 403, (url, refused.text)
        assert (
            f"the team_leader of team {team} has no task at incident {other}"
            in (refused.json()["detail"])
        )
    unbound = tokens["team_leader"]
    for url, body in _writes(own, own_victim):
        refused = _post(client, unbound, url, body)
        assert refused.status_code == 403 and "has no team" in refused.json()["detail"]
    assert _events(aleppo) == before
    worksite = client.get(f"/api/v1/incidents/{other}/worksites", headers=auth(leader)).json()
    assert worksite["worksites"][0]["category"] == "C"
    victims = client.get(f"/api/v1/incidents/{other}/victims", headers=auth(leader)).json()
    assert victims["victims"][0]["status"] == "trapped"
    # Each leader changes their own incident's records; a dispatcher changes anyone's.
    for token, incident, victim in ((leader, own, own_victim), (other_leader, other, other_victim)):
        for url, body in _writes(incident, victim):
            done = _post(client, token, url, body)
            assert done.status_code == 200, (url, done.text)
    d = tokens["dispatcher"]
    assert _post(
        client, d, f"/api/v1/incidents/{other}/worksites/C-1", {"category": "B"}
    ).is_success


def test_unknown_records_are_404_for_a_team_leader_as_for_a_dispatcher(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    own, _ = _incident_with_records(client, tokens, clock, HANANO)
    leader = tasked_leader(client, tokens, own, "Sent-1")
    before = _events(aleppo)
    for token in (leader, tokens["dispatcher"]):
        for url, body in _writes("I-999", "V-999"):
            missing = _post(client, token, url, body)
            assert missing.status_code == 404, (url, missing.text)
    assert _events(aleppo) == before
