"""Rescue teams: who they are, what they can do, whether on duty, and where they were last seen.

A team's position and base are where rescuers are: they enter the log only as commitments and
are shown to operational roles only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from hanano.city.model import city_of
from hanano.clock import canonical_time, isoformat, parse_iso
from hanano.dispatch.common import ALARM_CLEARED, CAPABILITIES, Capability, Duty
from hanano.dispatch.events import (
    TeamDutyChanged,
    TeamPositionReported,
    TeamRegistered,
    TeamUpdated,
)
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.tables import tasks, teams
from hanano.errors import conflict, invalid, not_found
from hanano.geo.position import check_position
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.timestamps import require_observed


def _capabilities(values: list[str]) -> list[Capability]:
    unknown = [v for v in values if v not in CAPABILITIES]
    if unknown:
        raise invalid(
            "capabilities", f"unknown {', '.join(unknown)}; use {', '.join(CAPABILITIES)}"
        )
    return [c for c in CAPABILITIES if c in values]


def _crew(crew: int, min_crew: int) -> None:
    if crew < 0 or min_crew < 1:
        raise invalid("crew", "crew must be at least 0 and the minimum crew at least 1")


def team_row(conn: Connection, team_id: str) -> Row[Any]:
    row = conn.execute(select(teams).where(teams.c.team_id == team_id)).first()
    if row is None:
        raise not_found(f"team {team_id}")
    return row


def register_team(
    tx: Tx,
    actor: str,
    *,
    name: str,
    base_name: str,
    base_lat: float,
    base_lon: float,
    sector: str,
    crew: int,
    min_crew: int,
    capabilities: list[str],
    vehicle: str,
    leader: str | None = None,
    on_duty: bool = True,
    name_ar: str | None = None,
) -> str:
    name = name.strip()
    _check_new(tx, name, base_lat, base_lon)
    _crew(crew, min_crew)
    team_id = f"T-{_next_team(tx.conn)}"
    tx.append(
        actor,
        TeamRegistered(
            team_id=team_id,
            name=name,
            base_name=base_name,
            base_lat=base_lat,
            base_lon=base_lon,
            sector=sector,
            crew=crew,
            min_crew=min_crew,
            capabilities=_capabilities(capabilities),
            vehicle=vehicle,
            leader=leader,
            name_ar=(name_ar or "").strip() or None,
        ),
    )
    if on_duty:
        tx.append(
            actor,
            TeamDutyChanged(
                team_id=team_id, duty="on_duty", previous="off_duty", reason="registered on duty"
            ),
        )
    return team_id


def _check_new(tx: Tx, name: str, base_lat: float, base_lon: float) -> None:
    """A new team's name, unique among teams, and its base, inside the city."""
    if not name:
        raise invalid("name", "a team needs a name")
    margin_km = tx.settings.city_margin_km
    check_position(city_of(tx), margin_km, base_lat, base_lon, "base_lat", "base_lon")
    if tx.conn.execute(select(teams.c.team_id).where(teams.c.name == name)).first():
        raise conflict(f"a team named {name!r} already exists")


def _next_team(conn: Connection) -> int:
    ids = conn.execute(select(teams.c.team_id)).scalars().all()
    return max((int(i.split("-", 1)[1]) for i in ids), default=0) + 1


def update_team(tx: Tx, actor: str, team_id: str, **changes: Any) -> None:
    row = team_row(tx.conn, team_id)
    fields = {k: v for k, v in changes.items() if v is not None}
    if not fields:
        raise invalid("body", "nothing to change")
    if "capabilities" in fields:
        fields["capabilities"] = _capabilities(fields["capabilities"])
    _crew(fields.get("crew", row.crew), fields.get("min_crew", row.min_crew))
    tx.append(actor, TeamUpdated(team_id=team_id, **fields))


def set_duty(tx: Tx, actor: str, team_id: str, duty: Duty, reason: str) -> None:
    row = team_row(tx.conn, team_id)
    if row.duty == duty:
        raise conflict(f"{row.name} is already {duty.replace('_', ' ')}")
    if duty != "on_duty" and row.task_id is not None:
        raise conflict(f"{row.name} is on task {row.task_id}; end or withdraw it first")
    tx.append(
        actor,
        TeamDutyChanged(team_id=team_id, duty=duty, previous=row.duty, reason=reason or ""),
    )


def report_position(
    tx: Tx,
    actor: str,
    team_id: str,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    observed_at: datetime | None,
) -> None:
    check_position(city_of(tx), tx.settings.city_margin_km, lat, lon)
    row = team_row(tx.conn, team_id)
    now = tx.now()
    if observed_at is not None:
        require_observed("observed_at", observed_at, now, tx.settings)
    when = observed_at or now
    if row.position_at is not None and parse_iso(row.position_at) > when:
        raise conflict(f"a newer position of {row.name} is already known ({row.position_at})")
    tx.append(
        actor,
        TeamPositionReported(
            team_id=team_id,
            task_id=row.task_id,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy_m,
            observed_at=isoformat(when),
        ),
    )


