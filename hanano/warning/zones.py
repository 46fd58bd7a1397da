"""Threat zones: where a live aircraft may strike in the next minutes, and how likely.

Every zone the aircraft could reach within the watch horizon at its type's top speed (plus
twice its position's uncertainty) is named, with an ETA window (nearest edge at top speed, far
side at the slowest speed) and its probability of a strike within the warning horizon
(hanano/warning/threat_model.py). The level follows the probability: at least
`imminent_probability` imminent, at least `warning_probability` warning, else watch (aircraft
airborne). Since one aircraft's probabilities add up to at most its chance of striking at all,
no more than 1 / `warning_probability` zones can stand at warning for it.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select

from hanano.city import tables as city_tables
from hanano.city.model import alert_outline
from hanano.clock import isoformat, parse_iso
from hanano.intake import tables as intake_tables
from hanano.intake.views import public_clause
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.registry import TickCommand
from hanano.store.sequencer import Tx
from hanano.warning.eta import eta_window, public_window
from hanano.warning.events import ThreatAssessed, TrackEnded, TrackStarted, TrackUpdated
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import from_plane, logged_json, to_plane
from hanano.warning.sortie_ways import track_routes
from hanano.warning.tables import foreign_alerts, threats, zone_state
from hanano.warning.threat_model import (
    Fix,
    RouteSpread,
    SiteModel,
    behaviour,
    combine,
    on_routes,
    relative_prior,
    site_model,
    track_fix,
    weighed,
)
from hanano.warning.threat_reasons import threat_reason
from hanano.warning.tracks import ACTOR, LiveTrack, Profile, live_tracks, profile

LEVELS = ("none", "watch", "warning", "imminent")
RANK = {name: n for n, name in enumerate(LEVELS)}
OVERHEAD_FRESH_S = 300.0


@dataclass(frozen=True)
class Zone:
    pcode: str
    name_en: str
    name_ar: str
    plane: BaseGeometry  # metres east/north of the city origin
    ring: list[list[float]]  # alert_outline: [[lon, lat], ...], closed


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
            zone = Zone(r.pcode, r.name_en, r.name_ar, plane, alert_outline(geometry))
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


def strike_weights(conn: Connection, now: datetime, cfg: Settings) -> dict[str, float]:
    """The strike history the model weighs each zone by: every strike logged, and those of
    the last `strike_recent_hours` `strike_recent_weight` times more."""
    weights: dict[str, float] = {}
    for pcode, n in strike_counts(conn, now, cfg.public_delay_min).items():
        weights[pcode] = float(n)
    recent = strike_counts(conn, now, cfg.public_delay_min, cfg.strike_recent_hours)
    for pcode, n in recent.items():
        weights[pcode] = weights.get(pcode, 0.0) + (cfg.strike_recent_weight - 1.0) * n
    return weights


def strike_counts(
    conn: Connection, now: datetime, public_delay_min: float, hours: float | None = None
) -> dict[str, int]:
    """Strikes logged per neighbourhood (with `hours`, only those first reported within the
    last `hours`): the prior for where an aircraft is headed.

    Only strikes the public may already see are counted: the counts shape public alerts (their
    zones' order and text), and a fresh strike must not show there before its delay is up. A
    history of months hardly moves for the last two hours."""
    i = intake_tables.incidents
    since = (
        [] if hours is None else [i.c.first_received_at >= isoformat(now - timedelta(hours=hours))]
    )
    rows = conn.execute(
        select(i.c.pcode, func.count())
        .where(
            i.c.kind == "strike",
            i.c.merged_into.is_(None),
            i.c.pcode.is_not(None),
            public_clause(now, public_delay_min),
            *since,
        )
        .group_by(i.c.pcode)
    )
    return {r[0]: int(r[1]) for r in rows}


def level_for(chance: float, cfg: Settings) -> str:
    if chance >= cfg.imminent_probability:
        return "imminent"
    if chance >= cfg.warning_probability:
        return "warning"
    return "watch"


def assess(
    track: LiveTrack,
    now: datetime,
    plane: CityPlane,
    strikes: dict[str, int],
    cfg: Settings,
    weights: dict[str, float] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """The zones a track threatens now and why (`assess_in_parts` without the parts)."""
    zones, reason, _, _ = assess_in_parts(track, now, plane, strikes, cfg, weights)
    return zones, reason


def assess_in_parts(
    track: LiveTrack,
    now: datetime,
    plane: CityPlane,
    strikes: dict[str, int],
    cfg: Settings,
    weights: dict[str, float] | None = None,
    routes: RouteSpread | None = None,
) -> tuple[list[dict[str, Any]], str, dict[str, Any], SiteModel]:
    """The zones a track threatens now, each with its probability of a strike within the
    warning horizon, the level that probability reaches, ETA window and rank; why, in English
    and in parts; and the model that gives any other place its probability. `routes`, the
    usual routes of the base it took off from, stand in for a heading while it has none."""
    p = profile(track.aircraft)
    age = max(0.0, (now - parse_iso(track.at)).total_seconds())
    state = track.state.predict(min(age, cfg.track_timeout_min * 60), p.accel, p.max_mps)
    sigma = state.position_sigma
    here = plane.point(state.lat, state.lon)
    overhead = track.activity == "over" and age <= OVERHEAD_FRESH_S
    # A spotter who says over which zone the aircraft is, or circles, places it better than
    # the fused track does (the filter still averages in where it was heading).
    said = track.activity in ("over", "circling") and age <= OVERHEAD_FRESH_S
    if said and track.overhead_pcode in plane.zones:
        here = plane.zones[track.overhead_pcode].plane.representative_point()
    fix = on_routes(track_fix(track, state, here, p, overhead), routes)
    horizon = cfg.warning_horizon_min * 60
    watched = plane.within(here.buffer(p.max_mps * cfg.watch_horizon_min * 60 + 2 * sigma))
    windows = {z.pcode: eta_window(z, here, sigma, p) for z in watched}
    reachable = [z for z in watched if windows[z.pcode][0] <= horizon]
    history = {p: float(n) for p, n in strikes.items()} if weights is None else weights
    prior = relative_prior(list(plane.zones.values()), history, cfg.strike_prior_smoothing)
    kind = behaviour(track.aircraft)
    chances, total = weighed(fix, kind, reachable, prior, cfg.circling_radius_m)
    at = from_plane(plane.lat0, plane.lon0, here.x, here.y)
    model = site_model(fix, kind, at, total, cfg.circling_radius_m, p.max_mps * horizon)
    rows = [_zone_row(z, chances.get(z.pcode, 0.0), fix, windows, p, cfg) for z in watched]
    zones = rank_zones(rows, strikes)
    what = "circling" if track.circling else ("overhead" if overhead else "in flight")
    text, parts = threat_reason(track, what, fix, state.speed, zones, chances, cfg)
    if fix.routes is not None:
        # Which zones the routes lifted to a higher level than no heading would have given.
        plain, _ = weighed(replace(fix, routes=None), kind, reachable, prior, cfg.circling_radius_m)
        parts["shape"]["raised"] = sorted(
            pcode
            for pcode, c in chances.items()
            if RANK[level_for(c, cfg)] > RANK[level_for(plain[pcode], cfg)]
        )
    return zones, text, parts, model


def _zone_row(
    zone: Zone,
    chance: float,
    fix: Fix,
    windows: dict[str, tuple[float, float]],
    p: Profile,
    cfg: Settings,
) -> dict[str, Any]:
    """A zone as an assessment names it: its level and probability, and when the aircraft may
    reach it (none when it hovers over it at imminent), for operators and for the public."""
    level = level_for(chance, cfg)
    window = None if level == "imminent" and fix.hovering else windows[zone.pcode]
    return {
        "pcode": zone.pcode,
        "level": level,
        "probability": round(chance, 4),
        "eta_min_s": None if window is None else round(window[0]),
        "eta_max_s": None if window is None else round(window[1]),
        "public_eta_s": None if window is None else public_window(zone, fix.here, p),
    }


def rank_zones(zones: list[dict[str, Any]], strikes: dict[str, int]) -> list[dict[str, Any]]:
    """Most urgent level first; within it, the likeliest, then zones with more strikes logged
    (Laplace-smoothed share as `prior`), then the soonest."""
    weights = {z["pcode"]: strikes.get(z["pcode"], 0) + 1 for z in zones}
    total = sum(weights.values()) or 1
    for z in zones:
        z["strikes"] = weights[z["pcode"]] - 1
        z["prior"] = round(weights[z["pcode"]] / total, 4)
    zones.sort(
        key=lambda z: (
            -RANK[z["level"]],
            -z.get("probability", 0.0),
            -z["strikes"],
            z["eta_min_s"] or 0,
            z["pcode"],
        )
    )
    for n, z in enumerate(zones, start=1):
        z["rank"] = n
    return zones


def stored_zones(conn: Connection, threat_id: str) -> list[dict[str, Any]]:
    text = conn.execute(select(threats.c.zones).where(threats.c.threat_id == threat_id)).scalar()
    zones: list[dict[str, Any]] = json.loads(text) if text else []
    return zones


def stored_levels(conn: Connection, threat_id: str) -> dict[str, str]:
    return {z["pcode"]: z["level"] for z in stored_zones(conn, threat_id)}


def stored_model(conn: Connection, threat_id: str) -> SiteModel | None:
    text = conn.execute(select(threats.c.model).where(threats.c.threat_id == threat_id)).scalar()
    return None if text is None else SiteModel.from_dict(json.loads(text))


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
    now = tx.now()
    zones, reason, parts, model = assess_in_parts(
        track,
        now,
        plane,
        strike_counts(tx.conn, now, cfg.public_delay_min),
        cfg,
        strike_weights(tx.conn, now, cfg),
        # Only a track with no heading yet can stand on routes: most need no look-up.
        None
        if track.state.heading is not None
        else track_routes(tx.conn, track.track_id, now, cfg),
    )
    levels = {z["pcode"]: z["level"] for z in zones}
    same = levels == stored_levels(tx.conn, track.track_id)
    if not force and same and not model.moved_from(stored_model(tx.conn, track.track_id)):
        return False
    tx.append(
        ACTOR,
        ThreatAssessed(
            threat_id=track.track_id,
            zones=zones,
            reason=reason,
            reason_parts=parts,
            model=model.as_dict(),
        ),
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
                model=None if d.get("model") is None else json.dumps(d["model"]),
                reason=d.get("reason"),
                reason_parts=d.get("reason_parts") and logged_json(event, "reason_parts"),
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
    _project_probabilities(conn, sorted(touched))
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


def zone_probabilities(conn: Connection) -> dict[str, tuple[float, str]]:
    """Each zone some live threat names: the threats' combined probability of a strike there
    within the warning horizon, and the threat that gives it most."""
    chances: dict[str, list[tuple[float, str]]] = {}
    for row in conn.execute(select(threats.c.threat_id, threats.c.zones)):
        for z in json.loads(row.zones):
            chances.setdefault(z["pcode"], []).append((z.get("probability", 0.0), row.threat_id))
    return {
        pcode: (round(combine([p for p, _ in found]), 4), max(found)[1])
        for pcode, found in chances.items()
    }


def _project_probabilities(conn: Connection, pcodes: list[str]) -> None:
    combined = zone_probabilities(conn)
    for pcode in pcodes:
        chance, threat_id = combined.get(pcode, (None, None))
        conn.execute(
            zone_state.update()
            .where(zone_state.c.pcode == pcode)
            .values(probability=chance, threat_id=threat_id)
        )


def cutoff_for_all_clear(now: datetime, cfg: Settings) -> str:
    return isoformat(now - timedelta(minutes=cfg.all_clear_min))
