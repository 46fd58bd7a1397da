"""The probability that a live aircraft strikes each zone within the warning horizon.

p(zone) = chance(the aircraft strikes within the horizon) × share(zone | it strikes).

The chance depends on what the aircraft is doing and its type's behaviour: a helicopter or a
drone circling or hovering over the city drops within minutes; one in flight on a known heading
strikes less surely within the horizon (it may pass over or turn back); a jet makes passes, so its
heading says less about its target. The share weighs each zone by its strike history (logged
strikes plus a smoothing, relative to the city's mean: a flat prior when nothing is logged)
times how well the track's state and its uncertainty place the zone:

- hovering or circling: the mass of a normal around the aircraft (its position's uncertainty
  and the circling radius) that falls in the zone;
- in flight with a usable heading: a normal in the angle between the heading and the zone, as
  wide as the heading's and the position's uncertainty (and the type's floor), for zones it can
  reach within the horizon at its top speed;
- in flight with no usable heading, just off the ground from a base whose usual routes are
  learned (hanano/warning/sortie_ways.py): a mixture of normals in the angle, one about
  each bearing past sorties flew from the base, scaled so the likeliest way counts 1;
- otherwise every zone it can reach is alike.

The weights are normalised together with the places outside the city the aircraft could strike
instead, so that an aircraft heading away from the city, or one that could go anywhere, gives
each zone little. Several aircraft combine as 1 − ∏(1 − p).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any

from shapely.geometry import Point

from hanano.warning.plane import to_plane
from hanano.warning.tracks import Profile

# A heading known to within this says where the aircraft goes; worse, it could go anywhere.
HEADING_USABLE_DEG = 60.0
# The zone below a circling aircraft is known to about this, however poor the fix.
CIRCLING_SIGMA_CAP_M = 800.0


@dataclass(frozen=True)
class Behaviour:
    """How a type of aircraft strikes: its chance of striking within the horizon when circling
    or hovering and when in flight, the floor under its heading's spread, whether it hovers."""

    over_chance: float
    flight_chance: float
    heading_floor_deg: float
    hovers: bool


BEHAVIOUR: dict[str, Behaviour] = {
    # Helicopters circle over the target and drop barrels; slow, they seldom change their mind.
    "helicopter": Behaviour(0.5, 0.6, 5.0, True),
    # Jets make passes at speed and turn: the heading points less surely at the target.
    "fixed_wing": Behaviour(0.5, 0.5, 15.0, False),
    # Drones loiter long: over a zone they strike less surely within minutes.
    "drone": Behaviour(0.35, 0.3, 10.0, True),
    "unknown": Behaviour(0.5, 0.4, 10.0, False),
}
# A track's stored model is renewed when the aircraft has moved this far or turned this much.
MODEL_MOVE_M = 500.0
MODEL_TURN_DEG = 15.0
# The places outside the city an aircraft in flight could strike instead, as a number of zones
# of the city's mean history in its corridor.
OUTSIDE_WEIGHT = 1.0


def behaviour(aircraft: str) -> Behaviour:
    return BEHAVIOUR.get(aircraft, BEHAVIOUR["unknown"])


@dataclass(frozen=True)
class RouteSpread:
    """Where sorties from a base usually go: one compass bearing from the base per past track
    (sortie_ways.py), and the spread (degrees) of the way about each."""

    origin: str
    bearings: tuple[float, ...]
    spread_deg: float


@dataclass(frozen=True)
class Fix:
    """Where the track stands for the model: position in the city's plane and its spread (m),
    speed and heading (None when unknown) with its spread, what it is doing, and the usual
    routes of the base it just took off from (only while it has no usable heading)."""

    here: Point
    sigma: float
    speed: float
    heading: float | None
    heading_sigma: float
    hovering: bool
    routes: RouteSpread | None = None


def on_routes(fix: Fix, routes: RouteSpread | None) -> Fix:
    """The fix with its base's usual routes, which stand in for a heading it does not have."""
    if routes is None or fix.heading is not None or fix.hovering or not routes.bearings:
        return fix
    return replace(fix, routes=routes)


