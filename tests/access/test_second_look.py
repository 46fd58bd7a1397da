"""What a second look as the adversary found after the first fixes, each one reproduced.

The public, a reporter's token and a spotter's token are the ones an adversary is likeliest to
hold; each probe here used to tell it where an observation post stands or where rescuers work.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.web.stream import Broadcaster
from tests.access.test_adversary import bound_spotter, drain, me
from tests.dispatch.support import BASE, assign, make_team
from tests.evidence.media_support import media_photo
from tests.helpers import HANANO, auth, post, report_body
from tests.warning.common import sighting_body

POST = (36.2311713, 37.1729413)


def _post(client: TestClient, admin: str, post_id: str = "roof-1") -> str:
    answer = client.post(
        "/api/v1/observation-posts",
        json={"id": post_id, "name": "roof", "lat": POST[0], "lon": POST[1]},
        headers=auth(admin),
    )
    assert answer.status_code == 201, answer.text
    return bound_spotter(client, admin, post_id)


def test_a_sighting_near_the_post_does_not_place_it(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """An aircraft 'over' the observer, with no bearing, was placed exactly on the post; the
    public alert's ETAs to every zone then gave the post back to within a metre."""
    spotter = _post(client, tokens["admin"])
    for body in (
        sighting_body(clock.now(), post_id="roof-1", pcode=None, activity="over"),
        sighting_body(
            clock.now(), pcode=None, activity="bearing", bearing_deg=10.0, distance_km=0.001
        ),
    ):
        assert client.post("/api/v1/sightings", json=body, headers=auth(spotter)).status_code == 201
    tracks = client.get("/api/v1/tracks", headers=auth(tokens["dispatcher"])).json()["tracks"]
    assert tracks
    for track in tracks:
        # Placed on the post's neighbourhood, never on the post itself.
        distance_deg = abs(track["lat"] - POST[0]) + abs(track["lon"] - POST[1])
        assert distance_deg > 0.002, track
    public = client.get("/api/v1/alerts").text
    assert f"{POST[0]:.5f}" not in public and f"{POST[1]:.5f}" not in public


