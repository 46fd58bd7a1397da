"""Dispatch's use cases: what the HTTP routes and the CLI commands both call.

A use case takes the running service (`Runtime`), the caller and what they asked; it checks
what the caller may do for a team (a team leader acts only for their own), runs the command
and reads back what the answer shows. Shaping that answer for the caller's role is the route's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hanano.access.field import (
    pullback_team,
    require_own_incident,
    require_own_team,
    task_team,
    victim_incident,
)
from hanano.access.tokens import Principal
from hanano.dispatch import alert_reach as reach
from hanano.dispatch import (
    client_records,
    hospitals,
    recommend,
    road_graph,
    road_routing,
    roads,
    safety,
    tasks,
    teams,
    worksites,
)
from hanano.dispatch.client_records import Recorded
from hanano.dispatch.common import Duty
from hanano.dispatch.coverage import coverage
from hanano.dispatch.events import HospitalStatus
from hanano.dispatch.road_routing import router_for
from hanano.dispatch.tables import road_closures
from hanano.dispatch.tasks import incident_row
from hanano.dispatch.travel import StraightLine
from hanano.domain import Runtime
from hanano.errors import conflict, invalid
from hanano.store.sequencer import Tx

COMMAND = ("admin", "dispatcher")

# --- teams --------------------------------------------------------------------------------


def list_teams(runtime: Runtime) -> list[dict[str, Any]]:
    """Teams with duty, task and last position (stale after the configured minutes)."""
    with runtime.engine.connect() as conn:
        return teams.list_teams(conn, runtime.clock.now(), runtime.settings.position_stale_min)


def get_team(runtime: Runtime, team_id: str) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return teams.get_team(
            conn, team_id, runtime.clock.now(), runtime.settings.position_stale_min
        )


async def register_team(runtime: Runtime, who: Principal, **fields: Any) -> dict[str, Any]:
    """Register a team; returns it as `get_team` shows it."""
    team_id = await runtime.sequencer.run(lambda tx: teams.register_team(tx, who.actor, **fields))
    return get_team(runtime, team_id)


async def update_team(
    runtime: Runtime, who: Principal, team_id: str, **changes: Any
) -> dict[str, Any]:
    await runtime.sequencer.run(lambda tx: teams.update_team(tx, who.actor, team_id, **changes))
    return get_team(runtime, team_id)


async def set_duty(runtime: Runtime, who: Principal, team_id: str, duty: Duty, reason: str) -> None:
    require_own_team(who, team_id)
    await runtime.sequencer.run(lambda tx: teams.set_duty(tx, who.actor, team_id, duty, reason))


async def report_position(
    runtime: Runtime,
    who: Principal,
    team_id: str,
    lat: float,
    lon: float,
    accuracy_m: float | None = None,
    observed_at: datetime | None = None,
) -> None:
    """Where a team is now; it also counts as a check-in."""
    require_own_team(who, team_id)
    await runtime.sequencer.run(
        lambda tx: teams.report_position(tx, who.actor, team_id, lat, lon, accuracy_m, observed_at)
    )


def status_command(
    who: Principal,
    team_id: str,
    position: tuple[float, float, float | None],
    observed_at: datetime | None,
    note: str | None,
) -> Callable[[Tx], None]:
    """A team's position, and with a note its check-in from its task, as one command, for a
    channel that records its own step in the same transaction (an OpenRosa submission)."""
    require_own_team(who, team_id)
    lat, lon, accuracy_m = position

    def command(tx: Tx) -> None:
        teams.report_position(tx, who.actor, team_id, lat, lon, accuracy_m, observed_at)
        if note:
            tasks.check_in(tx, who.actor, team_id, note)

    return command


def step_command(who: Principal, team_id: str, state: str | None, note: str) -> Callable[[Tx], str]:
    """A team's next step of its task, or with no state its check-in, as one command, for a
    channel that records its own step in the same transaction (an SMS); returns the task."""
    require_own_team(who, team_id)

    def command(tx: Tx) -> str:
        if state is None:
            return tasks.check_in(tx, who.actor, team_id, note)
        task_id = teams.team_row(tx.conn, team_id).task_id
        if task_id is None:
            raise conflict(f"team {team_id} has no task to move on")
        tasks.transition(tx, who.actor, task_id, state, note)
        return str(task_id)

    return command


async def check_in(runtime: Runtime, who: Principal, team_id: str, note: str) -> str:
    """A team's check-in from its task; returns the task's id."""
    require_own_team(who, team_id)
    return await runtime.sequencer.run(lambda tx: tasks.check_in(tx, who.actor, team_id, note))


# --- hospitals ----------------------------------------------------------------------------


def list_hospitals(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return hospitals.list_hospitals(conn)


async def register_hospital(runtime: Runtime, who: Principal, **fields: Any) -> str:
    return await runtime.sequencer.run(
        lambda tx: hospitals.register_hospital(tx, who.actor, **fields)
    )


async def set_hospital_status(
    runtime: Runtime, who: Principal, hospital_id: str, status: HospitalStatus, reason: str
) -> None:
    await runtime.sequencer.run(
        lambda tx: hospitals.set_status(tx, who.actor, hospital_id, status, reason)
    )


# --- tasks --------------------------------------------------------------------------------


def list_tasks(
    runtime: Runtime, incident_id: str | None = None, active: bool = False
) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return tasks.list_tasks(conn, incident_id, active)


def get_task(runtime: Runtime, task_id: str) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return tasks.task_view(tasks.task_row(conn, task_id))


async def move_task(
    runtime: Runtime,
    who: Principal,
    task_id: str,
    state: str,
    reason: str = "",
    hospital_id: str | None = None,
) -> dict[str, Any]:
    """Move a task on; an illegal step is refused with 409 and the legal ones."""

    def command(tx: Tx) -> None:
        if who.role == "team_leader":
            require_own_team(who, task_team(tx.conn, task_id))
        tasks.transition(tx, who.actor, task_id, state, reason, hospital_id)

    await runtime.sequencer.run(command)
    return get_task(runtime, task_id)


def response_segments(runtime: Runtime, since: datetime | None = None) -> dict[str, Any]:
    """Response-time segments per incident, with their 50th and 90th percentiles."""
    with runtime.engine.connect() as conn:
        return tasks.response_segments(conn, since)


# --- recommendation, assignment, plan and coverage ----------------------------------------


def recommend_teams(runtime: Runtime, incident_id: str) -> dict[str, Any]:
    """Free teams ranked for an incident, each with its reason; or why none fits."""
    with runtime.engine.connect() as conn:
        router = router_for(conn, runtime.settings)
        return recommend.recommend(conn, incident_id, router, runtime.clock.now(), runtime.settings)


async def assign(
    runtime: Runtime, who: Principal, incident_id: str, team_id: str, reason: str
) -> dict[str, Any]:
    """Assign a team (the top recommendation is accepted, any other needs a reason); returns
    the task with the `decision`."""
    task_id, decision = await runtime.sequencer.run(
        lambda tx: recommend.assign(tx, who.actor, incident_id, team_id, reason)
    )
    view = get_task(runtime, task_id)
    view["decision"] = decision
    return view


def plan(runtime: Runtime, incident_ids: list[str] | None) -> dict[str, Any]:
    """One team per waiting incident, minimising severity-weighted travel, beside nearest-first."""
    with runtime.engine.connect() as conn:
        router = router_for(conn, runtime.settings)
        return recommend.plan(conn, router, runtime.clock.now(), runtime.settings, incident_ids)


def zone_coverage(runtime: Runtime) -> dict[str, Any]:
    """Each zone's nearest available team, the zones over the threshold, suggested moves."""
    with runtime.engine.connect() as conn:
        return coverage(conn, runtime.clock.now(), runtime.settings, city=runtime.city())