def relative_prior(
    zones: list[Any], strikes: dict[str, float], smoothing: float
) -> dict[str, float]:
    """Each zone's strike history relative to the city's mean (1 everywhere with no history)."""
    weights = {z.pcode: strikes.get(z.pcode, 0) + smoothing for z in zones}
    mean = sum(weights.values()) / len(weights) if weights else 1.0
    return {p: w / mean if mean > 0 else 1.0 for p, w in weights.items()}


def _radius(zone: Any) -> float:
    return math.sqrt(zone.plane.area / math.pi)


def hover_spread(fix: Fix, circling_radius: float) -> float:
    """How far from a hovering aircraft its strike may fall: its fix, capped, and its circle."""
    return math.hypot(min(fix.sigma, CIRCLING_SIGMA_CAP_M), circling_radius / 2)


def hover_mass(distance: float, radius: float, spread: float) -> float:
    """The share of a normal of `spread` around a hovering aircraft that falls in a round place
    of `radius` whose centre lies `distance` away (the place's size smooths the normal)."""
    s2 = spread**2 + radius**2 / 4
    return min(1.0, radius**2 / (2 * s2)) * math.exp(-0.5 * distance**2 / s2)


def heading_likelihood(fix: Fix, dx: float, dy: float, radius: float, floor_deg: float) -> float:
    """How well a round place of `radius`, `dx`/`dy` metres east/north of the aircraft, lies on
    its heading: 1 with no usable heading, or when the aircraft is already over it."""
    if fix.heading is None:
        return 1.0
    distance = math.hypot(dx, dy)
    if distance <= radius + fix.sigma:
        return 1.0
    off = abs((math.degrees(math.atan2(dx, dy)) - fix.heading + 180.0) % 360.0 - 180.0)
    off = max(0.0, off - math.degrees(math.atan2(radius, distance)))
    spread = math.hypot(fix.heading_sigma, math.degrees(math.atan2(fix.sigma, distance)), floor_deg)
    return math.exp(-0.5 * (off / spread) ** 2)


def hover_weights(
    fix: Fix, zones: list[Any], circling_radius: float
) -> tuple[dict[str, float], float]:
    """The share of a normal around a hovering aircraft that falls in each zone; the rest."""
    spread = hover_spread(fix, circling_radius)
    weights: dict[str, float] = {}
    for zone in zones:
        d = 0.0 if zone.plane.contains(fix.here) else zone.plane.centroid.distance(fix.here)
        weights[zone.pcode] = hover_mass(d, _radius(zone), spread)
    return weights, max(0.0, 1.0 - sum(weights.values()))


def route_likelihood(fix: Fix, routes: RouteSpread, dx: float, dy: float, radius: float) -> float:
    """How well a round place of `radius`, `dx`/`dy` metres east/north of an aircraft just off
    the ground, lies on its base's usual routes: the mean of a normal in the angle about each
    learned bearing, as wide as the routes' spread and the position's uncertainty (the type's
    floor is left out: where past sorties went already says how surely they get there), over
    that mean on the likeliest bearing. 1 when the aircraft is already over the place."""
    distance = math.hypot(dx, dy)
    if distance <= radius + fix.sigma:
        return 1.0
    width = math.degrees(math.atan2(radius, distance))
    spread = math.hypot(routes.spread_deg, math.degrees(math.atan2(fix.sigma, distance)))
    return min(1.0, _mixture(routes, compass_of(dx, dy), width, spread) / _peak(routes))


