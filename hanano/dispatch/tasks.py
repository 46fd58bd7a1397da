"""A team's task at an incident, as a state machine whose every step is an event with its time.

assigned → en_route → on_scene → transporting → at_hospital → returning → available, with
on_scene → returning when nobody needs carrying, and withdrawn from any live state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from hanano.clock import isoformat, parse_iso
from hanano.dispatch.common import ALARM_CLEARED, DISPATCH_ACTOR, LIVE_INCIDENT, next_number
from hanano.dispatch.events import TaskAssigned, TaskState, TaskTransitioned, TeamCheckedIn
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.hospitals import RECEIVING, hospital_row
from hanano.dispatch.tables import tasks, teams
from hanano.dispatch.teams import team_row
from hanano.errors import conflict, invalid, not_found
from hanano.intake import tables as intake_tables
from hanano.intake.events import IncidentStatusChanged
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

STATES: tuple[TaskState, ...] = (
    "assigned",
    "en_route",
    "on_scene",
    "transporting",
    "at_hospital",
    "returning",
    "available",
    "withdrawn",
)
TRANSITIONS: dict[str, frozenset[str]] = {
    "assigned": frozenset({"en_route", "withdrawn"}),
    "en_route": frozenset({"on_scene", "withdrawn"}),
    "on_scene": frozenset({"transporting", "returning", "withdrawn"}),
    "transporting": frozenset({"at_hospital", "withdrawn"}),
    "at_hospital": frozenset({"returning", "withdrawn"}),
    "returning": frozenset({"available", "withdrawn"}),
    "available": frozenset(),
    "withdrawn": frozenset(),
}
ACTIVE: tuple[str, ...] = tuple(s for s, nxt in TRANSITIONS.items() if nxt)
AT_SITE: tuple[str, ...] = ("assigned", "en_route", "on_scene")
TIME_COLUMN = {
    "en_route": "en_route_at",
    "on_scene": "on_scene_at",
    "transporting": "transporting_at",
    "at_hospital": "at_hospital_at",
    "returning": "returning_at",
    "available": "ended_at",
    "withdrawn": "ended_at",
}


def steps_between(start: str, goal: str) -> list[str]:
    """The steps a task takes after `start` before it can reach `goal` (the shortest way, never
    through withdrawn); empty when `goal` is next, or cannot be reached at all."""
    paths: dict[str, list[str]] = {start: []}
    frontier = [start]
    while frontier:
        state = frontier.pop(0)
        for nxt in sorted(TRANSITIONS.get(state, ())):
            if nxt == goal:
                return paths[state]
            if nxt not in paths and nxt != "withdrawn":
                paths[nxt] = [*paths[state], nxt]
                frontier.append(nxt)
    return []


def skipped(start: str, goal: str) -> str:
    """What a refused step skipped, said as the step to send first ("" when it skipped none):
    each step is an event with its own time, so none is taken for the team."""
    between = steps_between(start, goal)
    if not between:
        return ""
    return f"; {goal} comes after {' then '.join(between)}: send {between[0]} first"


def task_row(conn: Connection, task_id: str) -> Row[Any]:
    row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
    if row is None:
        raise not_found(f"task {task_id}")
    return row


def incident_row(conn: Connection, incident_id: str) -> Row[Any]:
    incidents = intake_tables.incidents
    row = conn.execute(select(incidents).where(incidents.c.incident_id == incident_id)).first()
    if row is None:
        raise not_found(f"incident {incident_id}")
    return row


def assign_task(tx: Tx, actor: str, incident_id: str, team_id: str, reason: str) -> str:
    """Send a team to an incident; refused if the team is busy, off duty or the site is done."""
    incident = incident_row(tx.conn, incident_id)
    if incident.merged_into:
        raise conflict(f"{incident_id} was merged into {incident.merged_into}")
    if incident.status not in LIVE_INCIDENT:
        raise conflict(f"{incident_id} is {incident.status}; reopen it before sending a team")
    team = team_row(tx.conn, team_id)
    if team.duty != "on_duty":
        raise conflict(f"{team.name} is {team.duty.replace('_', ' ')}")
    if team.task_id is not None:
        raise conflict(f"{team.name} is already on task {team.task_id}")
    number = next_number(tx.conn, tasks.c.number)
    task_id = f"K-{number}"
    tx.append(
        actor,
        TaskAssigned(task_id=task_id, team_id=team_id, incident_id=incident_id, reason=reason),
    )
    return task_id


def transition(
    tx: Tx,
    actor: str,
    task_id: str,
    state: str,
    reason: str = "",
    hospital_id: str | None = None,
) -> None:
    """Move a task to its next state; an illegal step is a 409 that says which steps are legal."""
    task = task_row(tx.conn, task_id)
    if state not in TRANSITIONS:
        raise invalid("state", f"must be one of {', '.join(STATES)}")
    allowed = TRANSITIONS[task.state]
    if state not in allowed:
        legal = ", ".join(sorted(allowed)) or "none: the task has ended"
        raise conflict(
            f"task {task_id} cannot go from {task.state} to {state}; legal: {legal}"
            + skipped(task.state, state)
        )
    if state == "transporting":
        if hospital_id is None:
            raise invalid("hospital_id", "transporting needs a destination hospital")
        hospital = hospital_row(tx.conn, hospital_id)
        if hospital.status not in RECEIVING:
            raise conflict(f"{hospital.name} is {hospital.status}; choose another hospital")
    elif hospital_id is not None and state != "at_hospital":
        raise invalid("hospital_id", f"a hospital is named only when transporting, not {state}")
    tx.append(
        actor,
        TaskTransitioned(
            task_id=task_id,
            team_id=task.team_id,
            incident_id=task.incident_id,
            state=state,
            previous=task.state,
            hospital_id=hospital_id or task.hospital_id,
            reason=reason,
        ),
    )


def check_in(tx: Tx, actor: str, team_id: str, note: str) -> str:
    team = team_row(tx.conn, team_id)
    if team.task_id is None:
        raise conflict(f"{team.name} has no task to check in from")
    tx.append(actor, TeamCheckedIn(task_id=team.task_id, team_id=team_id, note=note))
    return str(team.task_id)


# --- projection ---------------------------------------------------------------------------


@HANDLERS.projects(TaskAssigned.type)
def _assigned(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        tasks.insert().values(
            task_id=d["task_id"],
            number=int(d["task_id"].split("-", 1)[1]),
            team_id=d["team_id"],
            incident_id=d["incident_id"],
            state="assigned",
            assigned_at=event.time,
            reason=d["reason"],
            updated_at=event.time,
        )
    )
    conn.execute(
        teams.update()
        .where(teams.c.team_id == d["team_id"])
        .values(task_id=d["task_id"], updated_at=event.time)
    )


@HANDLERS.projects(TaskTransitioned.type)
def _transitioned(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    values: dict[str, Any] = {
        "state": d["state"],
        "hospital_id": d["hospital_id"],
        "updated_at": event.time,
        TIME_COLUMN[d["state"]]: event.time,
    }
    if d["state"] == "on_scene":
        values["last_checkin_at"] = event.time
    if d["state"] not in ("on_scene",):
        values.update(ALARM_CLEARED)
    conn.execute(tasks.update().where(tasks.c.task_id == d["task_id"]).values(values))
    if not TRANSITIONS[d["state"]]:
        conn.execute(
            teams.update()
            .where(teams.c.team_id == d["team_id"])
            .values(task_id=None, updated_at=event.time)
        )


@HANDLERS.projects(TeamCheckedIn.type)
def _checked_in(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        tasks.update()
        .where(tasks.c.task_id == event.data["task_id"])
        .values(last_checkin_at=event.time, **ALARM_CLEARED)
    )


# --- the incident follows its tasks ------------------------------------------------------


def _set_incident_status(tx: Tx, incident_id: str, status: str, reason: str) -> None:
    incident = incident_row(tx.conn, incident_id)
    tx.append(
        DISPATCH_ACTOR,
        IncidentStatusChanged(
            incident_id=incident_id, status=status, previous=incident.status, reason=reason
        ),
    )


@HANDLERS.reacts_to(TaskAssigned.type)
def _incident_responding(tx: Tx, event: RecordedEvent) -> None:
    """An open incident a team is sent to is responding: the queue must not say it waits."""
    d = event.data
    if incident_row(tx.conn, d["incident_id"]).status == "open":
        team = team_row(tx.conn, d["team_id"])
        reason = f"{team.name} sent ({d['task_id']})"
        _set_incident_status(tx, d["incident_id"], "responding", reason)


@HANDLERS.reacts_to(TaskTransitioned.type)
def _incident_waiting_again(tx: Tx, event: RecordedEvent) -> None:
    """A responding incident whose last live task was withdrawn has nobody on the way: it waits
    for a team again, and the queue must say so."""
    d = event.data
    if d["state"] != "withdrawn":
        return
    if incident_row(tx.conn, d["incident_id"]).status != "responding":
        return
    live = tx.conn.execute(
        select(tasks.c.task_id).where(
            tasks.c.incident_id == d["incident_id"], tasks.c.state.in_(ACTIVE)
        )
    ).first()
    if live is None:
        team = team_row(tx.conn, d["team_id"])
        reason = f"{team.name} withdrawn ({d['task_id']}); no team on the way"
        _set_incident_status(tx, d["incident_id"], "open", reason)


# --- views --------------------------------------------------------------------------------


def task_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.task_id,
        "team_id": row.team_id,
        "incident_id": row.incident_id,
        "state": row.state,
        "hospital_id": row.hospital_id,
        "legal_next": sorted(TRANSITIONS[row.state]),
        "times": {
            "assigned": row.assigned_at,
            "en_route": row.en_route_at,
            "on_scene": row.on_scene_at,
            "transporting": row.transporting_at,
            "at_hospital": row.at_hospital_at,
            "returning": row.returning_at,
            "ended": row.ended_at,
        },
        "reason": row.reason,
        "last_checkin_at": row.last_checkin_at,
        "checkin_alarm_at": row.checkin_alarm_at,
    }


def list_tasks(
    conn: Connection, incident_id: str | None = None, active_only: bool = False
) -> list[dict[str, Any]]:
    query = select(tasks).order_by(tasks.c.number)
    if incident_id is not None:
        query = query.where(tasks.c.incident_id == incident_id)
    if active_only:
        query = query.where(tasks.c.state.in_(ACTIVE))
    return [task_view(r) for r in conn.execute(query).all()]


# --- response times -----------------------------------------------------------------------

SEGMENTS = ("report_to_assigned", "assigned_to_rolling", "rolling_to_on_scene", "on_scene_to_clear")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by linear interpolation between closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    return (parse_iso(end) - parse_iso(start)).total_seconds()


def response_segments(conn: Connection, since: datetime | None = None) -> dict[str, Any]:
    """Per incident: report → first assignment → first team rolling → first on scene → clear."""
    incidents = intake_tables.incidents
    query = select(incidents.c.incident_id, incidents.c.opened_at, incidents.c.cleared_at).where(
        incidents.c.merged_into.is_(None)
    )
    if since is not None:
        query = query.where(incidents.c.opened_at >= isoformat(since))
    per_incident: list[dict[str, Any]] = []
    for inc in conn.execute(query.order_by(incidents.c.number)).all():
        rows = conn.execute(select(tasks).where(tasks.c.incident_id == inc.incident_id)).all()
        if not rows:
            continue
        assigned = min(r.assigned_at for r in rows)
        rolling = min((r.en_route_at for r in rows if r.en_route_at), default=None)
        on_scene = min((r.on_scene_at for r in rows if r.on_scene_at), default=None)
        seconds = {
            "report_to_assigned": _seconds(inc.opened_at, assigned),
            "assigned_to_rolling": _seconds(assigned, rolling),
            "rolling_to_on_scene": _seconds(rolling, on_scene),
            "on_scene_to_clear": _seconds(on_scene, inc.cleared_at),
        }
        per_incident.append({"incident_id": inc.incident_id, "seconds": seconds})
    summary: dict[str, Any] = {}
    for name in SEGMENTS:
        values = [i["seconds"][name] for i in per_incident if i["seconds"][name] is not None]
        summary[name] = {
            "count": len(values),
            "p50_s": round(percentile(values, 50), 1) if values else None,
            "p90_s": round(percentile(values, 90), 1) if values else None,
        }
    return {"segments": summary, "incidents": per_incident}
