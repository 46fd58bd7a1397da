"""Scenarios of sorties and strikes for evaluating early warning, built from real strike sites.

The strikes are Human Rights Watch's air-strike impact sites in Aleppo (satellite analysis);
everything else is simulated, and the assumptions are written into the scenario file itself:
which bases sorties fly from, how fast, how long aircraft circle, where spotters sit, how often
they miss an aircraft, mistake its type or misjudge its bearing and distance, and how late their
reports arrive.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hanano.sim.scenario import AIR_STRIKE, load_impact_sites
from hanano.warning.plane import compass, from_plane, to_plane
from hanano.warning.posts import ALEPPO_AIR_BASES

# A point's P-code (the city's zones), None outside them.
Locate = Callable[[float, float], str | None]
# Sortie mix: most barrel-bomb helicopters over Aleppo were reported from Kuweires and Nayrab.
SORTIE_BASES = (("kuweires", 0.5), ("nayrab", 0.3), ("jirah", 0.2))
HELICOPTER_SHARE = 0.8
# Observation posts: on high buildings around the city, and watchers near the bases (Sentry's
# spotters sat near air bases and reported take-offs).
CITY_POSTS = (
    ("post-north", 36.2600, 37.1500),
    ("post-northeast", 36.2400, 37.2100),
    ("post-east", 36.2050, 37.2300),
    ("post-southeast", 36.1600, 37.2000),
    ("post-south", 36.1500, 37.1400),
    ("post-west", 36.2000, 37.0900),
    ("post-northwest", 36.2450, 37.1000),
    ("post-centre", 36.1990, 37.1600),
)
ASSUMPTIONS: dict[str, Any] = {
    "strikes": "HRW air-strike sites whose image window holds the day, spread uniformly from "
    "06:00 local over the span; one sortie per strike, a second strike nearby for 30 % of "
    "helicopter sorties",
    "take_off_reported": 0.8,
    "take_off_report_delay_s": [10, 60],
    "helicopter_speed_mps": [45, 65],
    "fixed_wing_speed_mps": [140, 200],
    "helicopter_circling_s": [60, 300],
    "fixed_wing_circling_s": [20, 60],
    "post_visual_range_km": 7.0,
    "sighting_interval_s": 60,
    "sighting_probability_per_post_per_interval": 0.35,
    "bearing_error_sd_deg": 8.0,
    "distance_given": 0.6,
    "distance_error_sd_share": 0.3,
    "heading_given": 0.5,
    "heading_error_sd_deg": 20.0,
    "wrong_type_probability": 0.1,
    "circling_named_probability": 0.6,
    "report_delay_s": [5, 40],
    "route_wobble_m": 1500,
    "history": "strikes logged before the day, the prior zones are ranked by: HRW air-strike "
    "sites whose image window ended before the day, each logged at a time drawn within the "
    "last HISTORY_DAYS days of its window",
    "follow_ups": "share of the day's sorties whose first strike site is struck again "
    "(a double-tap) by another sortie, follow_up_min minutes after the first strike",
    "note": "Simulated sorties, spotters and sightings; only the strike sites are real.",
}
# Share of struck sites hit again. Reports from Aleppo give counts of double-tap attacks on
# rescuers (SJAC verified 58; the White Helmets count 122), not a rate; a quarter of the day's
# sites gives enough follow-ups per day to measure the exposure of the crews on them.
FOLLOW_UP_SHARE = 0.25
# Minutes between a strike and its follow-up at the same site, as such attacks were reported.
FOLLOW_UP_MIN = (5.0, 40.0)
# A deployment logs the strikes its crews attend; a year of them is the history a day starts with.
HISTORY_DAYS = 365


@dataclass
class Sortie:
    sortie_id: str
    aircraft: str
    base_id: str
    took_off: datetime
    path: list[tuple[float, float, float]]  # seconds after take-off, lat, lon
    circling: list[tuple[float, float]]  # (start s, end s)
    strikes: list[dict[str, Any]]


def _base(base_id: str) -> tuple[float, float]:
    for bid, _, _, lat, lon in ALEPPO_AIR_BASES:
        if bid == base_id:
            return lat, lon
    raise KeyError(base_id)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for name, weight in weighted:
        roll -= weight
        if roll <= 0:
            return name
    return weighted[-1][0]


def _fly(
    start: tuple[float, float],
    end: tuple[float, float],
    speed: float,
    wobble: float,
    rng: random.Random,
) -> list[tuple[float, float, float]]:
    """Points every 10 s along a gently bent line from start to end."""
    east, north = to_plane(start[0], start[1], end[0], end[1])
    length = math.hypot(east, north)
    duration = length / speed
    bend = rng.uniform(-wobble, wobble)
    steps = max(2, int(duration // 10))
    out = []
    for k in range(steps + 1):
        f = k / steps
        off = bend * math.sin(math.pi * f)
        ue, un = (east / length, north / length) if length else (0.0, 1.0)
        lat, lon = from_plane(start[0], start[1], east * f - un * off, north * f + ue * off)
        out.append((duration * f, lat, lon))
    return out


def _orbit(
    centre: tuple[float, float], t0: float, seconds: float
) -> list[tuple[float, float, float]]:
    """Circling about 800 m around a point, a lap every 90 s."""
    out = []
    for k in range(int(seconds // 10) + 1):
        t = k * 10
        angle = 2 * math.pi * t / 90
        lat, lon = from_plane(centre[0], centre[1], 800 * math.sin(angle), 800 * math.cos(angle))
        out.append((t0 + t, lat, lon))
    return out


def _sortie(n: int, site: Any, strike_at: datetime, rng: random.Random) -> Sortie:
    helicopter = rng.random() < HELICOPTER_SHARE
    aircraft = "helicopter" if helicopter else "fixed_wing"
    base_id = _pick(rng, SORTIE_BASES) if helicopter else rng.choice(["jirah", "kuweires"])
    speed = rng.uniform(45, 65) if helicopter else rng.uniform(140, 200)
    circle_s = rng.uniform(60, 300) if helicopter else rng.uniform(20, 60)
    base = _base(base_id)
    target = (site.lat, site.lon)
    inbound = _fly(base, target, speed, ASSUMPTIONS["route_wobble_m"], rng)
    arrive = inbound[-1][0]
    orbit = _orbit(target, arrive, circle_s)
    impact_s = arrive + circle_s
    strikes = [{"at": strike_at, "lat": site.lat, "lon": site.lon}]
    # Takes off so that the first bomb falls at the site's time.
    took_off = strike_at - timedelta(seconds=impact_s)
    circling = [(arrive, impact_s)]
    path = inbound + orbit[1:]
    if helicopter and rng.random() < 0.3:
        # A second barrel nearby after another short orbit.
        e, nn = rng.uniform(-1500, 1500), rng.uniform(-1500, 1500)
        second = from_plane(site.lat, site.lon, e, nn)
        more = rng.uniform(60, 120)
        path += [(t, la, lo) for t, la, lo in _orbit(second, impact_s + 10, more)]
        circling.append((impact_s + 10, impact_s + 10 + more))
        strikes.append(
            {
                "at": took_off + timedelta(seconds=impact_s + 10 + more),
                "lat": second[0],
                "lon": second[1],
            }
        )
    leave_from = (path[-1][1], path[-1][2])
    back = _fly(leave_from, base, speed, ASSUMPTIONS["route_wobble_m"], rng)
    t_end = path[-1][0]
    path += [(t_end + t, la, lo) for t, la, lo in back[1:]]
    return Sortie(f"S{n}", aircraft, base_id, took_off, path, circling, strikes)


def _position(s: Sortie, t: float) -> tuple[float, float, float]:
    """Position and heading at `t` seconds after take-off."""
    path = s.path
    for (t1, la1, lo1), (t2, la2, lo2) in itertools.pairwise(path):
        if t1 <= t <= t2:
            f = (t - t1) / (t2 - t1) if t2 > t1 else 0.0
            lat, lon = la1 + (la2 - la1) * f, lo1 + (lo2 - lo1) * f
            heading = compass(*to_plane(la1, lo1, la2, lo2))
            return lat, lon, heading
    return path[-1][1], path[-1][2], 0.0


def _bearing_report(
    rng: random.Random, post_id: str, east: float, north: float, heading: float, circling: bool
) -> dict[str, Any]:
    """What a post reports of an aircraft it sees: a bearing, perhaps its distance and heading,
    each with the spotter's error."""
    a = ASSUMPTIONS
    distance = math.hypot(east, north)
    fields: dict[str, Any] = {
        "activity": "circling" if circling else "bearing",
        "post_id": post_id,
        "bearing_deg": round(
            (compass(east, north) + rng.gauss(0, a["bearing_error_sd_deg"])) % 360, 1
        ),
    }
    if rng.random() < a["distance_given"]:
        guess = distance * (1 + rng.gauss(0, a["distance_error_sd_share"]))
        fields["distance_km"] = round(min(max(guess / 1000, 0.2), 50.0), 2)
    if not circling and rng.random() < a["heading_given"]:
        fields["heading_deg"] = round((heading + rng.gauss(0, a["heading_error_sd_deg"])) % 360, 1)
    return fields


