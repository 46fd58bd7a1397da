"""Teams, hospitals, tasks, recommendations, worksites, victims, roads and rescuers' safety.

Team positions, victims' identities and the places where rescuers work are for operational
roles only: no route here admits the reporter or public role.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hanano.access.field import pullback_team, require_own_team, task_team
from hanano.access.tokens import Principal
from hanano.access.visibility import readers
from hanano.dispatch import events as dispatch_events
from hanano.dispatch import hospitals, recommend, roads, safety, tasks, teams, worksites
from hanano.dispatch.common import Capability, Duty
from hanano.dispatch.coverage import coverage
from hanano.dispatch.events import HospitalRegistered, TaskAssigned, TeamRegistered, ThreatReported
from hanano.dispatch.roads import router_for
from hanano.dispatch.travel import StraightLine
from hanano.errors import invalid
from hanano.events import Role
from hanano.store.sequencer import Tx
from hanano.timestamps import Timestamp
from hanano.web.deps import ServiceDep, allow

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

# Who reads the operation's records: the readers the visibility rule gives its events.
OPS = readers(TeamRegistered, TaskAssigned, HospitalRegistered)
COMMAND: tuple[Role, ...] = ("admin", "dispatcher")
FIELD: tuple[Role, ...] = ("admin", "dispatcher", "team_leader")

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Reason = Annotated[str, Field(max_length=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    base_name: Annotated[str, Field(min_length=1, max_length=200)]
    base_lat: Lat
    base_lon: Lon
    sector: Annotated[str, Field(min_length=1, max_length=20)]
    crew: Annotated[int, Field(ge=0, le=100)]
    min_crew: Annotated[int, Field(ge=1, le=100)] = 4
    capabilities: Annotated[list[Capability], Field(min_length=1)]
    vehicle: Annotated[str, Field(max_length=200)] = ""
    leader: Annotated[str | None, Field(max_length=200)] = None
    on_duty: bool = True
    name_ar: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class TeamPatch(Strict):
    crew: Annotated[int | None, Field(ge=0, le=100)] = None
    min_crew: Annotated[int | None, Field(ge=1, le=100)] = None
    capabilities: list[Capability] | None = None
    vehicle: Annotated[str | None, Field(max_length=200)] = None
    sector: Annotated[str | None, Field(min_length=1, max_length=20)] = None
    leader: Annotated[str | None, Field(max_length=200)] = None
    name_ar: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class DutyIn(Strict):
    duty: Duty
    reason: Reason = ""


class PositionIn(Strict):
    lat: Lat
    lon: Lon
    accuracy_m: Annotated[float | None, Field(ge=0, le=100_000)] = None
    observed_at: Timestamp | None = None


class CheckInIn(Strict):
    note: Reason = ""


class HospitalIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: dispatch_events.HospitalKind = "hospital"
    lat: Lat
    lon: Lon
    status: dispatch_events.HospitalStatus = "open"


class HospitalStatusIn(Strict):
    status: dispatch_events.HospitalStatus
    reason: Reason = ""


class TransitionIn(Strict):
    state: dispatch_events.TaskState
    reason: Reason = ""
    hospital_id: Annotated[str | None, Field(max_length=40)] = None


# --- teams --------------------------------------------------------------------------------


@router.get("/teams")
def teams_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    """Teams with duty, task and last position (stale after the configured minutes)."""
    with service.engine.connect() as conn:
        items = teams.list_teams(conn, service.clock.now(), service.settings.position_stale_min)
    return {"teams": items, "count": len(items)}


@router.post("/teams", status_code=201)
async def teams_create(
    body: TeamIn, service: ServiceDep, who: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, Any]:
    team_id = await service.sequencer.run(
        lambda tx: teams.register_team(tx, who.actor, **body.model_dump())
    )
    with service.engine.connect() as conn:
        return teams.get_team(
            conn, team_id, service.clock.now(), service.settings.position_stale_min
        )


@router.get("/teams/{team_id}")
def teams_get(
    team_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return teams.get_team(
            conn, team_id, service.clock.now(), service.settings.position_stale_min
        )


@router.patch("/teams/{team_id}")
async def teams_update(
    team_id: str,
    body: TeamPatch,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*COMMAND))],
) -> dict[str, Any]:
    await service.sequencer.run(
        lambda tx: teams.update_team(tx, who.actor, team_id, **body.model_dump())
    )
    with service.engine.connect() as conn:
        return teams.get_team(
            conn, team_id, service.clock.now(), service.settings.position_stale_min
        )


@router.post("/teams/{team_id}/duty")
async def teams_duty(
    team_id: str,
    body: DutyIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    require_own_team(who, team_id)
    await service.sequencer.run(
        lambda tx: teams.set_duty(tx, who.actor, team_id, body.duty, body.reason)
    )
    return {"id": team_id, "duty": body.duty}


@router.post("/teams/{team_id}/position")
async def teams_position(
    team_id: str,
    body: PositionIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    """The team leader's phone reports where the team is; it also counts as a check-in."""
    require_own_team(who, team_id)
    await service.sequencer.run(
        lambda tx: teams.report_position(
            tx, who.actor, team_id, body.lat, body.lon, body.accuracy_m, body.observed_at
        )
    )
    return {"id": team_id, "status": "recorded"}


