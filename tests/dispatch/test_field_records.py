"""Worksites and victims sent with the sender's own UUID, as the field app sends them: a resend
answers as the first time and writes nothing, other content under the same UUID is refused, and
a team leader records only where their own team was sent."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store import schema
from hanano.store.rebuild import rebuild
from tests.dispatch.support import leader_token, make_incident, make_team, tasked_leader
from tests.helpers import auth


def _events(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def _send(client: TestClient, token: str, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers=auth(token))


def test_a_resent_worksite_is_answered_as_the_first_time_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    incident = make_incident(client, tokens["dispatcher"], clock, kind="collapse")
    leader = tasked_leader(client, tokens, incident)
    url = f"/api/v1/incidents/{incident}/worksites"
    sent = {"id": str(uuid.uuid4()), "worksite_id": "C-6", "category": "B", "note": "east wing"}
    first = _send(client, leader, url, sent)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["id"] == "C-6" and isinstance(first.json()["log_index"], int)
    before = _events(aleppo)
    again = _send(client, leader, url, sent)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _events(aleppo) == before
    # The same UUID with other content, or to another incident, is refused by name.
    other = _send(client, leader, url, {**sent, "note": "west wing"})
    assert other.status_code == 409 and sent["id"] in other.json()["detail"]
    assert _events(aleppo) == before
    sites = client.get(url, headers=auth(leader)).json()["worksites"]
    assert [(s["id"], s["note"]) for s in sites] == [("C-6", "east wing")]
    # Without a UUID nothing changes: a second C-6 is a conflict, as it always was.
    plain = {k: v for k, v in sent.items() if k != "id"}
    assert _send(client, leader, url, plain).status_code == 409


def test_a_resent_victim_is_not_doubled_and_a_reused_id_is_refused(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    incident = make_incident(client, tokens["dispatcher"], clock, kind="collapse")
    leader = tasked_leader(client, tokens, incident)
    base = f"/api/v1/incidents/{incident}"
    _send(client, leader, f"{base}/worksites", {"worksite_id": "A-1", "category": "A"})
    sent = {"id": str(uuid.uuid4()), "status": "trapped", "worksite_id": "A-1"}
    first = _send(client, leader, f"{base}/victims", sent)
    assert first.status_code == 201, first.text
    before = _events(aleppo)
    again = _send(client, leader, f"{base}/victims", sent)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _events(aleppo) == before
    other = _send(client, leader, f"{base}/victims", {**sent, "status": "dead"})
    assert other.status_code == 409 and sent["id"] in other.json()["detail"]
    # A worksite's UUID is not a victim's.
    site_id = {"id": sent["id"], "worksite_id": "A-2", "category": "C"}
    assert _send(client, leader, f"{base}/worksites", site_id).status_code == 409
    assert _events(aleppo) == before
    victims = client.get(f"{base}/victims", headers=auth(leader)).json()["victims"]
    assert [(v["id"], v["status"]) for v in victims] == [(first.json()["id"], "trapped")]
    # Without a UUID each sending is a victim of its own, as before.
    plain = {"status": "trapped"}
    assert _send(client, leader, f"{base}/victims", plain).status_code == 201
    assert _send(client, leader, f"{base}/victims", plain).status_code == 201
    assert len(client.get(f"{base}/victims", headers=auth(leader)).json()["victims"]) == 3


def test_a_resend_after_the_tables_are_rebuilt_still_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    incident = make_incident(client, tokens["dispatcher"], clock, kind="collapse")
    leader = tasked_leader(client, tokens, incident)
    url = f"/api/v1/incidents/{incident}/victims"
    sent = {"id": str(uuid.uuid4()), "status": "extracted_alive"}
    first = _send(client, leader, url, sent)
    assert first.status_code == 201, first.text
    rebuild(aleppo.engine, REGISTRY)
    before = _events(aleppo)
    again = _send(client, leader, url, sent)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert _events(aleppo) == before
    assert _send(client, leader, url, {**sent, "status": "dead"}).status_code == 409


def test_a_team_leader_records_only_where_their_own_team_was_sent(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="collapse")
    own = tasked_leader(client, tokens, incident, "Sent-1")
    idle = leader_token(client, tokens["admin"], make_team(client, d, "Idle-1")["id"])
    base = f"/api/v1/incidents/{incident}"
    site = {"id": str(uuid.uuid4()), "worksite_id": "C-1", "category": "C"}
    victim = {"id": str(uuid.uuid4()), "status": "trapped"}
    before = _events(aleppo)
    for token, why in ((idle, "no task at incident"), (tokens["team_leader"], "has no team")):
        for path, body in (("worksites", site), ("victims", victim)):
            refused = _send(client, token, f"{base}/{path}", body)
            assert refused.status_code == 403, refused.text
            assert why in refused.json()["detail"]
    assert _events(aleppo) == before
    # The refused UUIDs were not taken: the leader who was sent records with them.
    assert _send(client, own, f"{base}/worksites", site).status_code == 201
    assert _send(client, own, f"{base}/victims", victim).status_code == 201
    # Another leader resending the same UUID and content is still refused, not answered.
    assert _send(client, idle, f"{base}/victims", victim).status_code == 403
    # An unknown incident is 404 for a leader as for a dispatcher.
    for token in (own, d):
        missing = _send(client, token, "/api/v1/incidents/I-999/victims", {"status": "dead"})
        assert missing.status_code == 404, missing.text
    # Dispatchers and admins record at any incident.
    assert _send(client, d, f"{base}/victims", {"status": "dead"}).status_code == 201


def test_a_malformed_id_is_named_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    incident = make_incident(client, tokens["dispatcher"], clock, kind="collapse")
    before = _events(aleppo)
    bad = _send(
        client,
        tokens["dispatcher"],
        f"/api/v1/incidents/{incident}/victims",
        {"id": "not-a-uuid", "status": "trapped"},
    )
    assert bad.status_code == 422 and "id" in bad.text
    assert _events(aleppo) == before


def test_a_victims_note_is_kept_with_the_name_for_the_operators_only(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    incident = make_incident(client, tokens["dispatcher"], clock, kind="collapse")
    leader = tasked_leader(client, tokens, incident)
    sent = {"id": str(uuid.uuid4()), "status": "trapped", "note": "the baker's son, about 7"}
    victim = _send(client, leader, f"/api/v1/incidents/{incident}/victims", sent).json()["id"]
    [listed] = client.get(
        f"/api/v1/incidents/{incident}/victims", headers=auth(tokens["auditor"])
    ).json()["victims"]
    assert "baker" not in str(listed)
    identity = client.get(f"/api/v1/victims/{victim}/identity", headers=auth(tokens["dispatcher"]))
    assert identity.json()["note"] == "the baker's son, about 7"
    for role in ("auditor", "team_leader"):
        refused = client.get(f"/api/v1/victims/{victim}/identity", headers=auth(tokens[role]))
        assert refused.status_code == 403
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    assert events and "baker" not in str(events)
