"""Coverage: how far each neighbourhood is from the nearest available team, and where idle teams
could stand so that fewer neighbourhoods wait too long.

A zone's travel time is the time from the nearest available team (on duty, no task; from its
fresh position, else its base) to the zone's centroid, by the same router the recommendations
use: the road graph with its closures when one is imported, else the straight line times the
detour factor. A zone is uncovered when that time exceeds `coverage_threshold_min`.

Suggestions are greedy. Each round tries every idle team at every zone's centroid and keeps the
move that brings the most uncovered zones within the threshold, on the condition that no zone
covered now loses its cover (a team is not pulled out of one neighbourhood to serve another);
ties go to the move that leaves the least time over the threshold, then to the shorter move.
Each team moves at most once. A round is one vectorised pass over teams × destinations × zones,
so 100 teams and 100 zones cost a few milliseconds per suggestion. Greedy is not optimal in
general (choosing k positions is a set-cover problem), but each suggestion stands on its own:
a dispatcher can take the first and ignore the rest. Nothing is moved here: a dispatcher moves
a team by posting its position or changing its base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from hanano.city import tables as city_tables
from hanano.city.model import City, load_city
from hanano.dispatch.candidates import Candidate, candidates
from hanano.dispatch.road_routing import router_for
from hanano.dispatch.travel import Router
from hanano.geo.distance import haversine_m
from hanano.settings import Settings

NOTE = "Suggestions only: a dispatcher moves a team by posting its position or changing its base."


@dataclass(frozen=True)
class Zone:
    pcode: str
    name: str
    lat: float
    lon: float


def _zones(conn: Connection) -> list[Zone]:
    n = city_tables.neighbourhoods
    rows = conn.execute(
        select(n.c.pcode, n.c.name_en, n.c.centroid_lat, n.c.centroid_lon).order_by(n.c.pcode)
    ).all()
    return [Zone(r.pcode, r.name_en, r.centroid_lat, r.centroid_lon) for r in rows]


def _home_zones(zones: list[Zone], city: City, teams: list[Candidate]) -> list[int]:
    """The zone each team stands in, or the one with the nearest centroid when it stands outside
    every zone."""
    index = {z.pcode: i for i, z in enumerate(zones)}
    homes = []
    for team in teams:
        lat, lon = team.origin
        pcode = city.locate(lat, lon)
        if pcode in index:
            homes.append(index[pcode])
        else:
            distances = [haversine_m(lat, lon, z.lat, z.lon) for z in zones]
            homes.append(int(np.argmin(distances)))
    return homes


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def suggest_moves(
    team_times: np.ndarray, zone_times: np.ndarray, threshold_s: float
) -> list[tuple[int, int]]:
    """Greedy moves (team index, destination zone index) that cover uncovered zones without
    uncovering any zone covered now.

    team_times[z, t]: seconds from team t to zone z. zone_times[z, k]: seconds from zone k's
    centroid to zone z (where a team standing at k would reach z).
    """
    times = np.array(team_times, dtype=float, copy=True)
    n_zones, n_teams = times.shape
    if n_teams == 0 or n_zones == 0:
        return []
    moved = np.zeros(n_teams, dtype=bool)
    moves: list[tuple[int, int]] = []
    team_index = np.arange(n_teams)
    while not moved.all():
        order = np.argsort(times, axis=1)
        first = order[:, 0]
        best = times[np.arange(n_zones), first]
        second = times[np.arange(n_zones), order[:, 1]] if n_teams > 1 else np.full(n_zones, np.inf)
        over = best > threshold_s
        if not over.any():
            break
        # Without team t, zone z is reached in `without[t, z]`; with t standing at zone k's
        # centroid, in min(without[t, z], zone_times[z, k]).
        without = np.where(first[None, :] == team_index[:, None], second[None, :], best[None, :])
        after = np.minimum(without[:, :, None], zone_times[None, :, :])  # team, zone, destination
        after_over = after > threshold_s
        strips = (after_over & ~over[None, :, None]).any(axis=1)  # team, destination
        fixed = (~after_over & over[None, :, None]).sum(axis=1)
        excess = np.maximum(after - threshold_s, 0.0).sum(axis=1)
        allowed = ~strips & (fixed > 0) & ~moved[:, None]
        if not allowed.any():
            break
        # Most zones covered, then least time left over the threshold, then the shortest move
        # (a team's time to the destination centroid, from where it stands before any move).
        teams_ok, dests_ok = np.nonzero(allowed)
        pick = np.lexsort(
            (
                team_times[dests_ok, teams_ok],
                excess[teams_ok, dests_ok],
                -fixed[teams_ok, dests_ok],
            )
        )[0]
        t, k = int(teams_ok[pick]), int(dests_ok[pick])
        moves.append((t, k))
        moved[t] = True
        times[:, t] = zone_times[:, k]
    return moves


def _travel(
    router: Router, zones: list[Zone], free: list[Candidate]
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Seconds from each team to each zone (zone × team), from each zone's centroid to each
    zone (zone × destination), and how they were measured."""
    origins = [c.origin for c in free]
    centroids = [(z.lat, z.lon) for z in zones]
    team_times = np.full((len(zones), len(free)), np.inf)
    zone_times = np.full((len(zones), len(zones)), np.inf)
    via: set[str] = set()
    for i, zone in enumerate(zones):
        # One search per zone answers both: from every team and from every centroid.
        legs = router.legs_to(zone.lat, zone.lon, origins + centroids)
        team_times[i] = [leg.seconds for leg in legs[: len(origins)]]
        via.update(leg.via for leg in legs[: len(origins)])
        zone_times[i] = [leg.seconds for leg in legs[len(origins) :]]
    return team_times, zone_times, ", ".join(sorted(via)) or None