@router.post("/teams/{team_id}/checkin")
async def teams_checkin(
    team_id: str,
    body: CheckInIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    require_own_team(who, team_id)
    task_id = await service.sequencer.run(
        lambda tx: tasks.check_in(tx, who.actor, team_id, body.note)
    )
    return {"id": team_id, "task_id": task_id, "status": "checked in"}


# --- hospitals ----------------------------------------------------------------------------


@router.get("/hospitals")
def hospitals_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        items = hospitals.list_hospitals(conn)
    return {"hospitals": items, "count": len(items)}


@router.post("/hospitals", status_code=201)
async def hospitals_create(
    body: HospitalIn, service: ServiceDep, who: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, str]:
    hospital_id = await service.sequencer.run(
        lambda tx: hospitals.register_hospital(tx, who.actor, **body.model_dump())
    )
    return {"id": hospital_id, "status": body.status}


@router.post("/hospitals/{hospital_id}/status")
async def hospitals_status(
    hospital_id: str,
    body: HospitalStatusIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    await service.sequencer.run(
        lambda tx: hospitals.set_status(tx, who.actor, hospital_id, body.status, body.reason)
    )
    return {"id": hospital_id, "status": body.status}


# --- tasks --------------------------------------------------------------------------------


@router.get("/tasks")
def tasks_list(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    incident_id: str | None = None,
    active: bool = False,
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        items = tasks.list_tasks(conn, incident_id, active)
    return {"tasks": items, "count": len(items)}


@router.get("/tasks/{task_id}")
def tasks_get(
    task_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return tasks.task_view(tasks.task_row(conn, task_id))


@router.post("/tasks/{task_id}/transition")
async def tasks_transition(
    task_id: str,
    body: TransitionIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, Any]:
    """Move a task on; an illegal step is refused with 409 and the legal ones."""

    def command(tx: Tx) -> None:
        if who.role == "team_leader":
            require_own_team(who, task_team(tx.conn, task_id))
        tasks.transition(tx, who.actor, task_id, body.state, body.reason, body.hospital_id)

    await service.sequencer.run(command)
    with service.engine.connect() as conn:
        return tasks.task_view(tasks.task_row(conn, task_id))


@router.get("/stats/response")
def stats_response(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    since: Timestamp | None = None,
) -> dict[str, Any]:
    """Response-time segments per incident, with their 50th and 90th percentiles."""
    with service.engine.connect() as conn:
        return tasks.response_segments(conn, since)


# --- recommendation and assignment --------------------------------------------------------


class AssignIn(Strict):
    team_id: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Reason = ""


class PlanIn(Strict):
    incident_ids: Annotated[list[str] | None, Field(max_length=200)] = None


@router.get("/incidents/{incident_id}/recommendations")
def incident_recommendations(
    incident_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, Any]:
    """Free teams ranked for this incident, each with its reason; or why none fits."""
    with service.engine.connect() as conn:
        router_ = router_for(conn, service.settings)
        return recommend.recommend(
            conn, incident_id, router_, service.clock.now(), service.settings
        )


@router.post("/incidents/{incident_id}/assign", status_code=201)
async def incident_assign(
    incident_id: str,
    body: AssignIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*COMMAND))],
) -> dict[str, Any]:
    """Assign a team; the top recommendation is accepted, any other needs a reason."""

    def command(tx: Tx) -> tuple[str, str]:
        router_ = router_for(tx.conn, service.settings)
        return recommend.assign(
            tx, who.actor, incident_id, body.team_id, body.reason, router_, service.settings
        )

    task_id, decision = await service.sequencer.run(command)
    with service.engine.connect() as conn:
        view = tasks.task_view(tasks.task_row(conn, task_id))
    view["decision"] = decision
    return view


@router.post("/recommendations/plan")
def recommendations_plan(
    body: PlanIn, service: ServiceDep, _: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, Any]:
    """One team per waiting incident, minimising severity-weighted travel time, beside
    nearest-first."""
    with service.engine.connect() as conn:
        router_ = router_for(conn, service.settings)
        return recommend.plan(
            conn, router_, service.clock.now(), service.settings, body.incident_ids
        )


# --- safety -------------------------------------------------------------------------------

THREAT_REPORTERS: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "spotter")
THREAT_READERS = readers(ThreatReported)