def test_a_spotter_reports_only_from_its_own_post(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    spotter = _post(client, tokens["admin"], "roof-1")
    _post(client, tokens["admin"], "roof-2")
    other = sighting_body(
        clock.now(), post_id="roof-2", pcode=None, activity="bearing", bearing_deg=90.0
    )
    refused = client.post("/api/v1/sightings", json=other, headers=auth(spotter))
    assert refused.status_code == 403 and "roof-1" in refused.json()["detail"]
    unbound = client.post("/api/v1/sightings", json=other, headers=auth(tokens["spotter"]))
    assert unbound.status_code == 403
    listed = client.get("/api/v1/observation-posts", headers=auth(spotter)).json()
    assert [p["id"] for p in listed["observation_posts"]] == ["roof-1"]
    # From its own post, named or not, it is heard.
    own = sighting_body(clock.now(), pcode=None, activity="bearing", bearing_deg=90.0)
    assert client.post("/api/v1/sightings", json=own, headers=auth(spotter)).status_code == 201


def test_an_upload_does_not_say_whether_an_incident_exists(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """A report near a point, then an upload naming the next incident id: 404 meant the report
    had joined an open incident there."""
    reporter = tokens["reporter"]
    post(client, tokens["dispatcher"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    files = {"file": ("p.jpg", media_photo(), "image/jpeg")}
    for incident_id in ("INC-1", "INC-2"):
        named = client.post(
            "/api/v1/media", data={"incident_id": incident_id}, files=files, headers=auth(reporter)
        )
        assert named.status_code == 422 and named.json()["errors"][0]["field"] == "incident_id"
    mine = post(client, reporter, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    theirs = post(client, tokens["dispatcher"], report_body(clock.now()))
    attached = client.post(
        "/api/v1/media",
        data={"report_id": mine.json()["id"]},
        files={"file": ("p.jpg", media_photo(), "image/jpeg")},
        headers=auth(reporter),
    )
    assert attached.status_code == 201 and set(attached.json()) == {"sha256", "size", "media_type"}
    foreign = client.post(
        "/api/v1/media",
        data={"report_id": theirs.json()["id"]},
        files={"file": ("p.jpg", media_photo(), "image/jpeg")},
        headers=auth(reporter),
    )
    assert foreign.status_code == 404


def test_public_alerts_do_not_count_a_strike_before_it_is_public(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    def strikes_shown() -> dict[str, Any]:
        body = sighting_body(clock.now(), pcode="N0129", activity="circling")
        client.post("/api/v1/sightings", json=body, headers=auth(tokens["dispatcher"]))
        alerts = client.get("/api/v1/alerts").json()["alerts"]
        zones = {z["pcode"]: z.get("strikes") for a in alerts for z in a["zones"]}
        return {"N0129": zones.get("N0129"), "text": json.dumps(alerts)}

    before = strikes_shown()
    post(client, tokens["dispatcher"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    clock.advance(timedelta(minutes=11))
    after = strikes_shown()
    assert after["N0129"] == before["N0129"]


def test_the_public_stream_does_not_time_rescuers_at_a_public_site(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    incident_id = incident.json()["incident"]["id"]
    clock.advance(timedelta(minutes=121))
    broadcaster: Broadcaster = client.app.state.broadcaster  # type: ignore[attr-defined]
    public = Principal("anonymous", "public")

    def rescue() -> None:
        broadcaster.sweep()
        team = make_team(client, d, "Rescue-1", BASE)
        task = assign(client, d, incident_id, team["id"])
        for state in ("en_route", "on_scene"):
            client.post(
                f"/api/v1/tasks/{task['id']}/transition", json={"state": state}, headers=auth(d)
            )
        client.post(
            f"/api/v1/incidents/{incident_id}/worksites",
            json={"worksite_id": "C-6", "category": "A"},
            headers=auth(d),
        )

    async def watch() -> list[dict[str, Any]]:
        sub = broadcaster.subscribe(public)
        await asyncio.to_thread(rescue)
        await asyncio.sleep(0.1)
        return drain(sub)

    seen = [m for m in asyncio.run(watch()) if m["event"] == "incident"]
    # Announced once, when it became public: not again at each step of the rescue.
    assert len(seen) == 1
    view = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert view["status"] == "open"  # a team on scene does not show
    responding = client.get("/api/v1/incidents?status=responding").json()["incidents"]
    assert [i["id"] for i in responding] == [incident_id]


def test_control_characters_never_reach_an_operators_terminal(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for reason in ("\x1b]0;owned\x07", "clear\x1b[2J", "over\rwrite", "Hana\u200bno", "x\x85"):
        answer = client.post(
            "/api/v1/threats",
            json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 300, "reason": reason},
            headers=auth(tokens["dispatcher"]),
        )
        assert answer.status_code == 422, reason
        assert answer.json()["errors"][0]["field"] == "reason"


def test_a_field_token_cannot_pull_back_the_whole_city(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for role in ("spotter", "team_leader"):
        wide = client.post(
            "/api/v1/threats",
            json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 50_000, "reason": "jets"},
            headers=auth(tokens[role]),
        )
        assert wide.status_code == 422 and wide.json()["errors"][0]["field"] == "radius_m"
        zone = client.post(
            "/api/v1/threats",
            json={
                "polygon": [[37.1, 36.1], [37.3, 36.1], [37.3, 36.3], [37.1, 36.1]],
                "reason": "x",
            },
            headers=auth(tokens[role]),
        )
        assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "polygon"
    operator = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 50_000, "reason": "jets"},
        headers=auth(tokens["dispatcher"]),
    )
    assert operator.status_code == 201


def test_huge_numbers_are_refused_not_crashed_on(
    client: TestClient, tokens: dict[str, str]
) -> None:
    huge = "99999999999999999999"
    for url, token in (
        (f"/api/v1/log/checkpoint?size={huge}", None),
        (f"/api/v1/events?after={huge}", tokens["auditor"]),
        (f"/api/v1/log/receipt/{huge}", tokens["auditor"]),
    ):
        answer = client.get(url, headers=auth(token) if token else {})
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_places_outside_the_city_are_refused_everywhere(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    incident_id = incident.json()["incident"]["id"]
    for lat, lon in ((0.0, 0.0), (90.0, 180.0), (37.7, 38.6)):
        worksite = client.post(
            f"/api/v1/incidents/{incident_id}/worksites",
            json={"worksite_id": "C-6", "category": "A", "lat": lat, "lon": lon},
            headers=auth(d),
        )
        assert worksite.status_code == 422, (lat, lon)
    # A spotter may watch an air base far outside the city, but not stand at 0,0.
    nowhere = sighting_body(clock.now(), lat=0.0, lon=0.0, pcode=None, activity="over")
    sighting = client.post("/api/v1/sightings", json=nowhere, headers=auth(tokens["spotter"]))
    assert sighting.status_code == 422
    base = client.post(
        "/api/v1/air-bases",
        json={"id": "nowhere", "name": "x", "name_ar": "x", "lat": 0.0, "lon": 0.0},
        headers=auth(d),
    )
    assert base.status_code == 422


def test_report_text_is_for_those_who_rescue_not_for_auditors(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], text="Ahmad under the stairs")
    incident_id = post(client, tokens["dispatcher"], body).json()["incident"]["id"]
    for role, shown in (("dispatcher", True), ("team_leader", True), ("auditor", False)):
        detail = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens[role])).json()
        assert ("Ahmad" in json.dumps(detail)) is shown, role


def test_verify_says_what_the_store_alone_cannot_show(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    verified = runner.invoke(main, ["--db", db_url, "log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "a witness vouches for the log nowhere" in verified.output


def test_an_anonymous_client_cannot_send_a_large_body(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/alerts/foreign",
        content=b"<alert>" + b" " * 200_000 + b"</alert>",
        headers={"content-type": "application/xml"},
    )
    assert answer.status_code == 413


def test_the_me_answer_names_a_spotters_post(client: TestClient, tokens: dict[str, str]) -> None:
    spotter = _post(client, tokens["admin"])
    assert me(client, spotter).post == "roof-1"
