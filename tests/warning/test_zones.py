"""Threat zones: each track gives each zone a probability of a strike within the warning
horizon, from its state and uncertainty, its type's behaviour and the strikes logged; levels
follow thresholds on that probability."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from hanano.clock import isoformat
from hanano.settings import Settings
from hanano.warning.plane import from_plane
from hanano.warning.threat_model import combine
from hanano.warning.tracks import LiveTrack, TrackState
from hanano.warning.zones import CityPlane, assess

ORIGIN = (36.20, 37.10)
NOW = datetime(2014, 2, 13, 10, 0, tzinfo=UTC)
CFG = Settings(warning_probability=0.05, imminent_probability=0.2)


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
# A city of 10 × 10 zones of 1 km (Aleppo's are about that), its south-west corner at ORIGIN.
GRID = CityPlane(
    [square(f"G{i}{j}", 500 + 1000 * i, 500 + 1000 * j, 500) for i in range(10) for j in range(10)]
)
CENTRE = from_plane(*ORIGIN, 5500.0, 5500.0)


def track(
    *,
    circling: bool = False,
    east_mps: float = 55.0,
    north_mps: float = 0.0,
    velocity_sigma: float = 5.0,
    position_sigma: float = 150.0,
    aircraft: str = "helicopter",
    at: tuple[float, float] = ORIGIN,
    track_id: str = "T-1",
) -> LiveTrack:
    cov = [0.0] * 16
    cov[0] = cov[5] = position_sigma**2  # position, metres²
    cov[10] = cov[15] = velocity_sigma**2  # velocity, (m/s)²
    state = TrackState.load([*at, east_mps, north_mps], cov)
    activity = "circling" if circling else "bearing"
    return LiveTrack(track_id, aircraft, isoformat(NOW), state, activity, None, circling)


def by_pcode(zones: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {z["pcode"]: z for z in zones}


def chance(zones: list[dict[str, object]], pcode: str) -> float:
    found = by_pcode(zones).get(pcode)
    return 0.0 if found is None else float(str(found["probability"]))


def test_without_history_the_prior_is_flat_and_the_heading_decides() -> None:
    flying_north_east = track(east_mps=55.0, north_mps=8.0)  # heading about 82°: towards NORTH
    zones, reason = assess(flying_north_east, NOW, PLANE, {}, CFG)
    assert chance(zones, "NORTH") > chance(zones, "SOUTH")
    # Straight east, equally far off the heading: with no history the two are alike.
    level, _ = assess(track(), NOW, PLANE, {}, CFG)
    assert abs(chance(level, "NORTH") - chance(level, "SOUTH")) < 1e-4
    assert "heading 82°" in reason


def test_the_history_makes_a_zone_likelier() -> None:
    zones, _ = assess(track(), NOW, PLANE, {"NORTH": 5}, CFG)
    assert chance(zones, "NORTH") > 2 * chance(zones, "SOUTH")
    assert by_pcode(zones)["NORTH"]["strikes"] == 5
    assert zones[0]["rank"] == 1


def test_a_wider_heading_uncertainty_spreads_the_probability() -> None:
    sure, _ = assess(track(east_mps=55.0, north_mps=8.0), NOW, PLANE, {}, CFG)
    unsure, _ = assess(
        track(east_mps=55.0, north_mps=8.0, velocity_sigma=30.0), NOW, PLANE, {}, CFG
    )
    spread = chance(unsure, "NORTH") - chance(unsure, "SOUTH")
    assert 0 <= spread < chance(sure, "NORTH") - chance(sure, "SOUTH")


def test_a_hovering_helicopter_threatens_the_zone_below_it() -> None:
    # Known to be nearly still: a helicopter hovering over G55, though nobody said circling.
    hovering = track(east_mps=0.5, velocity_sigma=2.0, at=CENTRE)
    zones, reason = assess(hovering, NOW, GRID, {"G00": 50}, CFG)
    assert "hovering" in reason
    assert zones[0]["pcode"] == "G55" and zones[0]["level"] == "imminent"
    assert zones[0]["eta_min_s"] is None
    assert chance(zones, "G55") > 10 * chance(zones, "G00")
    assert by_pcode(zones)["G00"]["level"] == "watch"
    # A jet that slow is not hovering: jets do not hover.
    jet = track(east_mps=0.5, velocity_sigma=2.0, aircraft="fixed_wing", at=CENTRE)
    assert "hovering" not in assess(jet, NOW, GRID, {}, CFG)[1]
    # A fresh track whose speed is unknown is not taken for a hovering one either.
    fresh, why = assess(track(east_mps=0.0, velocity_sigma=55.0, at=CENTRE), NOW, GRID, {}, CFG)
    assert "hovering" not in why and "no usable heading" in why
    assert {z["level"] for z in fresh} == {"watch"}


def test_circling_makes_the_zone_below_imminent_whatever_its_history() -> None:
    circling = track(circling=True, east_mps=0.0, at=CENTRE)
    zones, reason = assess(circling, NOW, GRID, {"G00": 50}, CFG)
    assert by_pcode(zones)["G55"]["level"] == "imminent"
    assert by_pcode(zones)["G00"]["level"] == "watch"
    assert "circling" in reason
    flying, _ = assess(track(at=CENTRE), NOW, GRID, {"G00": 50}, CFG)
    assert "imminent" not in {z["level"] for z in flying}


def test_one_aircraft_never_warns_the_whole_city() -> None:
    """Its probabilities add up to at most its chance of striking: no more than
    1 / warning_probability zones can be warned, whatever its state."""
    cases = [
        track(),
        track(east_mps=0.0, velocity_sigma=55.0, position_sigma=3000.0),  # one bearing, far
        track(east_mps=40.0, north_mps=40.0, velocity_sigma=40.0),
        track(circling=True, east_mps=0.0, position_sigma=2000.0),
    ]
    for case in cases:
        zones, _ = assess(case, NOW, GRID, {}, CFG)
        assert sum(float(str(z["probability"])) for z in zones) <= 1.0
        warned = [z for z in zones if z["level"] != "watch"]
        assert len(warned) <= 1 / CFG.warning_probability
        assert len(zones) == 100  # every zone it could reach is still named, at watch


def test_two_tracks_converging_on_a_zone_combine() -> None:
    from_west = track(track_id="T-1", at=from_plane(*ORIGIN, -1500.0, 5500.0), east_mps=55.0)
    from_east = track(track_id="T-2", at=from_plane(*ORIGIN, 12500.0, 5500.0), east_mps=-55.0)
    west, _ = assess(from_west, NOW, GRID, {}, CFG)
    east, _ = assess(from_east, NOW, GRID, {}, CFG)
    p_west, p_east = chance(west, "G55"), chance(east, "G55")
    assert p_west > 0 and p_east > 0
    both = combine([p_west, p_east])
    assert abs(both - (1 - (1 - p_west) * (1 - p_east))) < 1e-12
    assert max(p_west, p_east) < both < p_west + p_east


def test_a_track_leaving_the_city_gives_its_zones_little() -> None:
    inbound, _ = assess(track(at=from_plane(*ORIGIN, -1500.0, 5500.0)), NOW, GRID, {}, CFG)
    leaving, _ = assess(
        track(at=from_plane(*ORIGIN, -1500.0, 5500.0), east_mps=-55.0), NOW, GRID, {}, CFG
    )
    top_in = max(float(str(z["probability"])) for z in inbound)
    top_out = max(float(str(z["probability"])) for z in leaving)
    assert top_out < top_in / 10
    assert {z["level"] for z in leaving} == {"watch"}