class ThreatIn(Strict):
    lat: Lat | None = None
    lon: Lon | None = None
    radius_m: Annotated[float, Field(ge=0, le=50_000)] = 0.0
    polygon: Annotated[list[list[float]] | None, Field(max_length=1000)] = None
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class AcknowledgeIn(Strict):
    note: Reason = ""


def _check_field_threat(body: ThreatIn, who: Principal, limit_m: float) -> None:
    # A stolen field token must not be a switch that pulls every team in the city back.
    if who.role in COMMAND:
        return
    if body.polygon:
        raise invalid("polygon", f"a {who.role} reports a point and a radius; zones are operators'")
    if body.radius_m > limit_m:
        raise invalid("radius_m", f"a {who.role} may report at most {limit_m:g} m around a point")


@router.post("/threats", status_code=201)
async def threats_create(
    body: ThreatIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*THREAT_REPORTERS))],
) -> dict[str, Any]:
    """A threat (point and radius, or zone): every team at a watched site it covers is ordered
    to pull back. Spotters and team leaders report what they see near them: a point within
    `field_threat_max_radius_m`; zones and wider areas are the operators'."""
    _check_field_threat(body, who, service.settings.field_threat_max_radius_m)
    threat_id = await service.sequencer.run(
        lambda tx: safety.report_threat(
            tx,
            who.actor,
            lat=body.lat,
            lon=body.lon,
            radius_m=body.radius_m,
            polygons=[body.polygon] if body.polygon else [],
            reason=body.reason,
        )
    )
    if who.role not in readers(dispatch_events.PullbackOrdered):
        # Which teams a threat pulled back would tell a spotter's token where rescuers work.
        return {"id": threat_id}
    with service.engine.connect() as conn:
        orders = [o for o in safety.list_pullbacks(conn) if o["threat_id"] == threat_id]
    return {"id": threat_id, "pullbacks": orders}


@router.get("/threats")
def threats_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*THREAT_READERS))]
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return {"threats": safety.list_threats(conn)}


@router.get("/watches")
def watches_list(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
) -> dict[str, Any]:
    """Strike sites under double-tap watch now, and until when."""
    with service.engine.connect() as conn:
        return {
            "watches": safety.list_watches(
                conn, service.clock.now(), service.settings.double_tap_watch_min
            )
        }