# --- projection ---------------------------------------------------------------------------


@HANDLERS.projects(TeamRegistered.type)
def _registered(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        teams.insert().values(
            team_id=d["team_id"],
            name=d["name"],
            base_name=d["base_name"],
            base_lat=d["base_lat"],
            base_lon=d["base_lon"],
            sector=d["sector"],
            crew=d["crew"],
            min_crew=d["min_crew"],
            capabilities=",".join(d["capabilities"]),
            vehicle=d["vehicle"],
            leader=d["leader"],
            name_ar=d.get("name_ar"),
            duty="off_duty",
            created_at=event.time,
            updated_at=event.time,
        )
    )


@HANDLERS.projects(TeamUpdated.type)
def _updated(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    values: dict[str, Any] = {"updated_at": event.time}
    for key in ("crew", "min_crew", "vehicle", "sector", "leader", "name_ar"):
        if d.get(key) is not None:
            values[key] = d[key]
    if d.get("capabilities") is not None:
        values["capabilities"] = ",".join(d["capabilities"])
    conn.execute(teams.update().where(teams.c.team_id == d["team_id"]).values(values))


@HANDLERS.projects(TeamDutyChanged.type)
def _duty(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    since = event.time if d["duty"] == "on_duty" else None
    conn.execute(
        teams.update()
        .where(teams.c.team_id == d["team_id"])
        .values(duty=d["duty"], duty_since=since, updated_at=event.time)
    )


@HANDLERS.projects(TeamPositionReported.type)
def _position(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        teams.update()
        .where(teams.c.team_id == d["team_id"])
        .values(
            lat=d["lat"],
            lon=d["lon"],
            position_at=canonical_time(d["observed_at"]),
            updated_at=event.time,
        )
    )
    if d["task_id"] is not None:
        conn.execute(
            tasks.update()
            .where(tasks.c.task_id == d["task_id"], tasks.c.state == "on_scene")
            .values(last_checkin_at=event.time, **ALARM_CLEARED)
        )


# --- views --------------------------------------------------------------------------------


def _last_ended(conn: Connection, team_id: str | None = None) -> dict[str, str]:
    query = select(tasks.c.team_id, func.max(tasks.c.ended_at)).where(tasks.c.ended_at.isnot(None))
    if team_id is not None:
        query = query.where(tasks.c.team_id == team_id)
    return {team: at for team, at in conn.execute(query.group_by(tasks.c.team_id)).all()}


def _free_since(row: Row[Any], ended: str | None) -> str | None:
    """When a free team became free: its last task's end, or going on duty if that was later,
    the same moment a recommendation counts its rest from."""
    if row.duty != "on_duty" or row.task_id is not None:
        return None
    if ended and (row.duty_since is None or ended >= row.duty_since):
        return ended
    return str(row.duty_since) if row.duty_since else None


def team_view(
    row: Row[Any], now: datetime, stale_min: float, ended: str | None = None
) -> dict[str, Any]:
    position = None
    if row.lat is not None and row.position_at is not None:
        age = (now - parse_iso(row.position_at)).total_seconds() / 60
        position = {
            "lat": row.lat,
            "lon": row.lon,
            "at": row.position_at,
            "age_min": round(age, 1),
            "stale": age > stale_min,
        }
    return {
        "id": row.team_id,
        "name": row.name,
        "name_ar": row.name_ar,
        "base": {"name": row.base_name, "lat": row.base_lat, "lon": row.base_lon},
        "sector": row.sector,
        "crew": row.crew,
        "min_crew": row.min_crew,
        "capabilities": [c for c in row.capabilities.split(",") if c],
        "vehicle": row.vehicle,
        "duty": row.duty,
        "duty_since": row.duty_since,
        "free_since": _free_since(row, ended),
        "position": position,
        "task_id": row.task_id,
        "updated_at": row.updated_at,
    }


def list_teams(conn: Connection, now: datetime, stale_min: float) -> list[dict[str, Any]]:
    rows = conn.execute(select(teams).order_by(teams.c.name)).all()
    ended = _last_ended(conn)
    return [team_view(r, now, stale_min, ended.get(r.team_id)) for r in rows]


def get_team(conn: Connection, team_id: str, now: datetime, stale_min: float) -> dict[str, Any]:
    ended = _last_ended(conn, team_id).get(team_id)
    return team_view(team_row(conn, team_id), now, stale_min, ended)
