"""Sorties' usual routes, learned from the tracks logged in the store: one bearing from the base
per ended track that took off from it and was seen away from it; tracks of other bases and
tracks first seen elsewhere teach nothing; too few tracks teach nothing. A take-off from the
base, while it has no heading, then gives zones on its routes more and other zones less."""

import json
import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.warning.plane import compass, from_plane, to_plane
from hanano.warning.posts import get_place
from hanano.warning.sortie_ways import learned_routes
from hanano.warning.threat_model import (
    Fix,
    RouteSpread,
    SiteModel,
    flight_weights,
    on_routes,
    site_chance,
)
from hanano.warning.zones import city_plane
from tests.helpers import auth
from tests.warning.common import setup_posts, sighting_body
from tests.warning.test_engine import log_entries, sight
from tests.warning.test_zones import GRID


def pick_zones(aleppo: Service) -> tuple[str, str]:
    """Two zones 3–8 km from Nayrab air base as far apart in bearing from it as can be: the
    routes lead to the first, the other lies off them."""

    def read(tx: Any) -> list[tuple[float, str]]:
        plane, base = city_plane(tx.conn), get_place(tx.conn, "nayrab")
        assert base is not None
        found = []
        for zone in plane.zones.values():
            c = zone.plane.centroid
            east, north = to_plane(base.lat, base.lon, *_latlon(plane, c.x, c.y))
            if 3000 <= math.hypot(east, north) <= 8000:
                found.append((compass(east, north), zone.pcode))
        return sorted(found)

    found = aleppo.execute(read)
    # The pair most apart in bearing, so that the second is well off the routes to the first.
    pairs = [(abs((a[0] - b[0] + 180) % 360 - 180), a[1], b[1]) for a in found for b in found]
    _, on, off = max(pairs)
    return on, off


def _latlon(plane: Any, east: float, north: float) -> tuple[float, float]:
    return from_plane(plane.lat0, plane.lon0, east, north)


def sortie(
    client: TestClient, token: str, clock: ManualClock, base: str | None, pcode: str
) -> dict[str, Any]:
    """A helicopter seen taking off from `base` (or, with None, first seen over the zone), over
    `pcode` two minutes later, then leaving: its track ends."""
    if base is not None:
        sight(
            client,
            token,
            sighting_body(clock.now(), activity="took_off", base_id=base, pcode=None),
        )
        clock.advance(timedelta(minutes=2))
    over = sight(client, token, sighting_body(clock.now(), activity="over", pcode=pcode))
    clock.advance(timedelta(seconds=30))
    sight(client, token, sighting_body(clock.now(), activity="leaving", pcode=pcode))
    clock.advance(timedelta(minutes=5))
    return over


def routes_of(aleppo: Service, base: str, now: datetime) -> RouteSpread | None:
    return aleppo.execute(lambda tx: learned_routes(tx.conn, base, now, aleppo.settings))


def bearing_to(aleppo: Service, base_id: str, pcode: str) -> float:
    def read(tx: Any) -> float:
        plane, base = city_plane(tx.conn), get_place(tx.conn, base_id)
        assert base is not None
        c = plane.zones[pcode].plane.centroid
        return compass(*to_plane(base.lat, base.lon, *_latlon(plane, c.x, c.y)))

    return float(aleppo.execute(read))