def compass_of(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _mixture(routes: RouteSpread, bearing: float, width: float, spread: float) -> float:
    total = 0.0
    for way in routes.bearings:
        off = max(0.0, abs((bearing - way + 180.0) % 360.0 - 180.0) - width)
        total += math.exp(-0.5 * (off / spread) ** 2)
    return total / len(routes.bearings)


@functools.lru_cache(maxsize=64)
def _peak(routes: RouteSpread) -> float:
    """The mixture's height on its likeliest learned bearing, at the routes' own spread (a
    wider one, for a place near an uncertain fix, only flattens it: the ratio is capped at 1)."""
    return max(_mixture(routes, way, 0.0, routes.spread_deg) for way in routes.bearings)


def flight_weights(fix: Fix, zones: list[Any], floor_deg: float) -> dict[str, float]:
    """How well each zone lies on the heading, or on the base's usual routes (1 with neither)."""
    weights: dict[str, float] = {}
    for zone in zones:
        centre = zone.plane.centroid
        dx, dy = centre.x - fix.here.x, centre.y - fix.here.y
        if fix.routes is not None:
            weights[zone.pcode] = route_likelihood(fix, fix.routes, dx, dy, _radius(zone))
        else:
            weights[zone.pcode] = heading_likelihood(fix, dx, dy, _radius(zone), floor_deg)
    return weights


def probabilities(
    fix: Fix,
    kind: Behaviour,
    reachable: list[Any],
    prior: dict[str, float],
    circling_radius: float,
) -> dict[str, float]:
    """p(strike in zone within the horizon) for the zones the aircraft can reach in it."""
    return weighed(fix, kind, reachable, prior, circling_radius)[0]


def weighed(
    fix: Fix,
    kind: Behaviour,
    reachable: list[Any],
    prior: dict[str, float],
    circling_radius: float,
) -> tuple[dict[str, float], float]:
    """The zones' probabilities, and the sum of every weight they were normalised by (the
    places outside the city included): another place is weighed against that sum."""
    if not reachable:
        return {}, 0.0
    if fix.hovering:
        weights, outside = hover_weights(fix, reachable, circling_radius)
        chance = kind.over_chance
    else:
        weights = flight_weights(fix, reachable, kind.heading_floor_deg)
        outside = OUTSIDE_WEIGHT
        chance = kind.flight_chance
    scored = {p: prior.get(p, 1.0) * w for p, w in weights.items()}
    total = sum(scored.values()) + outside
    if total <= 0:
        return {}, 0.0
    return {p: chance * w / total for p, w in scored.items()}, total


def combine(chances: list[float]) -> float:
    """The probability that at least one of independent threats strikes."""
    miss = 1.0
    for p in chances:
        miss *= 1.0 - p
    return 1.0 - miss


def usable_heading(heading: float | None, sigma: float) -> float | None:
    return heading if heading is not None and sigma <= HEADING_USABLE_DEG else None


def track_fix(track: Any, state: Any, here: Point, p: Profile, overhead: bool) -> Fix:
    """Where a live track stands for the model, `here` in the city's plane."""
    kind = behaviour(track.aircraft)
    return Fix(
        here=here,
        sigma=state.position_sigma,
        speed=state.speed,
        heading=usable_heading(state.heading, state.heading_sigma_deg),
        heading_sigma=state.heading_sigma_deg,
        hovering=hovers(kind, p, state, track.circling, overhead),
    )


def hovers(kind: Behaviour, profile: Profile, state: Any, circling: bool, over: bool) -> bool:
    """Circling, reported over a zone, or (a type that hovers) known to be slower than it can
    fly on: a fresh track whose speed is not known yet is not hovering."""
    slow = state.speed + state.speed_sigma < profile.min_mps
    return circling or over or (kind.hovers and slow)


@dataclass(frozen=True)
class SiteModel:
    """What one assessment of a track says of any place, kept with the assessment so that a
    rescue site gets its own probability (`site_chance`) without the city's zones: where the
    aircraft stands and how well it is known, what it is doing, its chance of striking within
    the horizon, how far it can fly in it, and the sum of weights its zones were normalised by.
    """

    lat: float
    lon: float
    sigma: float
    heading: float | None
    heading_sigma: float
    hovering: bool
    spread: float
    floor_deg: float
    chance: float
    total: float
    reach_m: float
    routes: RouteSpread | None = None

    def as_dict(self) -> dict[str, Any]:
        routes = self.routes
        return {
            **(
                {}
                if routes is None
                else {
                    "routes": {
                        "origin": routes.origin,
                        "bearings_deg": [round(b, 1) for b in routes.bearings],
                        "spread_deg": routes.spread_deg,
                    }
                }
            ),
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "sigma_m": round(self.sigma, 1),
            "heading_deg": None if self.heading is None else round(self.heading, 1),
            "heading_sigma_deg": round(self.heading_sigma, 1),
            "hovering": self.hovering,
            "spread_m": round(self.spread, 1),
            "floor_deg": self.floor_deg,
            "chance": round(self.chance, 4),
            "total": round(self.total, 4),
            "reach_m": round(self.reach_m),
        }

    def moved_from(self, before: SiteModel | None) -> bool:
        """Whether a rescue site would see this track differently from `before`: it moved
        as far as a site's radius, began or stopped hovering, or turned."""
        if before is None:
            return True
        east, north = to_plane(before.lat, before.lon, self.lat, self.lon)
        turned = (self.heading is None) != (before.heading is None) or (
            self.heading is not None
            and before.heading is not None
            and abs((self.heading - before.heading + 180.0) % 360.0 - 180.0) >= MODEL_TURN_DEG
        )
        rerouted = (self.routes is None) != (before.routes is None)
        moved = math.hypot(east, north) >= MODEL_MOVE_M
        return moved or self.hovering != before.hovering or turned or rerouted

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SiteModel:
        return cls(
            d["lat"],
            d["lon"],
            d["sigma_m"],
            d["heading_deg"],
            d["heading_sigma_deg"],
            d["hovering"],
            d["spread_m"],
            d["floor_deg"],
            d["chance"],
            d["total"],
            d["reach_m"],
            _routes(d.get("routes")),
        )


def _routes(d: dict[str, Any] | None) -> RouteSpread | None:
    if d is None:
        return None
    return RouteSpread(d["origin"], tuple(d["bearings_deg"]), d["spread_deg"])


def site_model(
    fix: Fix, kind: Behaviour, at: tuple[float, float], total: float, circling: float, reach: float
) -> SiteModel:
    """The assessment's model of the track, `at` its (lat, lon)."""
    return SiteModel(
        lat=at[0],
        lon=at[1],
        sigma=fix.sigma,
        heading=fix.heading,
        heading_sigma=fix.heading_sigma,
        hovering=fix.hovering,
        spread=hover_spread(fix, circling),
        floor_deg=kind.heading_floor_deg,
        chance=kind.over_chance if fix.hovering else kind.flight_chance,
        total=total,
        reach_m=reach,
        routes=fix.routes,
    )


def site_chance(
    model: SiteModel, site: tuple[float, float], radii: tuple[float, float], weight: float
) -> float:
    """The probability that this track strikes a place at `site` (lat, lon) within the horizon,
    the place weighed as `weight` zones of the city's mean history, against every place the
    track's zones were weighed with. `radii` are the place's own radius, which an aircraft in
    flight must head for, and its zone's, under which a hovering aircraft's strike may fall (its
    fix is rarely better than that). A place it cannot reach in time gets nothing."""
    own, zone = radii
    east, north = to_plane(model.lat, model.lon, site[0], site[1])
    distance = math.hypot(east, north)
    if model.hovering:
        like = hover_mass(distance, zone, model.spread)
    elif distance - own - 2 * model.sigma > model.reach_m:
        return 0.0
    else:
        fix = Fix(Point(0, 0), model.sigma, 0.0, model.heading, model.heading_sigma, False)
        if model.routes is not None:
            like = route_likelihood(fix, model.routes, east, north, own)
        else:
            like = heading_likelihood(fix, east, north, own, model.floor_deg)
    w = weight * like
    return model.chance * w / (model.total + w) if model.total + w > 0 else 0.0