def alert_reach(runtime: Runtime, pcodes: list[str]) -> dict[str, Any]:
    """The zones and the teams on duty an operator's alert for `pcodes` would reach."""
    with runtime.engine.connect() as conn:
        return reach.alert_reach(conn, runtime.city(), pcodes)


# --- safety -------------------------------------------------------------------------------


def check_field_threat(
    who: Principal, radius_m: float, polygon: list[list[float]] | None, limit_m: float
) -> None:
    # A stolen field token must not be a switch that pulls every team in the city back.
    if who.role in COMMAND:
        return
    if polygon:
        raise invalid("polygon", f"a {who.role} reports a point and a radius; zones are operators'")
    if radius_m > limit_m:
        raise invalid("radius_m", f"a {who.role} may report at most {limit_m:g} m around a point")


async def report_threat(
    runtime: Runtime,
    who: Principal,
    *,
    lat: float | None,
    lon: float | None,
    radius_m: float,
    polygon: list[list[float]] | None,
    reason: str,
) -> str:
    """A threat (point and radius, or zone): every team at a watched site it covers is ordered
    to pull back. Returns its id."""
    check_field_threat(who, radius_m, polygon, runtime.settings.field_threat_max_radius_m)
    return await runtime.sequencer.run(
        lambda tx: safety.report_threat(
            tx,
            who.actor,
            lat=lat,
            lon=lon,
            radius_m=radius_m,
            polygons=[polygon] if polygon else [],
            reason=reason,
        )
    )


