"""From sightings to tracks, threat zones and alerts, through the API and the real engine."""

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from tests.helpers import auth, post, report_body
from tests.warning.common import EAST_POST, HANANO_PCODE, setup_posts, sighting_body


def sight(client: TestClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/sightings", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def log_entries(client: TestClient, token: str) -> list[dict[str, Any]]:
    events = client.get("/api/v1/events?limit=5000", headers=auth(token)).json()["events"]
    return [json.loads(e["entry"]) for e in events]


def test_posts_are_sealed_in_the_log(
    client: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    setup_posts(aleppo)
    entries = log_entries(client, tokens["auditor"])
    post_entry = next(e for e in entries if e["type"] == "warning.post_registered")
    text = json.dumps(post_entry, ensure_ascii=False)
    assert "Abu Khaled" not in text and str(EAST_POST[0]) not in text
    base = next(e for e in entries if e["type"] == "warning.air_base_registered")
    assert base["data"]["name"]  # air bases are public knowledge


def test_sighting_validation_and_replay(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    spotter = tokens["dispatcher"]  # a spotter's radio call, entered in the operations room
    bad = client.post(
        "/api/v1/sightings",
        json=sighting_body(clock.now(), activity="took_off", pcode=None),
        headers=auth(spotter),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "base_id"
    sensor = client.post(
        "/api/v1/sightings",
        json=sighting_body(clock.now(), source="sensor"),
        headers=auth(spotter),
    )
    assert sensor.status_code == 422
    assert "confidence" in sensor.text
    unknown = client.post(
        "/api/v1/sightings",
        json=sighting_body(
            clock.now(), activity="bearing", pcode=None, post_id="nowhere", bearing_deg=90
        ),
        headers=auth(spotter),
    )
    assert unknown.status_code == 422
    body = sighting_body(clock.now())
    first = sight(client, spotter, body)
    again = client.post("/api/v1/sightings", json=body, headers=auth(spotter))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["track"]["id"] == first["track"]["id"]
    changed = dict(body, aircraft="drone")
    assert client.post("/api/v1/sightings", json=changed, headers=auth(spotter)).status_code == 409
    refused = client.post(
        "/api/v1/sightings", json=sighting_body(clock.now()), headers=auth(tokens["reporter"])
    )
    assert refused.status_code == 403


def test_sortie_from_take_off_to_all_clear(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    spotter = tokens["dispatcher"]  # a spotter's radio call, entered in the operations room
    # Strikes logged in Hanano make it the likeliest target among the zones in reach. They
    # count once they are public (two hours after the last was received).
    for _ in range(3):
        post(client, d, report_body(clock.now(), lat=36.2270, lon=37.2026))
        clock.advance(timedelta(minutes=40))
    clock.advance(timedelta(minutes=121))

    took_off = sight(
        client,
        spotter,
        sighting_body(clock.now(), activity="took_off", base_id="kuweires", pcode=None),
    )
    track_id = took_off["track"]["id"]
    assert took_off["track"]["decision"] == "started"
    # Airborne: the city is watched; the zone struck three times today is likely enough a target
    # to be warned already, and no other.
    levels = {a["level"]: a["zones"] for a in took_off["alerts"]}
    assert set(levels) == {"watch", "warning"}
    assert levels["warning"] == [HANANO_PCODE] and len(levels["watch"]) > 50
    [airborne] = client.get("/api/v1/tracks", headers=auth(d)).json()["tracks"]
    at_take_off = next(z for z in airborne["zones"] if z["pcode"] == HANANO_PCODE)

    clock.advance(timedelta(minutes=6))
    # The spotter on the eastern edge sees it 6 km out, flying west.
    approach = sight(
        client,
        spotter,
        sighting_body(
            clock.now(),
            activity="bearing",
            pcode=None,
            post_id="east-1",
            bearing_deg=90,
            distance_km=6,
            heading_deg=268,
        ),
    )
    assert approach["track"]["id"] == track_id
    assert approach["track"]["decision"] == "fused"
    tracks = client.get("/api/v1/tracks", headers=auth(d)).json()["tracks"]
    assert len(tracks) == 1
    track = tracks[0]
    assert 200 < track["heading_deg"] < 330
    assert 20 < track["speed_mps"] <= 80
    warned = [z for z in track["zones"] if z["level"] == "warning"]
    assert warned and all(z["eta_min_s"] <= z["eta_max_s"] for z in warned)
    # Still the likeliest target, and still warned.
    assert track["zones"][0]["pcode"] == HANANO_PCODE and track["zones"][0]["level"] == "warning"
    assert at_take_off["probability"] >= aleppo.settings.warning_probability

    clock.advance(timedelta(minutes=2))
    circling = sight(
        client,
        spotter,
        sighting_body(clock.now(), activity="circling", pcode=HANANO_PCODE),
    )
    assert circling["track"]["id"] == track_id
    imminent = [a for a in circling["alerts"] if a["level"] == "imminent"]
    assert imminent and HANANO_PCODE in imminent[0]["zones"]

    alerts = client.get("/api/v1/alerts").json()["alerts"]
    by_id = {a["alert_id"]: a for a in alerts}
    top = by_id[imminent[0]["alert_id"]]
    assert top["msg_type"] == "Update"
    assert top["references"]
    assert all(r in by_id for r in top["references"])
    assert "غارة وشيكة" in top["headline_ar"]
    hanano_zone = next(z for z in top["zones"] if z["pcode"] == HANANO_PCODE)
    assert hanano_zone["polygon"][0] == hanano_zone["polygon"][-1]
    assert hanano_zone["strikes"] == 3

    # The aircraft leaves; the zones stay alerted until the all-clear, which must come.
    clock.advance(timedelta(minutes=2))
    left = sight(
        client,
        spotter,
        sighting_body(
            clock.now(),
            activity="leaving",
            pcode=None,
            post_id="east-1",
            bearing_deg=90,
            distance_km=3,
        ),
    )
    assert left["track"]["id"] == track_id
    aleppo.tick()
    assert client.get("/api/v1/tracks", headers=auth(d)).json()["tracks"] == []
    assert not [
        a for a in client.get("/api/v1/alerts").json()["alerts"] if a["level"] == "all_clear"
    ]
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    clear = [a for a in alerts if a["level"] == "all_clear"]
    assert len(clear) == 1
    assert HANANO_PCODE in [z["pcode"] for z in clear[0]["zones"]]
    assert imminent[0]["alert_id"] in clear[0]["references"]
    assert [a for a in alerts if a["status"] == "active"] == []
    aleppo.tick()
    again = client.get("/api/v1/alerts").json()["alerts"]
    assert len([a for a in again if a["level"] == "all_clear"]) == 1


def test_silent_track_ends_and_unreachable_sighting_starts_another(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    spotter = tokens["dispatcher"]  # a spotter's radio call, entered in the operations room
    first = sight(
        client, spotter, sighting_body(clock.now(), activity="took_off", base_id="hama", pcode=None)
    )
    clock.advance(timedelta(seconds=30))
    # Hama is 120 km away: a helicopter cannot be over Hanano thirty seconds later.
    far = sight(client, spotter, sighting_body(clock.now()))
    assert far["track"]["id"] != first["track"]["id"]
    clock.advance(timedelta(seconds=30))
    jet = sight(client, spotter, sighting_body(clock.now(), aircraft="fixed_wing"))
    assert jet["track"]["id"] not in (first["track"]["id"], far["track"]["id"])
    same = sight(client, spotter, sighting_body(clock.now(), aircraft="unknown"))
    assert same["track"]["id"] in (far["track"]["id"], jet["track"]["id"])
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    assert client.get("/api/v1/tracks", headers=auth(tokens["admin"])).json()["tracks"] == []
    entries = log_entries(client, tokens["auditor"])
    ended = [e for e in entries if e["type"] == "warning.track_ended"]
    assert len(ended) == 3
    assert all("no sighting since" in e["data"]["reason"] for e in ended)
    assert all(e["actor"] == "hanano:warning" for e in ended)


def test_rebuild_gives_the_same_projections(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    spotter = tokens["dispatcher"]  # a spotter's radio call, entered in the operations room
    sight(
        client,
        spotter,
        sighting_body(
            clock.now(), activity="took_off", base_id="nayrab", pcode=None, heading_deg=300
        ),
    )
    clock.advance(timedelta(minutes=2))
    sight(client, spotter, sighting_body(clock.now(), activity="circling"))
    clock.advance(timedelta(minutes=15))
    aleppo.tick()
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    assert live["warning_alerts"] and live["warning_tracks"] and live["warning_sightings"]
    aleppo.sequencer.stop()
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_zone_steps_down_to_watch_while_another_aircraft_is_airborne(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    spotter = tokens["dispatcher"]  # a spotter's radio call, entered in the operations room
    far = sight(
        client,
        spotter,
        sighting_body(clock.now(), activity="took_off", base_id="jirah", pcode=None),
    )
    circling = sight(client, spotter, sighting_body(clock.now(), activity="circling"))
    assert circling["track"]["id"] != far["track"]["id"]
    imminent = next(a for a in circling["alerts"] if a["level"] == "imminent")
    clock.advance(timedelta(minutes=2))
    sight(
        client,
        spotter,
        sighting_body(
            clock.now(),
            activity="leaving",
            pcode=None,
            post_id="east-1",
            bearing_deg=270,
            distance_km=3,
        ),
    )
    clock.advance(timedelta(minutes=6))
    # The far aircraft is seen again near its base: still airborne, still a watch on the city.
    kept = sight(
        client,
        spotter,
        sighting_body(
            clock.now(),
            activity="bearing",
            pcode=None,
            lat=36.10,
            lon=37.90,
            bearing_deg=90,
            distance_km=2,
        ),
    )
    assert kept["track"]["id"] == far["track"]["id"]
    clock.advance(timedelta(minutes=5))
    aleppo.tick()
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    stepped = [
        a for a in alerts if a["level"] == "watch" and imminent["alert_id"] in a["references"]
    ]
    assert stepped and HANANO_PCODE in [z["pcode"] for z in stepped[0]["zones"]]
    assert stepped[0]["msg_type"] == "Update"
    assert not [a for a in alerts if a["level"] == "all_clear"]
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    clear = [a for a in alerts if a["level"] == "all_clear"]
    assert clear and HANANO_PCODE in [z["pcode"] for z in clear[0]["zones"]]
    assert [a for a in alerts if a["status"] == "active"] == []
