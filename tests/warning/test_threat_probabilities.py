"""Threat probabilities through the real engine: one sighting never warns the whole city, each
threatened zone carries its probability and the track behind it for the operations room, and
roles outside the operation learn neither tracks nor posts from them."""

from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.access.visibility import reads
from hanano.clock import ManualClock
from hanano.dispatch.events import PullbackOrdered
from hanano.service import Service
from hanano.warning.events import ThreatAssessed
from tests.helpers import auth
from tests.warning.common import setup_posts, sighting_body
from tests.warning.test_engine import sight


def test_a_single_bearing_sighting_never_warns_the_whole_city(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    # A bearing 3.2 km out from the eastern post, no heading: it could go anywhere.
    seen = sight(
        client,
        d,
        sighting_body(
            clock.now(),
            activity="bearing",
            pcode=None,
            post_id="east-1",
            bearing_deg=250,
            distance_km=3.2,
        ),
    )
    warned = {
        z for a in seen["alerts"] if a["level"] in ("warning", "imminent") for z in a["zones"]
    }
    # One aircraft's probabilities add up to at most its chance of striking at all, so this is
    # bounded by 1 / warning_probability whatever it does; here, with no heading, it is small.
    assert len(warned) <= min(6, 1 / aleppo.settings.warning_probability)
    body = client.get("/api/v1/tracks", headers=auth(d)).json()
    [track] = body["tracks"]
    assert len(track["zones"]) > 50  # the city is still watched: the aircraft is airborne
    assert sum(z["probability"] for z in track["zones"]) <= 1.0
    # Each threatened zone: its combined probability and the track behind it, likeliest first.
    zones = body["zones"]
    assert zones and all(z["threat_id"] == track["id"] for z in zones)
    assert zones[0]["probability"] == max(z["probability"] for z in track["zones"])


def test_the_zone_below_a_circling_helicopter_is_imminent_and_says_how_likely(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    circling = sight(client, d, sighting_body(clock.now(), activity="circling"))
    [imminent] = [a for a in circling["alerts"] if a["level"] == "imminent"]
    assert imminent["zones"] == ["N0129"]
    alert = next(
        a
        for a in client.get("/api/v1/alerts").json()["alerts"]
        if a["alert_id"] == imminent["alert_id"]
    )
    [zone] = alert["zones"]
    # How likely is the operation's to read (the tracks' zones); the public alert says the
    # level and a coarse ETA, never the probability, where the track is or the post.
    chances = client.get("/api/v1/tracks", headers=auth(d)).json()["zones"]
    below = next(z for z in chances if z["pcode"] == "N0129")
    assert below["probability"] >= aleppo.settings.imminent_probability
    assert not {"lat", "lon", "threat_id", "track_id", "probability"} & set(zone)
    for role in ("reporter", "public", "spotter"):
        response = client.get("/api/v1/tracks", headers=auth(tokens[role]))
        assert response.status_code == 403, role
    # Nor from the log: the assessments (tracks' zones and probabilities) and pull-backs are the
    # operation's own.
    for role in ("reporter", "public", "spotter"):
        who = Principal(f"{role} user", role)
        assert not reads(who, ThreatAssessed.type, "hanano:warning"), role
        assert not reads(who, PullbackOrdered.type, "hanano:dispatch"), role
    assert reads(Principal("d", "dispatcher"), ThreatAssessed.type, "hanano:warning")
