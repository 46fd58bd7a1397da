"""Worksites and victims: INSARAG IDs and categories, victim marks, names kept sealed and apart;
and a whole rescue run through the API."""

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from tests.dispatch.support import (
    leader_token,
    make_hospital,
    make_incident,
    make_team,
    move,
    tasked_leader,
)
from tests.helpers import HANANO, auth, offset


def test_worksite_ids_categories_and_updates(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="collapse")
    url = f"/api/v1/incidents/{incident}/worksites"
    leader = tasked_leader(client, tokens, incident)
    opened = client.post(
        url,
        json={
            "worksite_id": "C-6",
            "category": "A",
            "hazards": ["unstable slab", "gas"],
            "operations": ["shoring", "breaching"],
        },
        headers=auth(leader),
    )
    assert opened.status_code == 201, opened.text
    for bad in ("c-6", "C6", "CC-1", "C-0"):
        refused = client.post(url, json={"worksite_id": bad, "category": "A"}, headers=auth(d))
        assert refused.status_code == 422, bad
    again = client.post(url, json={"worksite_id": "C-6", "category": "B"}, headers=auth(d))
    assert again.status_code == 409
    changed = client.post(
        f"{url}/C-6", json={"category": "E", "reason": "no signs of life"}, headers=auth(d)
    )
    assert changed.status_code == 200
    sites = client.get(url, headers=auth(d)).json()["worksites"]
    assert sites[0]["category"] == "E" and sites[0]["hazards"] == ["unstable slab", "gas"]
    assert sites[0]["category_meaning"] == "only the dead expected"


def test_victim_marks_status_steps_and_sealed_names(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="collapse")
    hospital = make_hospital(client, d)
    url = f"/api/v1/incidents/{incident}/victims"
    first = client.post(
        url,
        json={"status": "trapped", "triage": "red", "name": "Ahmad K.", "identity": "ID 123"},
        headers=auth(tasked_leader(client, tokens, incident)),
    ).json()["id"]
    second = client.post(url, json={"status": "dead", "triage": "black"}, headers=auth(d)).json()
    listed = client.get(url, headers=auth(tokens["auditor"])).json()["victims"]
    assert [v["mark"] for v in listed] == ["L-1", "D-1"]
    assert "name" not in json.dumps(listed) and "Ahmad" not in json.dumps(listed)
    out = client.post(
        f"/api/v1/victims/{first}",
        json={"status": "extracted_alive", "hospital_id": hospital},
        headers=auth(d),
    )
    assert out.status_code == 200
    back = client.post(f"/api/v1/victims/{first}", json={"status": "trapped"}, headers=auth(d))
    assert back.status_code == 409
    nohosp = client.post(
        f"/api/v1/victims/{second['id']}", json={"hospital_id": hospital}, headers=auth(d)
    )
    assert nohosp.status_code == 422
    died = client.post(f"/api/v1/victims/{first}", json={"status": "dead"}, headers=auth(d))
    assert died.status_code == 200
    listed = client.get(url, headers=auth(d)).json()["victims"]
    assert [v["mark"] for v in listed] == ["D-2", "D-1"]
    identity = client.get(f"/api/v1/victims/{first}/identity", headers=auth(d)).json()
    assert identity == {"id": first, "name": "Ahmad K.", "identity": "ID 123", "note": None}
    for role in ("team_leader", "auditor", "reporter", "public", "spotter"):
        denied = client.get(f"/api/v1/victims/{first}/identity", headers=auth(tokens[role]))
        assert denied.status_code == 403
    log = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    assert not any("Ahmad" in e["entry"] or "ID 123" in e["entry"] for e in log)


def test_a_whole_rescue_through_the_api(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    hospital = make_hospital(client, d)
    make_team(client, d, "Hanano-1", at=offset(*HANANO, north_m=700))
    make_team(client, d, "Hanano-2", at=offset(*HANANO, north_m=2500), sector="B")
    incident = make_incident(client, d, clock, kind="strike", trapped=4)
    recs = client.get(f"/api/v1/incidents/{incident}/recommendations", headers=auth(d)).json()
    top = recs["recommendations"][0]
    task = client.post(
        f"/api/v1/incidents/{incident}/assign", json={"team_id": top["team_id"]}, headers=auth(d)
    ).json()
    assert task["decision"] == "accepted"
    # The leader of the team sent: a team leader acts only for their own team.
    leader = leader_token(client, tokens["admin"], top["team_id"])
    clock.advance(timedelta(minutes=1))
    assert move(client, leader, task["id"], "en_route").status_code == 200
    clock.advance(timedelta(minutes=4))
    assert move(client, leader, task["id"], "on_scene").status_code == 200
    worksite = client.post(
        f"/api/v1/incidents/{incident}/worksites",
        json={"worksite_id": "A-1", "category": "A", "operations": ["breaching"]},
        headers=auth(leader),
    )
    assert worksite.status_code == 201, worksite.text
    created = client.post(
        f"/api/v1/incidents/{incident}/victims",
        json={"status": "trapped", "worksite_id": "A-1", "name": "sealed name"},
        headers=auth(leader),
    )
    assert created.status_code == 201, created.text
    victim = created.json()["id"]
    clock.advance(timedelta(minutes=20))
    threat = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 800, "reason": "jet returning"},
        headers=auth(tokens["team_leader"]),
    ).json()
    order = threat["pullbacks"][0]
    acknowledged = client.post(
        f"/api/v1/pullbacks/{order['id']}/acknowledge", json={}, headers=auth(leader)
    )
    assert acknowledged.status_code == 200, acknowledged.text
    clock.advance(timedelta(minutes=15))
    extracted = client.post(
        f"/api/v1/victims/{victim}",
        json={"status": "extracted_alive", "triage": "yellow", "hospital_id": hospital},
        headers=auth(leader),
    )
    assert extracted.status_code == 200, extracted.text
    for state, extra in (
        ("transporting", {"hospital_id": hospital}),
        ("at_hospital", {}),
        ("returning", {}),
        ("available", {}),
    ):
        clock.advance(timedelta(minutes=5))
        assert move(client, leader, task["id"], state, **extra).status_code == 200
    client.post(
        f"/api/v1/incidents/{incident}/status",
        json={"status": "cleared", "reason": "all out"},
        headers=auth(d),
    )
    stats = client.get("/api/v1/stats/response", headers=auth(d)).json()["segments"]
    assert stats["rolling_to_on_scene"]["p50_s"] == 240.0
    assert stats["on_scene_to_clear"]["count"] == 1
    board = client.get("/api/v1/board", headers=auth(d)).json()
    assert board["pullbacks"] == []
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live
