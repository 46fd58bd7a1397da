"""A rescue site's own probability from a track's model: high below a circling aircraft or on
its heading, small off it or far from it, nothing out of its reach; the stored model is renewed
when the aircraft moves or turns enough for a site to see it differently."""

import math

import pytest

from hanano.warning.plane import from_plane
from hanano.warning.threat_model import SiteModel, site_chance

SITE = (36.2270, 37.2026)
RADII = (250.0, 800.0)


def model(east: float, north: float, **fields: object) -> SiteModel:
    """A track `east`/`north` metres from the site, in flight north with a sure heading, unless
    `fields` say otherwise."""
    lat, lon = from_plane(*SITE, east, north)
    base: dict[str, object] = {
        "lat": lat,
        "lon": lon,
        "sigma": 200.0,
        "heading": 0.0,
        "heading_sigma": 5.0,
        "hovering": False,
        "spread": 600.0,
        "floor_deg": 5.0,
        "chance": 0.6,
        "total": 10.0,
        "reach_m": 30_000.0,
    }
    base.update(fields)
    return SiteModel(**base)  # type: ignore[arg-type]


def test_a_circling_aircraft_over_the_site_gives_it_much_and_one_3_km_away_little() -> None:
    over = model(0.0, 0.0, hovering=True, heading=None, chance=0.5, total=1.0, spread=300.0)
    # Right over it, a tight circle falls wholly within the zone-sized place: w = 5 → 0.5 × 5/6.
    assert site_chance(over, SITE, RADII, 5.0) == pytest.approx(0.5 * 5 / 6)
    away = model(3000.0, 0.0, hovering=True, heading=None, chance=0.5, total=1.0)
    assert site_chance(away, SITE, RADII, 5.0) < 0.01


def test_on_the_heading_much_off_it_little_behind_it_nothing() -> None:
    south = model(0.0, -8000.0)  # 8 km south, heading north: straight at the site
    assert site_chance(south, SITE, RADII, 5.0) == pytest.approx(0.6 * 5 / 15)
    aside = model(4000.0, -8000.0)  # the heading passes 4 km east of the site
    assert site_chance(aside, SITE, RADII, 5.0) < 0.001
    north = model(0.0, 8000.0)  # already past it, flying away
    assert site_chance(north, SITE, RADII, 5.0) < 1e-6


def test_with_no_usable_heading_the_site_weighs_only_its_weight() -> None:
    lost = model(0.0, -8000.0, heading=None, heading_sigma=180.0, total=110.0)
    assert site_chance(lost, SITE, RADII, 5.0) == pytest.approx(0.6 * 5 / 115)


def test_out_of_reach_or_without_weight_gives_nothing() -> None:
    far = model(0.0, -8000.0, reach_m=5000.0)
    assert site_chance(far, SITE, RADII, 5.0) == 0.0
    # Within reach once its position's uncertainty is counted (8 km − 250 m − 2 × 1.5 km).
    blurred = model(0.0, -8000.0, reach_m=5000.0, sigma=1500.0)
    assert site_chance(blurred, SITE, RADII, 5.0) > 0.0
    assert site_chance(model(0.0, -8000.0), SITE, RADII, 0.0) == 0.0


def test_the_model_travels_in_the_log_and_back() -> None:
    m = model(120.0, -3400.0, heading=12.5)
    again = SiteModel.from_dict(m.as_dict())
    assert site_chance(again, SITE, RADII, 5.0) == pytest.approx(
        site_chance(m, SITE, RADII, 5.0), rel=1e-3
    )


def test_the_stored_model_is_renewed_when_a_site_would_see_the_track_differently() -> None:
    before = model(0.0, -8000.0)
    assert before.moved_from(None)
    assert not before.moved_from(before)
    assert not model(0.0, -7600.0).moved_from(before)  # 400 m on
    assert model(0.0, -7400.0).moved_from(before)  # 600 m on
    assert not model(0.0, -8000.0, heading=10.0).moved_from(before)
    assert model(0.0, -8000.0, heading=20.0).moved_from(before)
    assert model(0.0, -8000.0, heading=None).moved_from(before)
    assert model(0.0, -8000.0, hovering=True).moved_from(before)
    # Across north, the turn is the short way round.
    assert not model(0.0, -8000.0, heading=355.0).moved_from(before)
    assert math.isclose(before.as_dict()["heading_deg"], 0.0)
