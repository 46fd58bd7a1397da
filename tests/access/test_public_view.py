"""The public and reporters never see where rescuers work now."""

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock, isoformat
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from tests.helpers import HANANO, auth, offset, post, report_body

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
            # Its place in the log too, which the public checkpoint's size already bounds
            # (tests/access/test_adversary.py).
            assert set(answer) == {"id", "status", "log_index"}
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


def visible(client: TestClient, headers: dict[str, str], incident_id: str) -> bool:
    listed = client.get("/api/v1/incidents", headers=headers).json()["incidents"]
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=headers)
    assert (incident_id in [i["id"] for i in listed]) == (detail.status_code == 200)
    return detail.status_code == 200


@pytest.mark.parametrize("role", ["public", "reporter"])
def test_backdated_reports_do_not_make_an_incident_public_early(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, role: str
) -> None:
    d, headers = tokens["dispatcher"], auth(tokens[role])
    opened_at = clock.now()
    first = report_body(opened_at, lat=HANANO[0], lon=HANANO[1])
    incident_id = post(client, d, first).json()["incident"]["id"]
    clock.advance(timedelta(minutes=20))
    # Each report claims a time 29 minutes before the earliest so far: inside the link window,
    # so all join the incident, and together they claim it is more than two hours old.
    earliest = opened_at - timedelta(minutes=1)
    for _ in range(4):
        earliest -= timedelta(minutes=29)
        body = report_body(
            clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at=earliest.isoformat()
        )
        assert post(client, tokens["reporter"], body).status_code == 201
    seen = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(d)).json()
    assert seen["report_count"] == 5  # every backdated report joined the incident
    assert not visible(client, headers, incident_id)
    assert seen["first_report_at"] == isoformat(earliest)  # as claimed, for display
    assert seen["first_received_at"] == isoformat(opened_at)

    # Public exactly when the delay has passed since the server received the first report.
    clock.set(opened_at + timedelta(minutes=120) - timedelta(microseconds=1))
    assert not visible(client, headers, incident_id)
    clock.set(opened_at + timedelta(minutes=120))
    assert visible(client, headers, incident_id)


def test_report_dated_long_ago_does_not_make_a_new_incident_public(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    public = auth(tokens["public"])
    epoch = report_body(
        clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at="1970-01-01T00:00:00Z"
    )
    refused = post(client, tokens["reporter"], epoch)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "observed_at"
    # The earliest time the store accepts is still decades before the server received it.
    old = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at="2000-01-01T00:00:00Z")
    assert post(client, tokens["reporter"], old).status_code == 201
    listed = client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()
    (incident_id,) = [i["id"] for i in listed["incidents"]]
    assert client.get("/api/v1/incidents", headers=public).json()["incidents"] == []
    assert not visible(client, public, incident_id)
    clock.advance(timedelta(minutes=119, seconds=59))
    assert not visible(client, public, incident_id)
    clock.advance(timedelta(seconds=1))
    assert visible(client, public, incident_id)


def test_receipt_time_follows_reports_through_merge_and_split(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    public = auth(tokens["public"])
    older_at = clock.now()
    older = post(client, d, report_body(older_at, lat=HANANO[0], lon=HANANO[1])).json()
    clock.advance(timedelta(minutes=90))
    far = offset(*HANANO, north_m=400)
    newer = post(client, d, report_body(clock.now(), lat=far[0], lon=far[1])).json()
    newer_id, older_id = newer["incident"]["id"], older["incident"]["id"]
    assert newer_id != older_id
    # Merged into the newer incident, the older one's first report makes it 90 minutes old.
    merged = client.post(
        f"/api/v1/incidents/{older_id}/merge",
        json={"into": newer_id, "reason": "one strike"},
        headers=auth(d),
    )
    assert merged.status_code == 200, merged.text
    view = client.get(f"/api/v1/incidents/{newer_id}", headers=auth(d)).json()
    assert view["first_received_at"] == isoformat(older_at)
    clock.advance(timedelta(minutes=30))
    assert visible(client, public, newer_id)
    assert not visible(client, public, older_id)  # merged away: never shown
    # Split off, the newer report's incident counts from when that report was received.
    split = client.post(
        f"/api/v1/incidents/{newer_id}/split",
        json={"report_ids": [newer["id"]], "reason": "two strikes after all"},
        headers=auth(d),
    )
    assert split.status_code == 201, split.text
    split_id = split.json()["new_incident_id"]
    assert not visible(client, public, split_id)
    clock.advance(timedelta(minutes=90))
    assert visible(client, public, split_id)
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live
