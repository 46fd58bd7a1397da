"""Threat zones: the target's probability (heading likelihood times the strikes logged) decides
between warning and watch; a circling aircraft makes the zone below imminent."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from hanano.clock import isoformat
from hanano.settings import Settings
from hanano.warning.plane import from_plane
from hanano.warning.tracks import LiveTrack, TrackState
from hanano.warning.zones import CityPlane, assess

ORIGIN = (36.20, 37.10)
NOW = datetime(2014, 2, 13, 10, 0, tzinfo=UTC)


def square(pcode: str, east: float, north: float, half: float = 250.0) -> SimpleNamespace:
    """A square zone `half` metres each side of a point east/north of ORIGIN (metres)."""
    corners = [(east - half, north - half), (east + half, north - half)]
    corners += [(east + half, north + half), (east - half, north + half)]
    ring = [list(reversed(from_plane(*ORIGIN, e, n))) for e, n in corners]
    ring.append(ring[0])
    lat, lon = from_plane(*ORIGIN, east, north)
    return SimpleNamespace(
        pcode=pcode,
        name_en=pcode,
        name_ar=pcode,
        geometry=json.dumps({"type": "Polygon", "coordinates": [ring]}),
        centroid_lat=lat,
        centroid_lon=lon,
        radius_m=half,
    )


# Two zones 3 km east of the aircraft, one each side of its heading, equally far off it.
PLANE = CityPlane([square("NORTH", 3000, 400), square("SOUTH", 3000, -400), square("HERE", 0, 0)])


def track(*, circling: bool = False, east_mps: float = 55.0) -> LiveTrack:
    cov = [0.0] * 16
    cov[0] = cov[5] = 150.0**2  # position, metres²
    cov[10] = cov[15] = 5.0**2  # velocity, (m/s)²: a heading known to about 5°
    state = TrackState.load([*ORIGIN, east_mps, 0.0], cov)
    activity = "circling" if circling else "bearing"
    return LiveTrack("T-1", "helicopter", isoformat(NOW), state, activity, None, circling)


def levels(zones: list[dict[str, object]]) -> dict[object, object]:
    return {z["pcode"]: z["level"] for z in zones}


def test_every_zone_in_the_corridor_is_warned_without_a_threshold() -> None:
    cfg = Settings(warning_min_probability=0.0)
    zones, _ = assess(track(), NOW, PLANE, {"NORTH": 5}, cfg)
    assert levels(zones)["NORTH"] == "warning"
    assert levels(zones)["SOUTH"] == "warning"
    assert all("p_target" not in z for z in zones)


def test_the_zone_with_the_strike_history_is_warned_its_neighbour_stays_at_watch() -> None:
    cfg = Settings(warning_min_probability=0.3, strike_prior_smoothing=1.0)
    zones, _ = assess(track(), NOW, PLANE, {"NORTH": 5}, cfg)
    by_pcode = {z["pcode"]: z for z in zones}
    assert by_pcode["NORTH"]["level"] == "warning"
    assert by_pcode["SOUTH"]["level"] == "watch"
    # Equally far off the heading, so the history alone splits them: (5 + 1) to (0 + 1).
    north, south = by_pcode["NORTH"]["p_target"], by_pcode["SOUTH"]["p_target"]
    assert abs(north / south - 6.0) < 0.01
    # The ETA window stays with the zone stepped down to watch.
    assert by_pcode["SOUTH"]["eta_min_s"] is not None
    assert zones[0]["pcode"] == "NORTH" and zones[0]["rank"] == 1


def test_without_history_the_heading_decides() -> None:
    cfg = Settings(warning_min_probability=0.3)
    flying_north_east = track()
    flying_north_east.state.vel[:] = [55.0, 8.0]  # heading about 82°: towards NORTH
    zones, _ = assess(flying_north_east, NOW, PLANE, {}, cfg)
    by_pcode = {z["pcode"]: z for z in zones}
    assert by_pcode["NORTH"]["p_target"] > by_pcode["SOUTH"]["p_target"]
    assert by_pcode["NORTH"]["level"] == "warning"


def test_circling_makes_the_zone_below_imminent_whatever_its_history() -> None:
    cfg = Settings(warning_min_probability=0.3)
    zones, reason = assess(track(circling=True, east_mps=0.0), NOW, PLANE, {"NORTH": 50}, cfg)
    assert levels(zones)["HERE"] == "imminent"
    assert levels(zones)["NORTH"] != "imminent"
    assert "circling" in reason
    flying, _ = assess(track(), NOW, PLANE, {"NORTH": 50}, cfg)
    assert "imminent" not in levels(flying).values()