def _sightings(s: Sortie, rng: random.Random, locate: Locate) -> list[dict[str, Any]]:
    a = ASSUMPTIONS
    out: list[dict[str, Any]] = []

    def typed() -> str:
        if rng.random() < a["wrong_type_probability"]:
            return "unknown"
        return s.aircraft

    def emit(t: float, fields: dict[str, Any]) -> None:
        observed = s.took_off + timedelta(seconds=t)
        delay = rng.uniform(*a["report_delay_s"])
        body = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "observed_at": observed.isoformat(),
            "aircraft": typed(),
            **fields,
        }
        out.append({"at": (observed + timedelta(seconds=delay)).isoformat(), "body": body})

    if rng.random() < a["take_off_reported"]:
        emit(
            rng.uniform(*a["take_off_report_delay_s"]),
            {"activity": "took_off", "base_id": s.base_id},
        )
    end = s.path[-1][0]
    t = 0.0
    while t <= end:
        lat, lon, heading = _position(s, t)
        circling = any(c0 <= t <= c1 for c0, c1 in s.circling)
        for post_id, plat, plon in CITY_POSTS:
            east, north = to_plane(plat, plon, lat, lon)
            distance = math.hypot(east, north)
            if distance > a["post_visual_range_km"] * 1000:
                continue
            if rng.random() > a["sighting_probability_per_post_per_interval"]:
                continue
            pcode = locate(lat, lon)
            if circling and pcode and rng.random() < a["circling_named_probability"]:
                emit(t, {"activity": "circling", "pcode": pcode})
                continue
            emit(t, _bearing_report(rng, post_id, east, north, heading, circling))
        t += a["sighting_interval_s"]
    return out


