"""Public alerts must not place a spotter's post, even to a caller with no token.

A bearing-and-distance sighting places the aircraft at the post plus the distance along the
bearing, with an uncertainty that is a fixed share of that distance. Alerts are public. If an
alert's ETA windows were computed from that estimate, anyone could fit the estimate back to
metres from `GET /api/v1/alerts` and the city's outlines; and if it gave the uncertainty, the
distance the spotter reported. With the aircraft's true place, that puts the post on a circle,
and two or three sightings place it. So a public alert's windows are those of the grid cell the
estimate falls in, with a fixed uncertainty, in whole minutes, and its words carry no
uncertainty, speed or chance.
"""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from shapely.geometry import Point, Polygon, shape

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.warning.eta import PUBLIC_CELL_M, PUBLIC_SIGMA_M, public_window
from hanano.warning.plane import to_plane
from hanano.warning.tracks import profile
from hanano.warning.zones import city_plane
from tests.access.test_adversary import bound_spotter
from tests.helpers import auth
from tests.warning.common import sighting_body

POST = (36.2150, 37.1600)
BEARING, DISTANCE_M = 60.0, 3000.0


def _fit(client: TestClient, lat0: float, lon0: float, sigma: float) -> Point:
    """What an adversary fits from the anonymous alert list: the point the largest alert's
    windows were computed from, given the uncertainty they were computed with."""
    zones = {}
    for f in client.get("/api/v1/neighbourhoods").json()["features"]:
        geom = shape(f["geometry"])
        outer = geom if isinstance(geom, Polygon) else max(geom.geoms, key=lambda g: g.area)
        ring = [to_plane(lat0, lon0, y, x) for x, y in outer.exterior.coords]
        zones[f["properties"]["pcode"]] = Polygon(ring)
    alert = max(client.get("/api/v1/alerts").json()["alerts"], key=lambda a: len(a["zones"]))
    slowest = profile("drone").min_mps
    seen = [
        (zones[z["pcode"]], z["eta_max_s"] * slowest - 2 * sigma)
        for z in alert["zones"]
        if z["eta_max_s"] is not None
    ]
    observations = [(poly, far - 2 * math.sqrt(poly.area / math.pi)) for poly, far in seen]
    best = (math.inf, Point(0.0, 0.0))
    for step, span in ((500, 15000), (50, 1000), (5, 100)):
        centre = best[1]
        reach = int(span / step)
        for i in range(-reach, reach + 1):
            for j in range(-reach, reach + 1):
                p = Point(centre.x + i * step, centre.y + j * step)
                err = sum((p.distance(poly) - d) ** 2 for poly, d in observations)
                if err < best[0]:
                    best = (err, p)
    return best[1]


def test_public_alerts_tell_the_cell_not_the_sighting(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    client.post(
        "/api/v1/observation-posts",
        json={"id": "post-1", "name": "roof", "lat": POST[0], "lon": POST[1]},
        headers=auth(tokens["admin"]),
    )
    spotter = bound_spotter(client, tokens["admin"], "post-1")
    body = sighting_body(
        clock.now(),
        post_id="post-1",
        pcode=None,
        activity="bearing",
        aircraft="drone",
        bearing_deg=BEARING,
        distance_km=DISTANCE_M / 1000,
    )
    assert client.post("/api/v1/sightings", json=body, headers=auth(spotter)).status_code == 201
    client.cookies.clear()
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert alerts
    for alert in alerts:
        words = " ".join(str(alert.get(k, "")) for k in ("reason", "description_en"))
        assert "±" not in words and "m/s" not in words and "chance" not in words, words
        for zone in alert["zones"]:
            assert "probability" not in zone
            for key in ("eta_min_s", "eta_max_s"):
                assert zone[key] is None or zone[key] % 60 == 0, zone
    with aleppo.engine.connect() as conn:
        plane = city_plane(conn)
    post = plane.point(*POST)
    estimate = Point(
        post.x + DISTANCE_M * math.sin(math.radians(BEARING)),
        post.y + DISTANCE_M * math.cos(math.radians(BEARING)),
    )
    cell = Point(
        (math.floor(estimate.x / PUBLIC_CELL_M) + 0.5) * PUBLIC_CELL_M,
        (math.floor(estimate.y / PUBLIC_CELL_M) + 0.5) * PUBLIC_CELL_M,
    )
    fitted = _fit(client, plane.lat0, plane.lon0, PUBLIC_SIGMA_M)
    # The windows point at the cell's centre, whatever the estimate within it.
    assert fitted.distance(cell) < 400, (fitted, cell, estimate)


def test_a_public_window_is_the_same_anywhere_in_its_cell(aleppo: Service) -> None:
    with aleppo.engine.connect() as conn:
        plane = city_plane(conn)
    zone = next(iter(plane.zones.values()))
    drone = profile("drone")
    corner = Point(2 * PUBLIC_CELL_M + 1.0, 3 * PUBLIC_CELL_M + 1.0)
    other = Point(3 * PUBLIC_CELL_M - 1.0, 4 * PUBLIC_CELL_M - 1.0)
    beyond = Point(3 * PUBLIC_CELL_M + 1.0, 4 * PUBLIC_CELL_M - 1.0)
    assert public_window(zone, corner, drone) == public_window(zone, other, drone)
    assert public_window(zone, corner, drone) != public_window(zone, beyond, drone)
