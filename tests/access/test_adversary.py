"""The adversary's probes with a reporter's or a spotter's token, each one that used to work.

A hostile state strikes rescue sites twice, and the tokens handed to citizens and rooftop
spotters are the likeliest to fall into its hands.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.tokens import Principal
from hanano.clock import ManualClock
from hanano.intake import tables as intake_tables
from hanano.service import Service
from hanano.warning.events import SightingReported
from hanano.web.stream import Broadcaster, Subscriber
from tests.dispatch.support import BASE, assign, make_team
from tests.helpers import HANANO, auth, offset, post, report_body
from tests.warning.common import sighting_body


def drain(sub: Subscriber) -> list[dict[str, Any]]:
    items = []
    while not sub.queue.empty():
        items.append(sub.queue.get_nowait())
    return items


def me(client: TestClient, token: str) -> Principal:
    found = client.get("/api/v1/me", headers=auth(token)).json()
    return Principal(found["token_id"], found["role"], found["team"], found.get("post"))


def test_reports_do_not_locate_open_incidents(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """Defect 1: probes 60-170 m from an open incident answered with its id."""
    opened = post(
        client, tokens["dispatcher"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
    )
    incident_id = opened.json()["incident"]["id"]
    answers = []
    for north in (60, 120, 170, 400):
        probe = offset(*HANANO, north_m=north)
        answer = post(
            client, tokens["reporter"], report_body(clock.now(), lat=probe[0], lon=probe[1])
        )
        assert answer.status_code == 201
        answers.append(answer.json())
    # The log index is the report's own place in the log: the public checkpoint, signed at every
    # commit, already tells anyone the log's size before and after it, so it says no more.
    assert all(set(a) == {"id", "status", "log_index"} for a in answers)
    public_size = int(client.get("/api/v1/log/checkpoint").text.splitlines()[1])
    assert max(a["log_index"] for a in answers) < public_size
    assert incident_id not in json.dumps(answers)
    assert (
        client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["reporter"])).status_code
        == 404
    )


def test_spotter_stream_carries_no_rescue_work(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    """Defect 2: the spotter's stream carried closures, task steps and pull-back orders."""
    d = tokens["dispatcher"]
    spotter = me(client, tokens["spotter"])
    broadcaster: Broadcaster = client.app.state.broadcaster  # type: ignore[attr-defined]

    def rescue() -> None:
        incident = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
        team = make_team(client, d, "Rescue-1", BASE)
        task = assign(client, d, incident.json()["incident"]["id"], team["id"])
        client.post(
            f"/api/v1/tasks/{task['id']}/transition", json={"state": "en_route"}, headers=auth(d)
        )
        client.post(
            "/api/v1/roads/closures",
            json={"lat": HANANO[0], "lon": HANANO[1], "reason": "rubble"},
            headers=auth(d),
        )
        client.post(
            "/api/v1/threats",
            json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 300, "reason": "jet"},
            headers=auth(d),
        )
        client.post(
            f"/api/v1/teams/{team['id']}/checkin", json={"note": "digging"}, headers=auth(d)
        )

    async def watch() -> list[dict[str, Any]]:
        sub = broadcaster.subscribe(spotter)
        await asyncio.to_thread(rescue)
        await asyncio.sleep(0.1)
        return drain(sub)

    seen = asyncio.run(watch())
    types = {m["event"] for m in seen}
    assert not any(t.startswith(("dispatch.", "intake.")) for t in types), types
    assert str(HANANO[0]) not in json.dumps(seen)
    for path in (
        "/api/v1/roads/closures",
        "/api/v1/teams",
        "/api/v1/tasks",
        "/api/v1/threats",
        "/api/v1/tracks",
    ):
        assert client.get(path, headers=auth(tokens["spotter"])).status_code == 403, path