def _strikes(plan: list[Sortie], locate: Any) -> list[dict[str, Any]]:
    return [
        {
            "strike_id": f"{s.sortie_id}.{k}",
            "sortie_id": s.sortie_id,
            "at": strike["at"].isoformat(),
            "lat": round(strike["lat"], 6),
            "lon": round(strike["lon"], 6),
            "pcode": locate(strike["lat"], strike["lon"]),
            **({"follow_up_of": strike["follow_up_of"]} if "follow_up_of" in strike else {}),
        }
        for s in plan
        for k, strike in enumerate(s.strikes, start=1)
    ]


def _follow_ups(
    plan: list[Sortie], sites: list[Any], share: float, rng: random.Random
) -> list[Sortie]:
    """Sorties that strike a site of the day again, 5-40 min after its first strike: the
    double-tap that hits the rescuers who came."""
    out = []
    for sortie, site in zip(plan, sites, strict=True):
        if rng.random() >= share:
            continue
        first = sortie.strikes[0]["at"]
        at = first + timedelta(minutes=rng.uniform(*FOLLOW_UP_MIN))
        follow = _sortie(0, site, at, rng)
        follow.sortie_id = f"F{sortie.sortie_id[1:]}"
        follow.strikes[0]["follow_up_of"] = f"{sortie.sortie_id}.1"
        out.append(follow)
    return out


