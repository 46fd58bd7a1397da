"""The double-tap watch: strike sites where a second strike may still come.

Second strikes on the same site after rescuers arrive came within the hour in most verified
cases, so a strike site stays under watch for a while after the last strike report there and
after each team arrives on scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from hanano.clock import isoformat, parse_iso
from hanano.dispatch.tables import tasks, teams
from hanano.intake import tables as intake_tables

# The watch is not an event of its own: it follows from the log (strike reports and arrivals on
# scene) and the clock, so it can never drift from them.


@dataclass(frozen=True)
class Watch:
    incident_id: str
    lat: float
    lon: float
    started_at: str
    until: str
    reason: str
    # The reason as a code and its values, for the reader's language: `after_strike` (the last
    # strike report's time) or `after_arrival` (the team and when it arrived), and the minutes.
    reason_parts: dict[str, Any]


def _recent_sites(conn: Connection, horizon: str) -> set[str]:
    """Incidents with a strike report or a team arriving on scene after the horizon."""
    reports = intake_tables.reports
    return set(
        conn.execute(
            select(reports.c.incident_id).where(
                reports.c.kind == "strike",
                reports.c.received_at > horizon,
                reports.c.incident_id.isnot(None),
            )
        ).scalars()
    ) | set(
        conn.execute(select(tasks.c.incident_id).where(tasks.c.on_scene_at > horizon)).scalars()
    )


def _last_arrivals(conn: Connection, incident_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """For each incident, when the last team arrived on scene, its name and its id."""
    arrivals: dict[str, tuple[str, str, str]] = {}
    for row in conn.execute(
        select(tasks.c.incident_id, tasks.c.on_scene_at, teams.c.name, teams.c.team_id)
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .where(tasks.c.incident_id.in_(incident_ids), tasks.c.on_scene_at.isnot(None))
    ).all():
        if row.on_scene_at > arrivals.get(row.incident_id, ("", "", ""))[0]:
            arrivals[row.incident_id] = (row.on_scene_at, row.name, row.team_id)
    return arrivals


def _why(
    last: str, arrival: tuple[str, str, str] | None, minutes: float
) -> tuple[str, str, dict[str, Any]]:
    """What a watch counts from (the last strike report, or a later arrival), in words and in
    parts."""
    if arrival is not None and arrival[0] > last:
        parts = {
            "code": "after_arrival",
            "at": arrival[0],
            "team": arrival[1],
            "team_id": arrival[2],
            "minutes": minutes,
        }
        return arrival[0], f"{arrival[1]} arrived on scene {arrival[0][11:16]}", parts
    parts = {"code": "after_strike", "at": last, "minutes": minutes}
    return last, f"last strike report {last[11:16]}", parts


def active_watches(conn: Connection, now: datetime, minutes: float) -> list[Watch]:
    """Strike sites under watch now: until `minutes` after the last strike report there and
    after the last team arrived on scene."""
    recent = _recent_sites(conn, isoformat(now - timedelta(minutes=minutes)))
    if not recent:
        return []
    reports, incidents = intake_tables.reports, intake_tables.incidents
    strikes = {
        row.incident_id: (row.first, row.last)
        for row in conn.execute(
            select(
                reports.c.incident_id,
                func.min(reports.c.received_at).label("first"),
                func.max(reports.c.received_at).label("last"),
            )
            .where(reports.c.kind == "strike", reports.c.incident_id.in_(sorted(recent)))
            .group_by(reports.c.incident_id)
        ).all()
    }
    arrivals = _last_arrivals(conn, sorted(strikes))
    places = {
        row.incident_id: row
        for row in conn.execute(
            select(incidents.c.incident_id, incidents.c.lat, incidents.c.lon).where(
                incidents.c.incident_id.in_(sorted(strikes)), incidents.c.lat.isnot(None)
            )
        ).all()
    }
    watches: list[Watch] = []
    for incident_id, (first, last) in sorted(strikes.items()):
        place = places.get(incident_id)
        if place is None:
            continue
        latest, why, parts = _why(last, arrivals.get(incident_id), minutes)
        until = isoformat(parse_iso(latest) + timedelta(minutes=minutes))
        if until <= isoformat(now):
            continue
        reason = f"double-tap watch for {minutes:g} min after the {why}"
        watches.append(Watch(incident_id, place.lat, place.lon, first, until, reason, parts))
    return watches