def _zone_views(
    zones: list[Zone], free: list[Candidate], team_times: np.ndarray, threshold_s: float
) -> list[dict[str, Any]]:
    """Each zone with its nearest available team, worst covered first."""
    views: list[tuple[float, str, dict[str, Any]]] = []
    for i, zone in enumerate(zones):
        seconds = float(team_times[i].min()) if free else math.inf
        team = free[int(team_times[i].argmin())] if math.isfinite(seconds) else None
        views.append(
            (
                -seconds,
                zone.pcode,
                {
                    "pcode": zone.pcode,
                    "name": zone.name,
                    "lat": zone.lat,
                    "lon": zone.lon,
                    "team_id": None if team is None else team.team_id,
                    "team": None if team is None else team.name,
                    "travel_s": round(seconds, 1) if math.isfinite(seconds) else None,
                    "over": seconds > threshold_s,
                },
            )
        )
    views.sort(key=lambda v: (v[0], v[1]))
    return [view for _, _, view in views]


def _suggestions(
    zones: list[Zone],
    city: City,
    free: list[Candidate],
    team_times: np.ndarray,
    zone_times: np.ndarray,
    threshold_min: float,
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The greedy moves, each with its reason in words, and the travel times once all are made."""
    threshold_s = threshold_min * 60.0
    homes = _home_zones(zones, city, free)
    times = team_times.copy()
    suggestions = []
    for t, k in suggest_moves(team_times, zone_times, threshold_s):
        before = times.min(axis=1)
        times[:, t] = zone_times[:, k]
        after = times.min(axis=1)
        covered = [i for i in range(len(zones)) if before[i] > threshold_s >= after[i]]
        team, home = free[t], homes[t]
        words = (
            f"Move {team.name} to {zones[k].name}: covers {len(covered)} "
            f"zone{'s' if len(covered) != 1 else ''} now over {threshold_min:g} min "
            f"({_listing([zones[i].name for i in covered])})"
        )
        if home != k:
            keeper = free[int(times[home].argmin())]
            # Teams are often named after the zone they stand in: say which is the team.
            by = f"team {keeper.name}" if keeper.name == zones[home].name else keeper.name
            words += (
                f"; {zones[home].name} still covered by {by} in {_minutes(float(after[home]))} min"
            )
        suggestions.append(
            {
                "team_id": team.team_id,
                "team": team.name,
                "from_pcode": zones[home].pcode,
                "from": zones[home].name,
                "to_pcode": zones[k].pcode,
                "to": zones[k].name,
                "lat": zones[k].lat,
                "lon": zones[k].lon,
                "covers": [zones[i].pcode for i in covered],
                "reason": words,
            }
        )
    return suggestions, times


def coverage(
    conn: Connection,
    now: datetime,
    settings: Settings,
    router: Router | None = None,
    city: City | None = None,
) -> dict[str, Any]:
    """Each zone's nearest available team and travel time, the zones over the threshold, and
    suggested moves of idle teams that would cover them. `city` is the service's cached city
    (its zone index); without it the zones are read from the store."""
    threshold_min = settings.coverage_threshold_min
    threshold_s = threshold_min * 60.0
    zones = _zones(conn)
    free, excluded = candidates(conn, now, settings)
    result: dict[str, Any] = {
        "threshold_min": threshold_min,
        "teams_available": len(free),
        "via": None,
        "zones": [],
        "over_threshold": [],
        "suggestions": [],
        "over_after_suggestions": [],
        "excluded": excluded,
        "note": NOTE,
    }
    if not zones:
        result["summary"] = "No neighbourhoods are loaded, so there is nothing to cover"
        return result
    team_times, zone_times, result["via"] = _travel(
        router or router_for(conn, settings), zones, free
    )
    result["zones"] = _zone_views(zones, free, team_times, threshold_s)
    over = [
        z.pcode for i, z in enumerate(zones) if not team_times[i].min(initial=np.inf) <= threshold_s
    ]
    result["over_threshold"] = over
    if not free:
        why = "; ".join(e["reason"] for e in excluded) or "no teams are registered"
        result["over_after_suggestions"] = over
        result["summary"] = f"No team is available, so no zone is covered: {why}"
        return result
    suggestions, final = _suggestions(
        zones, city or load_city(conn), free, team_times, zone_times, threshold_min
    )
    still = [z.pcode for i, z in enumerate(zones) if final[i].min() > threshold_s]
    result["suggestions"] = suggestions
    result["over_after_suggestions"] = still
    result["summary"] = _summary(threshold_min, len(zones), over, suggestions, still)
    return result


def _summary(
    threshold_min: float,
    zones: int,
    over: list[str],
    suggestions: list[dict[str, Any]],
    still: list[str],
) -> str:
    limit = f"{threshold_min:g} min"
    if not over:
        return f"Every zone is within {limit} of an available team"
    if suggestions:
        plural = "s" if len(suggestions) != 1 else ""
        return (
            f"{len(over)} of {zones} zones are over {limit} from the nearest available "
            f"team; moving {len(suggestions)} idle team{plural} would cover "
            f"{len(over) - len(still)} of them"
        )
    return (
        f"{len(over)} of {zones} zones are over {limit} from the nearest available "
        "team; no idle team can cover one without uncovering another"
    )
