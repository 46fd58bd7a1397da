"""Sorties' usual routes, learned from the tracks logged in the store.

A take-off report says an aircraft is airborne, not where it goes: until a city post sees it,
its track has no heading, and every zone it can reach is as likely as its history makes it. But
sorties from one base fly the same few ways. Each past track that began with a take-off from the
base, and was later placed away from it by other sightings, gave one bearing from the base: the
mean bearing of those later fixes. A fresh take-off from the base, while the take-off is all that
is known of it, heads along one of those bearings, each as likely as the others, with a spread
of `route_spread_deg` (the zones' own width and the track's position add to it).

Only tracks begun by a take-off from that very base count, never a track first seen elsewhere
or from another base; only those ended within the last `route_history_days`; and fewer than
`route_min_tracks` of them teach nothing (the model then keeps every direction alike).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, select

from hanano.clock import isoformat
from hanano.settings import Settings
from hanano.warning.plane import compass, to_plane
from hanano.warning.tables import posts, sightings, tracks
from hanano.warning.threat_model import RouteSpread

# A fix this close to the base says nothing of the way out (a take-off is placed at the base).
ROUTE_MIN_DISTANCE_M = 2000.0
# The newest tracks are enough to know a base's habits, and bound the work of each assessment.
ROUTE_MAX_TRACKS = 100


def circular_mean(bearings: list[float]) -> float:
    east = sum(math.sin(math.radians(b)) for b in bearings)
    north = sum(math.cos(math.radians(b)) for b in bearings)
    return compass(east, north)


def route_bearings(conn: Connection, base_id: str, now: datetime, days: float) -> list[float]:
    """One bearing from the base per ended track that took off from it within `days` and was
    placed at least ROUTE_MIN_DISTANCE_M from it later, newest first."""
    base = conn.execute(
        select(posts.c.lat, posts.c.lon).where(posts.c.post_id == base_id, posts.c.kind == "base")
    ).first()
    if base is None or base.lat is None or base.lon is None:
        return []
    took_off = sightings.alias("took_off")
    later = sightings.alias("later")
    rows = conn.execute(
        select(tracks.c.number, later.c.est_lat, later.c.est_lon)
        .join(took_off, took_off.c.track_id == tracks.c.track_id)
        .join(later, and_(later.c.track_id == tracks.c.track_id, later.c.activity != "took_off"))
        .where(
            took_off.c.activity == "took_off",
            took_off.c.base_id == base_id,
            tracks.c.status == "ended",
            tracks.c.ended_at >= isoformat(now - timedelta(days=days)),
        )
        .order_by(tracks.c.number.desc())
    ).all()
    fixes: dict[int, list[float]] = {}
    for row in rows:
        east, north = to_plane(base.lat, base.lon, row.est_lat, row.est_lon)
        if math.hypot(east, north) >= ROUTE_MIN_DISTANCE_M:
            fixes.setdefault(row.number, []).append(compass(east, north))
    newest = sorted(fixes, reverse=True)[:ROUTE_MAX_TRACKS]
    return [round(circular_mean(fixes[n]), 1) for n in newest]


def learned_routes(
    conn: Connection, base_id: str, now: datetime, cfg: Settings
) -> RouteSpread | None:
    """The base's usual routes, or None when fewer than `route_min_tracks` tracks teach them.
    Only ended tracks teach: a live one (the aircraft being assessed) is still on its way."""
    bearings = route_bearings(conn, base_id, now, cfg.route_history_days)
    if not bearings or len(bearings) < cfg.route_min_tracks:
        return None
    return RouteSpread(base_id, tuple(bearings), cfg.route_spread_deg)


def take_off_base(conn: Connection, track_id: str) -> str | None:
    """The base a track took off from, while the take-off is the only sighting it has."""
    row = conn.execute(
        select(sightings.c.base_id)
        .join(tracks, tracks.c.track_id == sightings.c.track_id)
        .where(
            sightings.c.track_id == track_id,
            sightings.c.activity == "took_off",
            tracks.c.sighting_count == 1,
        )
    ).first()
    return None if row is None else row.base_id


def track_routes(
    conn: Connection, track_id: str, now: datetime, cfg: Settings
) -> RouteSpread | None:
    """The routes a live track may follow: its base's, while it is known only by its take-off."""
    base_id = take_off_base(conn, track_id)
    if base_id is None:
        return None
    return learned_routes(conn, base_id, now, cfg)
