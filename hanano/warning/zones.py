"""Threat zones: where a live aircraft can be in the next minutes, and what lies there.

From the track's predicted position, heading and the speed range of its type, a corridor (a
sector around the heading, as wide as the heading is uncertain, as long as the top speed times
the horizon, widened by twice the position's standard deviation) says which neighbourhoods it
may reach and an ETA window for each (nearest edge at top speed, far side at the slowest
speed). A circling aircraft, or one seen over a neighbourhood, makes the zone below imminent.
Zones are ranked by the strikes hanano has logged in them: the prior that the aircraft is
headed there, as Sentry used. That prior times how well each zone lies on the estimated heading
is the probability that the zone is the target; a zone of the corridor whose probability is
below `warning_min_probability` stays at watch, and rises to warning when a later assessment
makes it likelier (the alert then cites the earlier one).
"""

from __future__ import annotations

import functools
import json
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select

from hanano.city import tables as city_tables
from hanano.clock import isoformat, parse_iso
from hanano.intake import tables as intake_tables
from hanano.intake.views import public_clause
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.registry import TickCommand
from hanano.store.sequencer import Tx
from hanano.warning.events import ThreatAssessed, TrackEnded, TrackStarted, TrackUpdated
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import logged_json, to_plane
from hanano.warning.tables import foreign_alerts, threats, zone_state
from hanano.warning.tracks import ACTOR, LiveTrack, live_tracks, profile

LEVELS = ("none", "watch", "warning", "imminent")
RANK = {name: n for n, name in enumerate(LEVELS)}
# A heading known to within this is used to draw a corridor; worse, the aircraft could go anywhere.
HEADING_USABLE_DEG = 60.0
# Without a usable heading, zones this close in time (at typical speed) are warned anyway.
NEAR_WARNING_S = 30.0
# The corridor spans the heading's standard deviation times this, plus a floor, each side; it is
# widened by the position's standard deviation times WIDEN_SIGMAS.
CORRIDOR_SPREAD = 1.5
CORRIDOR_FLOOR_DEG = 5.0
CORRIDOR_MAX_HALF_DEG = 60.0
WIDEN_SIGMAS = 1.0
# A position known worse than this says nothing about which zones are next: watch only.
MAX_WARNING_SIGMA_M = 3000.0
# The zone below a circling aircraft is known to about this, however poor the fix.
CIRCLING_SIGMA_CAP_M = 800.0
OVERHEAD_FRESH_S = 300.0
MAX_POLYGON_POINTS = 60


@dataclass(frozen=True)
class Zone:
    pcode: str
    name_en: str
    name_ar: str
    plane: BaseGeometry  # metres east/north of the city origin
    ring: list[list[float]]  # [[lon, lat], ...], closed, at most MAX_POLYGON_POINTS points


class CityPlane:
    """The city's neighbourhoods in a local metric plane, indexed."""

    def __init__(self, rows: list[Any]) -> None:
        self.zones: dict[str, Zone] = {}
        if rows:
            self.lat0 = sum(r.centroid_lat for r in rows) / len(rows)
            self.lon0 = sum(r.centroid_lon for r in rows) / len(rows)
        else:
            self.lat0 = self.lon0 = 0.0
        order: list[Zone] = []
        for r in rows:
            geometry = shape(json.loads(r.geometry))
            plane = shapely.transform(geometry, self._xy)
            zone = Zone(r.pcode, r.name_en, r.name_ar, plane, _ring(geometry))
            self.zones[r.pcode] = zone
            order.append(zone)
        self._order = order
        self._tree = STRtree([z.plane for z in order]) if order else None

    def _xy(self, coords: Any) -> Any:
        east = (coords[:, 0] - self.lon0) * 111_320.0 * math.cos(math.radians(self.lat0))
        north = (coords[:, 1] - self.lat0) * 111_320.0
        return np.column_stack([east, north])

    def point(self, lat: float, lon: float) -> Point:
        return Point(*to_plane(self.lat0, self.lon0, lat, lon))

    def within(self, region: BaseGeometry) -> list[Zone]:
        if self._tree is None:
            return []
        return [self._order[int(i)] for i in self._tree.query(region, predicate="intersects")]