def generate(
    locate: Locate,
    day: date = date(2014, 2, 13),
    sorties: int = 40,
    seed: int = 2014,
    span_hours: float = 15.0,
    follow_up_share: float = FOLLOW_UP_SHARE,
) -> dict[str, Any]:
    """A scenario: posts, sorties with their strikes and follow-up strikes, and the sightings
    spotters would send.

    `locate(lat, lon)` gives a point's P-code (the city's zones)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible scenario, not a secret
    pool = [s for s in load_impact_sites() if _of_the_day(s, day, locate)]
    chosen = rng.sample(pool, min(sorties, len(pool)))
    start = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
    plan = []
    for n, site in enumerate(chosen, start=1):
        strike_at = start + timedelta(seconds=rng.uniform(0, span_hours * 3600))
        plan.append(_sortie(n, site, strike_at, rng))
    sightings = [sighting for s in plan for sighting in _sightings(s, rng, locate)]
    # Their own generator, so that adding follow-ups leaves a seed's first sorties as they were.
    again = random.Random(f"follow-up-{seed}")  # noqa: S311
    follow_ups = _follow_ups(plan, chosen, follow_up_share, again)
    sightings += [sighting for s in follow_ups for sighting in _sightings(s, again, locate)]
    plan += follow_ups
    strikes = _strikes(plan, locate)
    sightings.sort(key=lambda x: x["at"])
    strikes.sort(key=lambda x: x["at"])
    # Its own generator, so that adding the history leaves a seed's sorties as they were.
    history = _history(locate, day, random.Random(f"history-{seed}"))  # noqa: S311
    return {
        "name": f"aleppo-{day.isoformat()}-{len(chosen)}-sorties-seed-{seed}",
        "day": day.isoformat(),
        "assumptions": {
            **ASSUMPTIONS,
            "span_hours": span_hours,
            "seed": seed,
            "follow_up_share": follow_up_share,
            "follow_up_min": list(FOLLOW_UP_MIN),
        },
        "posts": [{"post_id": p, "lat": la, "lon": lo} for p, la, lo in CITY_POSTS],
        "sorties": [_sortie_row(s) for s in plan],
        "strikes": strikes,
        "sightings": sightings,
        "history": history,
    }


def _of_the_day(site: Any, day: date, locate: Locate) -> bool:
    """An air strike in the city whose image window holds the day."""
    held = site.window_start <= day <= site.window_end
    return bool(site.cause == AIR_STRIKE and held and locate(site.lat, site.lon))


def _sortie_row(s: Sortie) -> dict[str, Any]:
    row = {
        "sortie_id": s.sortie_id,
        "aircraft": s.aircraft,
        "base_id": s.base_id,
        "took_off": s.took_off.isoformat(),
        "landed": (s.took_off + timedelta(seconds=s.path[-1][0])).isoformat(),
    }
    if "follow_up_of" in s.strikes[0]:
        row["follow_up_of"] = s.strikes[0]["follow_up_of"]
    return row


def _history(locate: Locate, day: date, rng: random.Random) -> list[dict[str, Any]]:
    """Strikes at the HRW sites whose image window closed before `day`: what hanano would have
    logged by then. None of them is a strike of the day (those windows hold the day)."""
    out: list[dict[str, Any]] = []
    for site in load_impact_sites():
        if site.cause != AIR_STRIKE or site.window_end >= day:
            continue
        pcode = locate(site.lat, site.lon)
        if not pcode:
            continue
        first = max(site.window_start, site.window_end - timedelta(days=HISTORY_DAYS))
        span = (site.window_end - first).days
        on = first + timedelta(days=rng.randint(0, span))
        at = datetime(on.year, on.month, on.day, tzinfo=UTC) + timedelta(
            seconds=rng.uniform(4 * 3600, 19 * 3600)
        )
        out.append({"at": at.isoformat(), "lat": site.lat, "lon": site.lon, "pcode": pcode})
    out.sort(key=lambda x: x["at"])
    return out
