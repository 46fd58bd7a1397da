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
- otherwise every zone it can reach is alike.

The weights are normalised together with the places outside the city the aircraft could strike
instead, so that an aircraft heading away from the city, or one that could go anywhere, gives
each zone little. Several aircraft combine as 1 − ∏(1 − p).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point

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
# The places outside the city an aircraft in flight could strike instead, as a number of zones
# of the city's mean history in its corridor.
OUTSIDE_WEIGHT = 1.0


def behaviour(aircraft: str) -> Behaviour:
    return BEHAVIOUR.get(aircraft, BEHAVIOUR["unknown"])


@dataclass(frozen=True)
class Fix:
    """Where the track stands for the model: position in the city's plane and its spread (m),
    speed and heading (None when unknown) with its spread, and what it is doing."""

    here: Point
    sigma: float
    speed: float
    heading: float | None
    heading_sigma: float
    hovering: bool


def relative_prior(
    zones: list[Any], strikes: dict[str, float], smoothing: float
) -> dict[str, float]:
    """Each zone's strike history relative to the city's mean (1 everywhere with no history)."""
    weights = {z.pcode: strikes.get(z.pcode, 0) + smoothing for z in zones}
    mean = sum(weights.values()) / len(weights) if weights else 1.0
    return {p: w / mean if mean > 0 else 1.0 for p, w in weights.items()}


def _radius(zone: Any) -> float:
    return math.sqrt(zone.plane.area / math.pi)


def hover_weights(
    fix: Fix, zones: list[Any], circling_radius: float
) -> tuple[dict[str, float], float]:
    """The share of a normal around a hovering aircraft that falls in each zone; the rest."""
    spread = math.hypot(min(fix.sigma, CIRCLING_SIGMA_CAP_M), circling_radius / 2)
    weights: dict[str, float] = {}
    for zone in zones:
        r = _radius(zone)
        s2 = spread**2 + r**2 / 4
        d = zone.plane.centroid.distance(fix.here)
        if zone.plane.contains(fix.here):
            d = 0.0
        weights[zone.pcode] = min(1.0, zone.plane.area / (2 * math.pi * s2)) * math.exp(
            -0.5 * d**2 / s2
        )
    return weights, max(0.0, 1.0 - sum(weights.values()))


def flight_weights(fix: Fix, zones: list[Any], floor_deg: float) -> dict[str, float]:
    """How well each zone lies on the heading (1 with no usable heading)."""
    weights: dict[str, float] = {}
    for zone in zones:
        likelihood = 1.0
        if fix.heading is not None:
            centre = zone.plane.centroid
            dx, dy = centre.x - fix.here.x, centre.y - fix.here.y
            distance = math.hypot(dx, dy)
            radius = _radius(zone)
            if distance > radius + fix.sigma:
                off = abs((math.degrees(math.atan2(dx, dy)) - fix.heading + 180.0) % 360.0 - 180.0)
                off = max(0.0, off - math.degrees(math.atan2(radius, distance)))
                spread = math.hypot(
                    fix.heading_sigma, math.degrees(math.atan2(fix.sigma, distance)), floor_deg
                )
                likelihood = math.exp(-0.5 * (off / spread) ** 2)
        weights[zone.pcode] = likelihood
    return weights


def probabilities(
    fix: Fix,
    kind: Behaviour,
    reachable: list[Any],
    prior: dict[str, float],
    circling_radius: float,
) -> dict[str, float]:
    """p(strike in zone within the horizon) for the zones the aircraft can reach in it."""
    if not reachable:
        return {}
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
        return {}
    return {p: chance * w / total for p, w in scored.items()}


def combine(chances: list[float]) -> float:
    """The probability that at least one of independent threats strikes."""
    miss = 1.0
    for p in chances:
        miss *= 1.0 - p
    return 1.0 - miss


def usable_heading(heading: float | None, sigma: float) -> float | None:
    return heading if heading is not None and sigma <= HEADING_USABLE_DEG else None


def hovers(kind: Behaviour, profile: Profile, state: Any, circling: bool, over: bool) -> bool:
    """Circling, reported over a zone, or (a type that hovers) known to be slower than it can
    fly on: a fresh track whose speed is not known yet is not hovering."""
    slow = state.speed + state.speed_sigma < profile.min_mps
    return circling or over or (kind.hovers and slow)