def _ring(geometry: BaseGeometry) -> list[list[float]]:
    """The outline of the zone (its largest part), simplified for alert messages."""
    if geometry.geom_type == "MultiPolygon":
        geometry = max(geometry.geoms, key=lambda g: g.area)
    outline: BaseGeometry = geometry
    tolerance = 0.00005
    while len(outline.exterior.coords) > MAX_POLYGON_POINTS:
        outline = geometry.simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    return [[round(x, 6), round(y, 6)] for x, y in outline.exterior.coords]


_CACHE: dict[str, tuple[tuple[Any, ...], CityPlane]] = {}
_CACHE_LOCK = threading.Lock()


def city_plane(conn: Connection) -> CityPlane:
    """The city's zones, cached per store until they change."""
    n = city_tables.neighbourhoods
    # A zone's centre and radius follow its outline, so their sums notice a re-import without
    # reading every outline's text: this runs on each sighting, inside the writer.
    key = tuple(
        conn.execute(
            select(
                func.count(),
                func.max(n.c.pcode),
                func.sum(n.c.centroid_lat + n.c.centroid_lon + n.c.radius_m),
            )
        ).one()
    )
    url = str(conn.engine.url)
    with _CACHE_LOCK:
        hit = _CACHE.get(url)
        if hit is not None and hit[0] == key:
            return hit[1]
    rows = list(conn.execute(select(n).order_by(n.c.pcode)))
    plane = CityPlane(rows)
    with _CACHE_LOCK:
        _CACHE[url] = (key, plane)
    return plane


def strike_counts(conn: Connection, now: datetime, public_delay_min: float) -> dict[str, int]:
    """Strikes logged per neighbourhood: the prior for where an aircraft is headed.

    Only strikes the public may already see are counted: the counts shape public alerts (their
    zones' order and text), and a fresh strike must not show there before its delay is up. A
    history of months hardly moves for the last two hours."""
    i = intake_tables.incidents
    rows = conn.execute(
        select(i.c.pcode, func.count())
        .where(
            i.c.kind == "strike",
            i.c.merged_into.is_(None),
            i.c.pcode.is_not(None),
            public_clause(now, public_delay_min),
        )
        .group_by(i.c.pcode)
    )
    return {r[0]: int(r[1]) for r in rows}


def sector(
    origin: Point, heading_deg: float, half_angle_deg: float, length: float, widen: float
) -> BaseGeometry:
    """A pie slice from `origin` around `heading_deg`, `length` long, buffered by `widen`."""
    steps = max(4, int(half_angle_deg / 5))
    points = [(origin.x, origin.y)]
    for k in range(-steps, steps + 1):
        angle = math.radians(heading_deg + half_angle_deg * k / steps)
        points.append((origin.x + length * math.sin(angle), origin.y + length * math.cos(angle)))
    return Polygon(points).buffer(widen)


@dataclass
class _Marks:
    """The zones found so far for one track, each at the highest level that found it."""

    here: Point
    sigma: float
    profile: Any
    found: dict[str, dict[str, Any]]

    def eta(self, zone: Zone) -> tuple[float, float]:
        distance = zone.plane.distance(self.here)
        far = distance + math.sqrt(zone.plane.area / math.pi) * 2
        return (
            max(0.0, distance - 2 * self.sigma) / self.profile.max_mps,
            (far + 2 * self.sigma) / self.profile.min_mps,
        )

    def mark(self, zone: Zone, level: str, with_eta: bool = True) -> None:
        current = self.found.get(zone.pcode)
        if current is None or RANK[level] > RANK[current["level"]]:
            window = self.eta(zone) if with_eta else None
            self.found[zone.pcode] = {
                "pcode": zone.pcode,
                "level": level,
                "eta_min_s": None if window is None else round(window[0]),
                "eta_max_s": None if window is None else round(window[1]),
            }