@router.get("/pullbacks")
def pullbacks_list(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    open: bool = False,
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return {"pullbacks": safety.list_pullbacks(conn, open)}


@router.post("/pullbacks/{order_id}/acknowledge")
async def pullbacks_acknowledge(
    order_id: str,
    body: AcknowledgeIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    """The team leader confirms the team is pulling back."""

    def command(tx: Tx) -> None:
        if who.role == "team_leader":
            require_own_team(who, pullback_team(tx.conn, order_id))
        safety.acknowledge(tx, who.actor, order_id, body.note)

    await service.sequencer.run(command)
    return {"id": order_id, "status": "acknowledged"}


@router.get("/board")
def safety_board(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    """Escalated and open pull-backs, check-in alarms and active watches."""
    with service.engine.connect() as conn:
        return safety.board(conn, service.clock.now(), service.settings.double_tap_watch_min)


@router.get("/coverage")
def coverage_view(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, Any]:
    """Each zone's nearest available team and travel time, the zones beyond
    `coverage_threshold_min`, and suggested moves of idle teams (suggestions only)."""
    with service.engine.connect() as conn:
        return coverage(conn, service.clock.now(), service.settings, city=service.city.get(conn))


# --- roads --------------------------------------------------------------------------------


class ClosureIn(Strict):
    lat: Lat
    lon: Lon
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class ReopenIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


def _point(text: str, name: str) -> tuple[float, float]:
    try:
        lat, lon = (float(p) for p in text.split(","))
    except ValueError:
        raise invalid(name, "must be lat,lon") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise invalid(name, "out of range")
    return lat, lon


@router.get("/roads")
def roads_info(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    """The imported road graph (or none: straight line × detour factor) and open closures."""
    with service.engine.connect() as conn:
        return {"graph": roads.graph_info(conn), "closures": roads.list_closures(conn)}


@router.get("/roads/route")
def roads_route(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    start: Annotated[str, Query(alias="from", description="lat,lon")],
    end: Annotated[str, Query(alias="to", description="lat,lon")],
) -> dict[str, Any]:
    """The fastest open route between two places, avoiding closed segments."""
    a, b = _point(start, "from"), _point(end, "to")
    with service.engine.connect() as conn:
        road = roads.road_router(conn, service.settings)
    if road is None:
        leg = StraightLine.from_settings(service.settings).legs_to(b[0], b[1], [a])[0]
        return {"seconds": round(leg.seconds, 1), "via": leg.via, "points": [a, b]}
    found = road.route(a, b)
    if found is None:
        return {"seconds": None, "via": "no open road", "points": []}
    seconds, points = found
    return {"seconds": round(seconds, 1), "via": "by road", "points": points}


@router.get("/roads/closures")
def roads_closures(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    open: bool = True,
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return {"closures": roads.list_closures(conn, open)}


@router.post("/roads/closures", status_code=201)
async def roads_close(
    body: ClosureIn, service: ServiceDep, who: Annotated[Principal, Depends(allow(*FIELD))]
) -> dict[str, Any]:
    """Close the road segment nearest a point until it is reopened."""
    closure_id = await service.sequencer.run(
        lambda tx: roads.close_road(tx, who.actor, body.lat, body.lon, body.reason)
    )
    with service.engine.connect() as conn:
        return next(c for c in roads.list_closures(conn, False) if c["id"] == closure_id)


@router.post("/roads/closures/{closure_id}/reopen")
async def roads_reopen(
    closure_id: str,
    body: ReopenIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    await service.sequencer.run(
        lambda tx: roads.reopen_road(tx, who.actor, closure_id, body.reason)
    )
    return {"id": closure_id, "status": "reopened"}


# --- worksites and victims ----------------------------------------------------------------

Names = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=50)]


class WorksiteIn(Strict):
    worksite_id: Annotated[str, Field(min_length=3, max_length=5)]
    category: dispatch_events.Category
    hazards: Names = []
    operations: Names = []
    lat: Lat | None = None
    lon: Lon | None = None
    note: Reason = ""


class WorksitePatch(Strict):
    category: dispatch_events.Category | None = None
    hazards: Names | None = None
    operations: Names | None = None
    reason: Reason = ""


class VictimIn(Strict):
    status: dispatch_events.VictimStatus
    worksite_id: Annotated[str | None, Field(max_length=5)] = None
    triage: dispatch_events.Triage | None = None
    hospital_id: Annotated[str | None, Field(max_length=40)] = None
    name: Annotated[str | None, Field(max_length=200)] = None
    identity: Annotated[str | None, Field(max_length=200)] = None


class VictimPatch(Strict):
    status: dispatch_events.VictimStatus | None = None
    triage: dispatch_events.Triage | None = None
    hospital_id: Annotated[str | None, Field(max_length=40)] = None
    name: Annotated[str | None, Field(max_length=200)] = None
    identity: Annotated[str | None, Field(max_length=200)] = None


@router.get("/incidents/{incident_id}/worksites")
def worksites_list(
    incident_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    with service.engine.connect() as conn:
        return {"worksites": worksites.list_worksites(conn, incident_id)}


@router.post("/incidents/{incident_id}/worksites", status_code=201)
async def worksites_open(
    incident_id: str,
    body: WorksiteIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    """Open a worksite (INSARAG ID such as C-6, triage category A-F)."""
    worksite_id = await service.sequencer.run(
        lambda tx: worksites.open_worksite(tx, who.actor, incident_id, **body.model_dump())
    )
    return {"id": worksite_id, "incident_id": incident_id}


@router.post("/incidents/{incident_id}/worksites/{worksite_id}")
async def worksites_update(
    incident_id: str,
    worksite_id: str,
    body: WorksitePatch,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    await service.sequencer.run(
        lambda tx: worksites.update_worksite(
            tx, who.actor, incident_id, worksite_id, **body.model_dump()
        )
    )
    return {"id": worksite_id, "incident_id": incident_id, "status": "updated"}


@router.get("/incidents/{incident_id}/victims")
def victims_list(
    incident_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> dict[str, Any]:
    """Victims with their marks, status, triage and hospital; never their names."""
    with service.engine.connect() as conn:
        return {"victims": worksites.list_victims(conn, incident_id)}


@router.post("/incidents/{incident_id}/victims", status_code=201)
async def victims_record(
    incident_id: str,
    body: VictimIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    victim_id = await service.sequencer.run(
        lambda tx: worksites.record_victim(tx, who.actor, incident_id, **body.model_dump())
    )
    return {"id": victim_id, "incident_id": incident_id}


@router.post("/victims/{victim_id}")
async def victims_update(
    victim_id: str,
    body: VictimPatch,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FIELD))],
) -> dict[str, str]:
    await service.sequencer.run(
        lambda tx: worksites.update_victim(tx, who.actor, victim_id, **body.model_dump())
    )
    return {"id": victim_id, "status": "updated"}


@router.get("/victims/{victim_id}/identity")
def victims_identity(
    victim_id: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*COMMAND))]
) -> dict[str, Any]:
    """A victim's name and identity, for admin and dispatcher only."""
    with service.engine.connect() as conn:
        return worksites.victim_identity(conn, victim_id)