def test_a_base_s_routes_are_learned_from_its_logged_tracks(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    on, _ = pick_zones(aleppo)
    for _ in range(5):
        over = sortie(client, d, clock, "nayrab", on)
        assert over["track"]["id"]  # the zone's sighting joined the take-off's track
    routes = routes_of(aleppo, "nayrab", clock.now())
    assert routes is not None and routes.origin == "nayrab"
    assert len(routes.bearings) == 5
    expected = bearing_to(aleppo, "nayrab", on)
    assert all(abs((b - expected + 180) % 360 - 180) < 3.0 for b in routes.bearings)


def test_other_bases_and_tracks_first_seen_elsewhere_teach_nothing(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    on, off = pick_zones(aleppo)
    for _ in range(5):
        sortie(client, d, clock, "nayrab", on)
    for _ in range(3):
        sortie(client, d, clock, None, off)  # first seen over the city: no base of its own
    for _ in range(3):
        sortie(client, d, clock, "kuweires", off)
    nayrab = routes_of(aleppo, "nayrab", clock.now())
    assert nayrab is not None and len(nayrab.bearings) == 5
    expected = bearing_to(aleppo, "nayrab", on)
    assert all(abs((b - expected + 180) % 360 - 180) < 3.0 for b in nayrab.bearings)
    # Kuweires's three tracks are too few to learn from, and Nayrab's are not Kuweires's.
    assert routes_of(aleppo, "kuweires", clock.now()) is None
    # A base nobody has seen a sortie from, and a place that is no base, teach nothing.
    assert routes_of(aleppo, "jirah", clock.now()) is None
    assert routes_of(aleppo, "east-1", clock.now()) is None


def test_too_few_tracks_or_only_old_ones_teach_nothing(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    on, _ = pick_zones(aleppo)
    for _ in range(4):
        sortie(client, d, clock, "nayrab", on)
    # A fifth aircraft still in the air, seen over the zone: its track has not ended.
    sight(client, d, sighting_body(clock.now(), activity="took_off", base_id="nayrab", pcode=None))
    clock.advance(timedelta(minutes=2))
    sight(client, d, sighting_body(clock.now(), activity="over", pcode=on))
    assert aleppo.settings.route_min_tracks == 5
    assert routes_of(aleppo, "nayrab", clock.now()) is None
    clock.advance(timedelta(minutes=1))
    sight(client, d, sighting_body(clock.now(), activity="leaving", pcode=on))
    assert routes_of(aleppo, "nayrab", clock.now()) is not None
    # A month on, the base's habits are forgotten.
    later = clock.now() + timedelta(days=aleppo.settings.route_history_days + 1)
    assert routes_of(aleppo, "nayrab", later) is None


def test_a_take_off_on_learned_routes_warns_the_zones_on_them_and_not_others(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    on, off = pick_zones(aleppo)

    def take_off() -> dict[str, float]:
        seen = sight(
            client,
            d,
            sighting_body(clock.now(), activity="took_off", base_id="nayrab", pcode=None),
        )
        tracks = client.get("/api/v1/tracks", headers=auth(d)).json()
        [track] = [t for t in tracks["tracks"] if t["id"] == seen["track"]["id"]]
        chances = {z["pcode"]: float(z["probability"]) for z in track["zones"]}
        clock.advance(timedelta(minutes=2))
        sight(client, d, sighting_body(clock.now(), activity="leaving", pcode=on))
        clock.advance(timedelta(minutes=5))
        return chances

    # Before any route is learned (four tracks are too few), with no strike history, every
    # zone in reach is alike.
    for _ in range(4):
        sortie(client, d, clock, "nayrab", on)
    before = take_off()
    assert before[on] == before[off]
    sortie(client, d, clock, "nayrab", on)
    after = take_off()
    assert after[on] > 3 * before[on]
    assert after[off] < before[off] / 3
    # The assessment says why, and keeps the routes in the model rescue sites are weighed by.
    assessed = [
        e for e in log_entries(client, tokens["auditor"]) if e["type"] == "warning.threat_assessed"
    ]
    routed = [e for e in assessed if _shape(e["data"]).get("code") == "route"]
    assert routed, "no assessment on learned routes"
    shape = routed[-1]["data"]["reason_parts"]["shape"]
    # It names the zones the routes lifted above the level no heading gave (the evaluation
    # puts a strike there down to them): the zone on the routes rose from watch to warning.
    assert before[on] < aleppo.settings.warning_probability <= after[on]
    assert on in shape["raised"] and off not in shape["raised"]
    assert {k: v for k, v in shape.items() if k != "raised"} == {
        "code": "route",
        "base_id": "nayrab",
        "tracks": 6,
    }
    assert "usual routes" in routed[-1]["data"]["reason"]
    assert routed[-1]["data"]["model"]["routes"]["origin"] == "nayrab"


def _shape(data: dict[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = (data.get("reason_parts") or {}).get("shape") or {}
    return shape


def test_a_watched_site_on_the_routes_gets_more_and_one_off_them_less() -> None:
    site = (36.2270, 37.2026)
    radii = (250.0, 800.0)
    # Just off the ground 20 km east of the site, no heading; past sorties flew west.
    lat, lon = (round(v, 6) for v in from_plane(*site, 20_000.0, 0.0))
    lost = SiteModel(lat, lon, 700.0, None, 180.0, False, 700.0, 15.0, 0.5, 100.0, 60_000.0)
    routed = replace(lost, routes=RouteSpread("base", (268.0, 270.0, 272.0), 5.0), total=30.0)
    assert SiteModel.from_dict(routed.as_dict()) == routed
    assert SiteModel.from_dict(lost.as_dict()) == lost
    alike = site_chance(lost, site, radii, 5.0)
    assert alike == pytest.approx(0.5 * 5 / 105)
    # The site lies at 270° from the aircraft: on the routes.
    assert site_chance(routed, site, radii, 5.0) == pytest.approx(0.5 * 5 / 35)
    # 8 km north of it, about 22° off the routes.
    north = from_plane(*site, 0.0, 8000.0)
    assert site_chance(routed, north, radii, 5.0) < alike / 10
    # The routes stand in for a missing heading only, never for a heading the aircraft has.
    fix = Fix(Point(0, 0), 700.0, 0.0, 90.0, 10.0, False)
    assert on_routes(fix, routed.routes) is fix


def test_a_public_alert_does_not_tell_that_routes_were_learned_or_from_which_base(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    d = tokens["dispatcher"]
    on, _ = pick_zones(aleppo)
    for _ in range(5):
        sortie(client, d, clock, "nayrab", on)
    before = {a["alert_id"] for a in client.get("/api/v1/alerts").json()["alerts"]}
    sight(client, d, sighting_body(clock.now(), activity="took_off", base_id="nayrab", pcode=None))
    fresh = [
        a for a in client.get("/api/v1/alerts").json()["alerts"] if a["alert_id"] not in before
    ]
    assert fresh, "the take-off on its routes raised no alert"
    # What the public reads says the aircraft has no usable heading, as before routes were
    # learned: not that it was seen taking off, nor from where, nor how many sorties before.
    text = json.dumps(fresh).lower()
    # ("al-nayrab" is a neighbourhood of the city, and may be named as one.)
    assert '"nayrab"' not in text and "air base" not in text and "took off" not in text
    assert "route" not in text
    threats = [(a.get("reason_parts") or {}).get("threat") or {} for a in fresh]
    shapes = [t.get("shape") for t in threats if t.get("code") == "track"]
    assert shapes and all(s == {"code": "no_heading"} for s in shapes)


def test_routes_that_fan_over_the_whole_city_single_out_no_zone() -> None:
    # An aircraft 20 km south of the middle of a 10 km city; past sorties flew to every part
    # of it, a bearing each degree across the city as seen from there.
    here = Point(0.0, -20_000.0)  # the plane's origin is the middle of the city
    fan = RouteSpread("base", tuple(float(b) for b in range(346, 360)) + tuple(range(0, 15)), 5.0)
    narrow = RouteSpread("base", (0.0, 0.5, 359.5), 5.0)
    zones = list(GRID.zones.values())
    wide = flight_weights(Fix(here, 700.0, 0.0, None, 180.0, False, fan), zones, 5.0)
    # Every zone lies on some past sortie's way: only the corners, at the fan's edges, less so.
    assert min(wide.values()) > 0.5
    assert sum(wide.values()) / len(wide) > 0.85
    straight = flight_weights(Fix(here, 700.0, 0.0, None, 180.0, False, narrow), zones, 5.0)
    # Due north: the middle of the city; its south-west and south-east corners lie 16° off.
    assert straight["G59"] == pytest.approx(1.0)
    assert straight["G00"] < 0.05 and straight["G90"] < 0.05