def shape_text(shape: dict[str, Any]) -> str:
    """How the warned zones were chosen, in English (`_warn`'s part)."""
    if shape["code"] == "too_uncertain":
        return "position too uncertain to warn any zone"
    if shape["code"] == "no_heading":
        return "no usable heading yet, so only zones within moments"
    return f"a {shape['width_deg']}° corridor on heading {shape['heading_deg']}°"


def _warn(marks: _Marks, state: Any, plane: CityPlane, horizon: float) -> dict[str, Any]:
    """Mark the zones in the corridor, and those within moments; say how (as parts)."""
    if marks.sigma > MAX_WARNING_SIGMA_M:
        return {"code": "too_uncertain"}
    p = marks.profile
    near = marks.here.buffer(p.typical_mps * NEAR_WARNING_S + WIDEN_SIGMAS * marks.sigma)
    for zone in plane.within(near):
        marks.mark(zone, "warning")
    heading = state.heading
    if heading is None or state.heading_sigma_deg > HEADING_USABLE_DEG:
        return {"code": "no_heading"}
    half = min(
        CORRIDOR_MAX_HALF_DEG, CORRIDOR_SPREAD * state.heading_sigma_deg + CORRIDOR_FLOOR_DEG
    )
    corridor = sector(
        marks.here, heading, half, p.typical_mps * horizon, WIDEN_SIGMAS * marks.sigma
    )
    for zone in plane.within(corridor):
        if marks.eta(zone)[0] <= horizon:
            marks.mark(zone, "warning")
    return {"code": "corridor", "width_deg": round(2 * half), "heading_deg": round(heading)}


def target_probabilities(
    marks: _Marks,
    state: Any,
    plane: CityPlane,
    strikes: dict[str, int],
    smoothing: float,
    horizon: float,
) -> dict[str, float]:
    """For each zone the track could reach within `horizon`, the probability that it is the
    aircraft's target: the strikes logged there (plus `smoothing`) as the prior, times how well
    the zone's direction agrees with the estimated heading (a normal in the angle off the
    heading, as wide as the heading's and the position's uncertainty). Without a usable heading
    every reachable zone is as likely as its history makes it."""
    heading = state.heading
    usable = heading is not None and state.heading_sigma_deg <= HEADING_USABLE_DEG
    weights: dict[str, float] = {}
    for pcode in marks.found:
        zone = plane.zones[pcode]
        if marks.eta(zone)[0] > horizon:
            continue
        likelihood = 1.0
        if usable:
            centre = zone.plane.centroid
            dx, dy = centre.x - marks.here.x, centre.y - marks.here.y
            distance = math.hypot(dx, dy)
            radius = math.sqrt(zone.plane.area / math.pi)
            if distance > radius + marks.sigma:
                off = abs((math.degrees(math.atan2(dx, dy)) - heading + 180.0) % 360.0 - 180.0)
                off = max(0.0, off - math.degrees(math.atan2(radius, distance)))
                spread = math.hypot(
                    state.heading_sigma_deg,
                    math.degrees(math.atan2(marks.sigma, distance)),
                    CORRIDOR_FLOOR_DEG,
                )
                likelihood = math.exp(-0.5 * (off / spread) ** 2)
        weights[pcode] = (strikes.get(pcode, 0) + smoothing) * likelihood
    total = sum(weights.values())
    return {p: w / total for p, w in weights.items()} if total > 0 else {}


def assess(
    track: LiveTrack, now: datetime, plane: CityPlane, strikes: dict[str, int], cfg: Settings
) -> tuple[list[dict[str, Any]], str]:
    """The zones a track threatens now, each with level, ETA window and rank; and why."""
    zones, reason, _ = assess_in_parts(track, now, plane, strikes, cfg)
    return zones, reason