def test_a_spotters_threat_does_not_reveal_the_teams_it_pulls_back(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    team = make_team(client, d, "Rescue-1", BASE)
    task = assign(client, d, incident.json()["incident"]["id"], team["id"])
    for state in ("en_route", "on_scene"):
        client.post(
            f"/api/v1/tasks/{task['id']}/transition", json={"state": state}, headers=auth(d)
        )
    body = {"lat": HANANO[0], "lon": HANANO[1], "radius_m": 300, "reason": "helicopter"}
    probe = client.post("/api/v1/threats", json=body, headers=auth(tokens["spotter"]))
    assert probe.status_code == 201
    assert set(probe.json()) == {"id"}
    orders = client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"]
    assert [o["team_id"] for o in orders] == [team["id"]], "the threat still pulls the team back"


def bound_spotter(client: TestClient, admin: str, post_id: str) -> str:
    issued = client.post(
        "/api/v1/tokens", json={"role": "spotter", "post": post_id}, headers=auth(admin)
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


def _sighting_views(
    client: TestClient, tokens: dict[str, str], body: dict[str, Any]
) -> dict[str, str]:
    seen: dict[str, str] = {}
    broadcaster: Broadcaster = client.app.state.broadcaster  # type: ignore[attr-defined]
    principals = {
        role: me(client, tokens[role])
        for role in ("spotter", "team_leader", "auditor", "dispatcher")
    }

    async def watch() -> dict[str, list[dict[str, Any]]]:
        subs = {role: broadcaster.subscribe(who) for role, who in principals.items()}
        answer = await asyncio.to_thread(
            client.post, "/api/v1/sightings", json=body, headers=auth(tokens["spotter"])
        )
        seen["answer"] = answer.text
        await asyncio.sleep(0.1)
        return {role: drain(sub) for role, sub in subs.items()}

    for role, messages in asyncio.run(watch()).items():
        seen[f"stream {role}"] = json.dumps(messages)
    for role in ("auditor", "admin"):
        seen[f"events {role}"] = client.get(
            "/api/v1/events?limit=5000", headers=auth(tokens[role])
        ).text
    return seen


def test_sightings_do_not_place_the_post(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """Defect 3: bearing, distance and the derived position were readable by spotters, team
    leaders and auditors, which placed a post within 3.4 m."""
    client.post(
        "/api/v1/observation-posts",
        json={"id": "post-1", "name": "roof", "lat": 36.2311713, "lon": 37.1729413},
        headers=auth(tokens["admin"]),
    )
    tokens["spotter"] = bound_spotter(client, tokens["admin"], "post-1")
    body = sighting_body(
        clock.now(),
        post_id="post-1",
        pcode=None,
        activity="bearing",
        bearing_deg=97.123,
        distance_km=3.217,
    )
    seen = _sighting_views(client, tokens, body)
    for where, text in seen.items():
        if where in ("stream dispatcher", "events admin"):
            continue  # operators read them, sealed on the stream and in the log
        values = ("97.123", "3.217", "bearing 97", "36.2311713", "37.1729413")
        # The log's entries name the fields, whose values stand there only as commitments.
        names = () if where.startswith("events") else ("est_lat", "est_cov")
        for needle in (*values, *names):
            assert needle not in text, (where, needle)
    # In the log the fields stand only as commitments, for every reader.
    assert "97.123" not in seen["events admin"] and "3.217" not in seen["events admin"]
    assert '"bearing_deg": "[sealed]"' in seen["stream dispatcher"]


def test_report_text_cannot_be_confirmed_by_guessing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    """Defect 7: an unsalted SHA-256 of the whole report let anyone who read it confirm a
    guess of the sealed text, even after the text was erased."""
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], text="Ahmad is under the rubble")
    assert post(client, tokens["reporter"], body).status_code == 201
    fingerprint_input = {
        k: body.get(k)
        for k in (
            "id",
            "kind",
            "lat",
            "lon",
            "accuracy_m",
            "text",
            "trapped",
            "casualties",
            "source",
        )
    }
    fingerprint_input["observed_at"] = body["observed_at"]
    guessed = hashlib.sha256(
        orjson.dumps(fingerprint_input, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    with aleppo.engine.connect() as conn:
        stored = conn.execute(select(intake_tables.reports.c.body_hash)).scalar_one()
    readings = [
        client.get("/api/v1/events?limit=5000", headers=auth(tokens["auditor"])).text,
        client.get("/api/v1/events?limit=5000", headers=auth(tokens["admin"])).text,
    ]
    events = client.get("/api/v1/events?limit=5000", headers=auth(tokens["auditor"])).json()[
        "events"
    ]
    received = [e for e in events if e["entry"] and '"intake.report_received"' in e["entry"]]
    seq = received[0]["seq"]
    readings.append(client.get(f"/api/v1/log/receipt/{seq}", headers=auth(tokens["auditor"])).text)
    for text in readings:
        assert stored not in text and guessed not in text
    entry = json.loads(received[0]["entry"])
    assert entry["data"]["body_hash"].startswith("hmac-sha256:")
    assert stored != guessed, "the fingerprint is keyed with the server's secret"
    # The fingerprint still does its job: a retry is answered, a changed body refused.
    assert post(client, tokens["reporter"], body).headers.get("Idempotent-Replayed") == "true"
    assert post(client, tokens["reporter"], {**body, "text": "Ahmad is safe"}).status_code == 409


def test_legacy_entries_with_withheld_fields_in_the_clear_keep_only_their_leaf(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries written before a field was sealed hold it in the clear: a role that may not read
    that field gets the entry's place and leaf hash, so the tree can still be checked."""
    monkeypatch.setattr(
        SightingReported, "sensitive", frozenset({"observer_lat", "observer_lon", "text"})
    )
    body = sighting_body(
        clock.now(), lat=36.2311, lon=37.1723, pcode=None, activity="bearing", bearing_deg=97.123
    )
    assert (
        client.post("/api/v1/sightings", json=body, headers=auth(tokens["dispatcher"])).status_code
        == 201
    )
    for role in ("auditor", "admin"):
        events = client.get("/api/v1/events?limit=5000", headers=auth(tokens[role])).json()[
            "events"
        ]
        withheld = [e for e in events if e["entry"] is None]
        assert len(withheld) == 1 and len(withheld[0]["leaf_hash"]) == 64
        assert "bearing_deg" in withheld[0]["withheld"] or "body_hash" in withheld[0]["withheld"]
        assert "97.123" not in json.dumps(events)
        receipt = client.get(
            f"/api/v1/log/receipt/{withheld[0]['seq']}", headers=auth(tokens[role])
        )
        assert receipt.status_code == 403
        assert "97.123" not in receipt.text
