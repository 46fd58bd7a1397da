"""Dispatchers merge, split and move incidents through their statuses, with reasons, as events."""

import json

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from tests.helpers import HANANO, SAKHOUR, auth, offset, post, report_body


def incident(client: TestClient, token: str, incident_id: str) -> dict:  # type: ignore[type-arg]
    return client.get(f"/api/v1/incidents/{incident_id}", headers=auth(token)).json()


def test_merge_moves_reports_and_keeps_the_reason(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    a = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])).json()
    far = offset(*HANANO, north_m=300)
    b = post(client, d, report_body(clock.now(), lat=far[0], lon=far[1], trapped=7)).json()
    assert a["incident"]["id"] != b["incident"]["id"]
    response = client.post(
        f"/api/v1/incidents/{b['incident']['id']}/merge",
        json={"into": a["incident"]["id"], "reason": "one strike, two fixes"},
        headers=auth(d),
    )
    assert response.status_code == 200
    merged = incident(client, d, a["incident"]["id"])
    assert merged["report_count"] == 2
    assert merged["severity"] == 4
    gone = incident(client, d, b["incident"]["id"])
    assert gone["merged_into"] == a["incident"]["id"]
    listed = client.get("/api/v1/incidents", headers=auth(d)).json()["incidents"]
    assert [i["id"] for i in listed] == [a["incident"]["id"]]
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    last = json.loads(events[-1]["entry"])
    assert last["type"] == "intake.incidents_merged"
    assert last["data"]["reason"] == "one strike, two fixes"
    again = client.post(
        f"/api/v1/incidents/{b['incident']['id']}/merge",
        json={"into": a["incident"]["id"], "reason": "again"},
        headers=auth(d),
    )
    assert again.status_code == 409


def test_split_moves_named_reports_to_a_new_incident(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    first = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])).json()
    second = post(
        client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], kind="fire")
    ).json()
    incident_id = first["incident"]["id"]
    assert second["incident"]["id"] == incident_id
    response = client.post(
        f"/api/v1/incidents/{incident_id}/split",
        json={"report_ids": [second["id"]], "reason": "a fire next door"},
        headers=auth(d),
    )
    assert response.status_code == 201
    new_id = response.json()["new_incident_id"]
    assert incident(client, d, incident_id)["report_count"] == 1
    moved = incident(client, d, new_id)
    assert [r["id"] for r in moved["reports"]] == [second["id"]]
    assert moved["kind"] == "fire"
    refused = client.post(
        f"/api/v1/incidents/{incident_id}/split",
        json={"report_ids": [first["id"]], "reason": "all of it"},
        headers=auth(d),
    )
    assert refused.status_code == 422
    stranger = client.post(
        f"/api/v1/incidents/{incident_id}/split",
        json={"report_ids": [second["id"]], "reason": "not here"},
        headers=auth(d),
    )
    assert stranger.status_code == 422
    assert second["id"] in stranger.json()["detail"]


def test_status_follows_its_transitions(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident_id = post(client, d, report_body(clock.now(), lat=SAKHOUR[0], lon=SAKHOUR[1])).json()[
        "incident"
    ]["id"]

    def move(status: str) -> int:
        return client.post(
            f"/api/v1/incidents/{incident_id}/status",
            json={"status": status, "reason": "test"},
            headers=auth(d),
        ).status_code

    assert move("responding") == 200
    assert move("closed") == 409
    assert move("cleared") == 200
    assert incident(client, d, incident_id)["cleared_at"] is not None
    assert move("closed") == 200
    assert move("open") == 409
    missing = client.post(
        "/api/v1/incidents/INC-999/status",
        json={"status": "cleared", "reason": "x"},
        headers=auth(d),
    )
    assert missing.status_code == 404
    no_reason = client.post(
        f"/api/v1/incidents/{incident_id}/status", json={"status": "cleared"}, headers=auth(d)
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"


def test_rebuilt_projections_equal_the_live_ones(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    ids = []
    for n in range(12):
        point = offset(*HANANO, north_m=n * 90)
        ids.append(
            post(
                client,
                d,
                report_body(
                    clock.now(), lat=point[0], lon=point[1], trapped=n, text=f"report {n} <b>"
                ),
            ).json()["incident"]["id"]
        )
    post(client, d, report_body(clock.now(), text="حي الصاخور"))
    unique = list(dict.fromkeys(ids))
    client.post(
        f"/api/v1/incidents/{unique[1]}/merge",
        json={"into": unique[0], "reason": "same"},
        headers=auth(d),
    )
    client.post(
        f"/api/v1/incidents/{unique[2]}/status",
        json={"status": "cleared", "reason": "done"},
        headers=auth(d),
    )
    client.post(
        "/api/v1/tokens",
        json={"role": "spotter", "name": "Observatory 1"},
        headers=auth(tokens["admin"]),
    )
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    aleppo.sequencer.stop()
    replayed = rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        rebuilt = snapshot(conn, REGISTRY)
    assert replayed > 100
    assert sum(len(rows) for rows in live.values()) > 100
    assert rebuilt == live