def assess_in_parts(
    track: LiveTrack, now: datetime, plane: CityPlane, strikes: dict[str, int], cfg: Settings
) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """`assess`, with its reason also in parts for the operations room's languages."""
    p = profile(track.aircraft)
    age = max(0.0, (now - parse_iso(track.at)).total_seconds())
    state = track.state.predict(min(age, cfg.track_timeout_min * 60), p.accel, p.max_mps)
    sigma = state.position_sigma
    marks = _Marks(plane.point(state.lat, state.lon), sigma, p, {})
    reach = p.max_mps * cfg.watch_horizon_min * 60 + 2 * sigma
    for zone in plane.within(marks.here.buffer(reach)):
        marks.mark(zone, "watch")
    shape = _warn(marks, state, plane, cfg.warning_horizon_min * 60)
    overhead = track.activity == "over" and age <= OVERHEAD_FRESH_S
    if track.circling:
        below = cfg.circling_radius_m + min(sigma, CIRCLING_SIGMA_CAP_M)
        for zone in plane.within(marks.here.buffer(below)):
            marks.mark(zone, "imminent", with_eta=False)
    if overhead and track.overhead_pcode in plane.zones:
        marks.mark(plane.zones[track.overhead_pcode], "imminent", with_eta=False)
    if cfg.warning_min_probability > 0:
        chances = target_probabilities(
            marks, state, plane, strikes, cfg.strike_prior_smoothing, cfg.warning_horizon_min * 60
        )
        for pcode, z in marks.found.items():
            chance = chances.get(pcode, 0.0)
            z["p_target"] = round(chance, 4)
            if z["level"] == "warning" and chance < cfg.warning_min_probability:
                z["level"] = "watch"
    zones = rank_zones(list(marks.found.values()), strikes)
    counts = {lv: sum(1 for z in zones if z["level"] == lv) for lv in LEVELS[1:]}
    what = "circling" if track.circling else ("overhead" if overhead else "in flight")
    reason = (
        f"{track.track_id} ({track.aircraft}, {what}) at ±{sigma:.0f} m, "
        f"{state.speed:.0f} m/s; {shape_text(shape)}; "
        f"{counts['imminent']} imminent, {counts['warning']} warning, {counts['watch']} watch"
    )
    parts = {
        "code": "track",
        "track_id": track.track_id,
        "aircraft": track.aircraft,
        "activity": what.replace(" ", "_"),
        "sigma_m": round(sigma),
        "speed_mps": round(state.speed),
        "shape": shape,
        "counts": counts,
    }
    return zones, reason, parts


def rank_zones(zones: list[dict[str, Any]], strikes: dict[str, int]) -> list[dict[str, Any]]:
    """Most urgent level first; within it, zones with more strikes logged (Laplace-smoothed
    share as `prior`), then the soonest."""
    weights = {z["pcode"]: strikes.get(z["pcode"], 0) + 1 for z in zones}
    total = sum(weights.values()) or 1
    for z in zones:
        z["strikes"] = weights[z["pcode"]] - 1
        z["prior"] = round(weights[z["pcode"]] / total, 4)
    zones.sort(key=lambda z: (-RANK[z["level"]], -z["strikes"], z["eta_min_s"] or 0, z["pcode"]))
    for n, z in enumerate(zones, start=1):
        z["rank"] = n
    return zones


def stored_zones(conn: Connection, threat_id: str) -> list[dict[str, Any]]:
    text = conn.execute(select(threats.c.zones).where(threats.c.threat_id == threat_id)).scalar()
    zones: list[dict[str, Any]] = json.loads(text) if text else []
    return zones


def stored_levels(conn: Connection, threat_id: str) -> dict[str, str]:
    return {z["pcode"]: z["level"] for z in stored_zones(conn, threat_id)}


def threatened_zones(conn: Connection) -> dict[str, str]:
    """Zones any live threat names now, each with the highest level any gives it."""
    found: dict[str, str] = {}
    for text in conn.execute(select(threats.c.zones)).scalars():
        for z in json.loads(text):
            if RANK[z["level"]] > RANK[found.get(z["pcode"], "none")]:
                found[z["pcode"]] = z["level"]
    return found


def reassess(tx: Tx, track: LiveTrack, cfg: Settings, *, force: bool = False) -> bool:
    """Assess a track's threat now; append it if the zones or their levels changed."""
    plane = city_plane(tx.conn)
    zones, reason, parts = assess_in_parts(
        track, tx.now(), plane, strike_counts(tx.conn, tx.now(), cfg.public_delay_min), cfg
    )
    levels = {z["pcode"]: z["level"] for z in zones}
    if not force and levels == stored_levels(tx.conn, track.track_id):
        return False
    tx.append(
        ACTOR,
        ThreatAssessed(threat_id=track.track_id, zones=zones, reason=reason, reason_parts=parts),
    )
    return True