def threat_pullbacks(runtime: Runtime, threat_id: str) -> list[dict[str, Any]]:
    """The pull-back orders a threat gave."""
    return [o for o in list_pullbacks(runtime) if o["threat_id"] == threat_id]


def list_threats(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return safety.list_threats(conn)


def list_watches(runtime: Runtime) -> list[dict[str, Any]]:
    """Strike sites under double-tap watch now, and until when."""
    with runtime.engine.connect() as conn:
        return safety.list_watches(conn, runtime.clock.now(), runtime.settings.double_tap_watch_min)


def list_pullbacks(runtime: Runtime, open_only: bool = False) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return safety.list_pullbacks(conn, open_only)


async def acknowledge(runtime: Runtime, who: Principal, order_id: str, note: str) -> None:
    """The team leader confirms the team is pulling back."""

    def command(tx: Tx) -> None:
        if who.role == "team_leader":
            require_own_team(who, pullback_team(tx.conn, order_id))
        safety.acknowledge(tx, who.actor, order_id, note)

    await runtime.sequencer.run(command)


async def acknowledge_checkin_alarm(
    runtime: Runtime, who: Principal, team_id: str, note: str
) -> str:
    """A person in the operations room answers for a team's check-in alarm; returns the task."""
    return await runtime.sequencer.run(
        lambda tx: safety.acknowledge_checkin_alarm(tx, who.actor, team_id, note)
    )


def safety_board(runtime: Runtime) -> dict[str, Any]:
    """Escalated and open pull-backs, check-in alarms and active watches."""
    with runtime.engine.connect() as conn:
        return safety.board(conn, runtime.clock.now(), runtime.settings.double_tap_watch_min)


# --- roads --------------------------------------------------------------------------------


def road_network(runtime: Runtime) -> dict[str, Any]:
    """The imported road graph (or None: straight line x detour factor) and open closures."""
    with runtime.engine.connect() as conn:
        return {"graph": roads.graph_info(conn), "closures": roads.list_closures(conn)}


def route(runtime: Runtime, start: tuple[float, float], end: tuple[float, float]) -> dict[str, Any]:
    """The fastest open route between two places, avoiding closed segments."""
    with runtime.engine.connect() as conn:
        road = road_routing.road_router(conn, runtime.settings)
    if road is None:
        leg = StraightLine.from_settings(runtime.settings).legs_to(end[0], end[1], [start])[0]
        return {"seconds": round(leg.seconds, 1), "via": leg.via, "points": [start, end]}
    found = road.route(start, end)
    if found is None:
        return {"seconds": None, "via": "no open road", "points": []}
    seconds, points = found
    return {"seconds": round(seconds, 1), "via": "by road", "points": points}


def list_closures(runtime: Runtime, open_only: bool = True) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return roads.list_closures(conn, open_only)


def closed_roads(
    runtime: Runtime,
) -> tuple[tuple[str, road_graph.RoadGraph] | None, list[dict[str, Any]], list[tuple[Any, ...]]]:
    """For the map: the current graph, the open closures, and every closure's id and reopening
    time (what changes when a closure is made or lifted)."""
    state = select(road_closures.c.closure_id, road_closures.c.reopened_at)
    with runtime.engine.connect() as conn:
        found = road_routing.current_graph(conn)
        closures = roads.list_closures(conn)
        states = [tuple(row) for row in conn.execute(state).all()]
    return found, closures, states


def road_graph_now(runtime: Runtime) -> tuple[str, road_graph.RoadGraph] | None:
    """The imported road graph in use, with its id, or None when none is imported."""
    with runtime.engine.connect() as conn:
        return road_routing.current_graph(conn)


async def close_road(
    runtime: Runtime, who: Principal, lat: float, lon: float, reason: str
) -> dict[str, Any]:
    """Close the road segment nearest a point until it is reopened; returns the closure."""
    closure_id = await runtime.sequencer.run(
        lambda tx: roads.close_road(tx, who.actor, lat, lon, reason)
    )
    return next(c for c in list_closures(runtime, False) if c["id"] == closure_id)


async def reopen_road(runtime: Runtime, who: Principal, closure_id: str, reason: str) -> None:
    await runtime.sequencer.run(lambda tx: roads.reopen_road(tx, who.actor, closure_id, reason))


async def import_roads(runtime: Runtime, who: Principal, path: Path) -> Any:
    """Build the drivable road graph from an OpenStreetMap extract."""
    return await runtime.sequencer.run(lambda tx: roads.import_roads(tx, who.actor, path))


# --- worksites and victims ----------------------------------------------------------------


def list_worksites(runtime: Runtime, incident_id: str) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return worksites.list_worksites(conn, incident_id)


def _at_incident(tx: Tx, who: Principal, incident_id: str) -> None:
    """An unknown incident is 404 for everyone; a team leader's team must be tasked there."""
    incident_row(tx.conn, incident_id)
    require_own_incident(who, tx.conn, incident_id)


async def open_worksite(
    runtime: Runtime,
    who: Principal,
    incident_id: str,
    client_id: str | None = None,
    **fields: Any,
) -> Recorded:
    """Open a worksite (INSARAG ID such as C-6, triage category A-F); a resend with the same
    `client_id` and content is answered as the first time, with other content is 409."""

    def command(tx: Tx) -> Recorded:
        _at_incident(tx, who, incident_id)
        return client_records.once(
            tx,
            "worksite",
            incident_id,
            client_id,
            fields,
            lambda digest: worksites.open_worksite(
                tx, who.actor, incident_id, client_id=client_id, body_hash=digest, **fields
            ),
        )

    return await runtime.sequencer.run(command)


async def update_worksite(
    runtime: Runtime, who: Principal, incident_id: str, worksite_id: str, **changes: Any
) -> None:
    """Change a worksite; a team leader only at an incident their team was tasked to."""

    def command(tx: Tx) -> None:
        _at_incident(tx, who, incident_id)
        worksites.update_worksite(tx, who.actor, incident_id, worksite_id, **changes)

    await runtime.sequencer.run(command)


def list_victims(runtime: Runtime, incident_id: str) -> list[dict[str, Any]]:
    """Victims with their marks, status, triage and hospital; never their names."""
    with runtime.engine.connect() as conn:
        return worksites.list_victims(conn, incident_id)


async def record_victim(
    runtime: Runtime,
    who: Principal,
    incident_id: str,
    client_id: str | None = None,
    **fields: Any,
) -> Recorded:
    """Record a victim; a resend with the same `client_id` is answered as for worksites."""

    def command(tx: Tx) -> Recorded:
        _at_incident(tx, who, incident_id)
        return client_records.once(
            tx,
            "victim",
            incident_id,
            client_id,
            fields,
            lambda digest: worksites.record_victim(
                tx, who.actor, incident_id, client_id=client_id, body_hash=digest, **fields
            ),
        )

    return await runtime.sequencer.run(command)


async def update_victim(runtime: Runtime, who: Principal, victim_id: str, **changes: Any) -> None:
    """Change a victim's record; a team leader only at an incident their team was tasked to."""

    def command(tx: Tx) -> None:
        require_own_incident(who, tx.conn, victim_incident(tx.conn, victim_id))
        worksites.update_victim(tx, who.actor, victim_id, **changes)

    await runtime.sequencer.run(command)


def victim_identity(runtime: Runtime, victim_id: str) -> dict[str, Any]:
    """A victim's name and identity (for admin and dispatcher only: the route's to enforce)."""
    with runtime.engine.connect() as conn:
        return worksites.victim_identity(conn, victim_id)