@HANDLERS.reacts_to(TrackStarted.type)
@HANDLERS.reacts_to(TrackUpdated.type)
def _track_moved(tx: Tx, event: RecordedEvent) -> None:
    track_id = event.data["track_id"]
    for track in live_tracks(tx.conn):
        if track.track_id == track_id:
            reassess(tx, track, tx.settings, force=True)
            return


@HANDLERS.reacts_to(TrackEnded.type)
def _track_ended(tx: Tx, event: RecordedEvent) -> None:
    track_id = event.data["track_id"]
    if stored_levels(tx.conn, track_id):
        tx.append(
            ACTOR,
            ThreatAssessed(
                threat_id=track_id,
                zones=[],
                reason=f"{track_id} ended: {event.data['reason']}",
            ),
        )


@HANDLERS.on_tick
def reassess_live_tracks(tx: Tx) -> list[TickCommand]:
    """Aircraft move between sightings: their predicted corridors reach new zones. Each track is
    reassessed as a command of its own (with fifty aircraft up, all at once would hold the writer
    for a few hundred milliseconds, and a sighting would wait that long for its alert)."""
    return [functools.partial(_reassess_track, track_id=t.track_id) for t in live_tracks(tx.conn)]


def _reassess_track(tx: Tx, track_id: str) -> None:
    for track in live_tracks(tx.conn):
        if track.track_id == track_id:  # still live: a sighting may have ended it meanwhile
            reassess(tx, track, tx.settings)
            return


def clear_threat(tx: Tx, threat_id: str, reason: str) -> None:
    if stored_levels(tx.conn, threat_id):
        tx.append(ACTOR, ThreatAssessed(threat_id=threat_id, zones=[], reason=reason))


def expired_threats(conn: Connection, now: datetime) -> list[str]:
    """Foreign threats past their expiry (tracks end by their own rule)."""
    cutoff = isoformat(now)
    rows = conn.execute(
        select(foreign_alerts.c.foreign_id).where(foreign_alerts.c.expires <= cutoff)
    )
    ids = [r.foreign_id for r in rows]
    return [i for i in ids if stored_levels(conn, i)]


@HANDLERS.projects(ThreatAssessed.type)
def _threat_assessed(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    before = set(stored_levels(conn, d["threat_id"]))
    conn.execute(threats.delete().where(threats.c.threat_id == d["threat_id"]))
    if d["zones"]:
        conn.execute(
            threats.insert().values(
                threat_id=d["threat_id"],
                zones=logged_json(event, "zones"),
                zone_count=len(d["zones"]),
                assessed_at=event.time,
            )
        )
    touched = before | {z["pcode"] for z in d["zones"]}
    if not touched:
        return
    known = set(
        conn.execute(
            select(zone_state.c.pcode).where(zone_state.c.pcode.in_(sorted(touched)))
        ).scalars()
    )
    conn.execute(
        zone_state.update()
        .where(zone_state.c.pcode.in_(sorted(known)))
        .values(last_threat_at=event.time)
    )
    fresh = sorted(touched - known)
    if fresh:
        conn.execute(
            zone_state.insert().values(
                [{"pcode": p, "level": "none", "last_threat_at": event.time} for p in fresh],
            )
        )
    for level in LEVELS[1:]:
        named = sorted(z["pcode"] for z in d["zones"] if z["level"] == level)
        if named:
            conn.execute(
                zone_state.update()
                .where(
                    zone_state.c.pcode.in_(named),
                    zone_state.c.level.in_(LEVELS[: RANK[level] + 1]),
                )
                .values(peak_at=event.time)
            )


def cutoff_for_all_clear(now: datetime, cfg: Settings) -> str:
    return isoformat(now - timedelta(minutes=cfg.all_clear_min))
