"""Teams, hospitals, tasks, recommendations, worksites, victims, roads and rescuers' safety.

Team positions, victims' identities and the places where rescuers work are for operational
roles only: no route here admits the reporter or public role.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from hanano.access.tokens import Principal
from hanano.access.visibility import readers
from hanano.dispatch import api
from hanano.dispatch import events as dispatch_events
from hanano.dispatch.client_records import Recorded
from hanano.dispatch.events import HospitalRegistered, TaskAssigned, TeamRegistered, ThreatReported
from hanano.dispatch.inputs import (
    AcknowledgeIn,
    AlertReachIn,
    AssignIn,
    CheckInIn,
    ClosureIn,
    DutyIn,
    HospitalIn,
    HospitalStatusIn,
    PlanIn,
    PositionIn,
    ReopenIn,
    TeamIn,
    TeamPatch,
    ThreatIn,
    TransitionIn,
    VictimIn,
    VictimPatch,
    WorksiteIn,
    WorksitePatch,
)
from hanano.errors import invalid
from hanano.events import Role
from hanano.timestamps import Timestamp
from hanano.web.deps import ServiceDep, allow

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

# Who reads the operation's records: the readers the visibility rule gives its events.
OPS = readers(TeamRegistered, TaskAssigned, HospitalRegistered)
COMMAND: tuple[Role, ...] = ("admin", "dispatcher")
FIELD: tuple[Role, ...] = ("admin", "dispatcher", "team_leader")
Ops = Annotated[Principal, Depends(allow(*OPS))]
Command = Annotated[Principal, Depends(allow(*COMMAND))]
FieldOps = Annotated[Principal, Depends(allow(*FIELD))]


# --- teams --------------------------------------------------------------------------------


@router.get("/teams")
def teams_list(service: ServiceDep, _: Ops) -> dict[str, Any]:
    """Teams with duty, task and last position (stale after the configured minutes)."""
    items = api.list_teams(service)
    return {"teams": items, "count": len(items)}


@router.post("/teams", status_code=201)
async def teams_create(body: TeamIn, service: ServiceDep, who: Command) -> dict[str, Any]:
    return await api.register_team(service, who, **body.model_dump())


@router.get("/teams/{team_id}")
def teams_get(team_id: str, service: ServiceDep, _: Ops) -> dict[str, Any]:
    return api.get_team(service, team_id)


@router.patch("/teams/{team_id}")
async def teams_update(
    team_id: str, body: TeamPatch, service: ServiceDep, who: Command
) -> dict[str, Any]:
    return await api.update_team(service, who, team_id, **body.model_dump())


@router.post("/teams/{team_id}/duty")
async def teams_duty(
    team_id: str, body: DutyIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    await api.set_duty(service, who, team_id, body.duty, body.reason)
    return {"id": team_id, "duty": body.duty}


@router.post("/teams/{team_id}/position")
async def teams_position(
    team_id: str, body: PositionIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    """The team leader's phone reports where the team is; it also counts as a check-in."""
    await api.report_position(
        service, who, team_id, body.lat, body.lon, body.accuracy_m, body.observed_at
    )
    return {"id": team_id, "status": "recorded"}


@router.post("/teams/{team_id}/checkin")
async def teams_checkin(
    team_id: str, body: CheckInIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    task_id = await api.check_in(service, who, team_id, body.note)
    return {"id": team_id, "task_id": task_id, "status": "checked in"}


@router.post("/teams/{team_id}/checkin-alarm/acknowledge")
async def teams_checkin_alarm_acknowledge(
    team_id: str, body: AcknowledgeIn, service: ServiceDep, who: Command
) -> dict[str, str]:
    """A dispatcher answers for a team's check-in alarm: every room stops sounding it until
    another interval of silence."""
    task_id = await api.acknowledge_checkin_alarm(service, who, team_id, body.note)
    return {"id": team_id, "task_id": task_id, "status": "acknowledged"}


# --- hospitals ----------------------------------------------------------------------------


@router.get("/hospitals")
def hospitals_list(service: ServiceDep, _: Ops) -> dict[str, Any]:
    items = api.list_hospitals(service)
    return {"hospitals": items, "count": len(items)}


@router.post("/hospitals", status_code=201)
async def hospitals_create(body: HospitalIn, service: ServiceDep, who: Command) -> dict[str, str]:
    hospital_id = await api.register_hospital(service, who, **body.model_dump())
    return {"id": hospital_id, "status": body.status}


@router.post("/hospitals/{hospital_id}/status")
async def hospitals_status(
    hospital_id: str, body: HospitalStatusIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    await api.set_hospital_status(service, who, hospital_id, body.status, body.reason)
    return {"id": hospital_id, "status": body.status}


# --- tasks --------------------------------------------------------------------------------


@router.get("/tasks")
def tasks_list(
    service: ServiceDep, _: Ops, incident_id: str | None = None, active: bool = False
) -> dict[str, Any]:
    items = api.list_tasks(service, incident_id, active)
    return {"tasks": items, "count": len(items)}


@router.get("/tasks/{task_id}")
def tasks_get(task_id: str, service: ServiceDep, _: Ops) -> dict[str, Any]:
    return api.get_task(service, task_id)


@router.post("/tasks/{task_id}/transition")
async def tasks_transition(
    task_id: str, body: TransitionIn, service: ServiceDep, who: FieldOps
) -> dict[str, Any]:
    """Move a task on; an illegal step is refused with 409 and the legal ones."""
    return await api.move_task(service, who, task_id, body.state, body.reason, body.hospital_id)


@router.get("/stats/response")
def stats_response(service: ServiceDep, _: Ops, since: Timestamp | None = None) -> dict[str, Any]:
    """Response-time segments per incident, with their 50th and 90th percentiles."""
    return api.response_segments(service, since)


# --- recommendation and assignment --------------------------------------------------------


@router.get("/incidents/{incident_id}/recommendations")
def incident_recommendations(incident_id: str, service: ServiceDep, _: Command) -> dict[str, Any]:
    """Free teams ranked for this incident, each with its reason; or why none fits."""
    return api.recommend_teams(service, incident_id)


@router.post("/incidents/{incident_id}/assign", status_code=201)
async def incident_assign(
    incident_id: str, body: AssignIn, service: ServiceDep, who: Command
) -> dict[str, Any]:
    """Assign a team; the top recommendation is accepted, any other needs a reason."""
    return await api.assign(service, who, incident_id, body.team_id, body.reason)


@router.post("/recommendations/plan")
def recommendations_plan(body: PlanIn, service: ServiceDep, _: Command) -> dict[str, Any]:
    """One team per waiting incident, minimising severity-weighted travel time, beside
    nearest-first."""
    return api.plan(service, body.incident_ids)


@router.post("/alerts/preview")
def alerts_preview(body: AlertReachIn, service: ServiceDep, _: Command) -> dict[str, Any]:
    """Before an operator issues an alert: how many of the chosen zones it names and which
    teams on duty it would reach (their base, or their current task's site, lies in one of
    them). Writes nothing."""
    return api.alert_reach(service, body.zones)


# --- safety -------------------------------------------------------------------------------

THREAT_REPORTERS: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "spotter")
THREAT_READERS = readers(ThreatReported)


@router.post("/threats", status_code=201)
async def threats_create(
    body: ThreatIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*THREAT_REPORTERS))],
) -> dict[str, Any]:
    """A threat (point and radius, or zone): every team at a watched site it covers is ordered
    to pull back. Spotters and team leaders report what they see near them: a point within
    `field_threat_max_radius_m`; zones and wider areas are the operators'."""
    threat_id = await api.report_threat(
        service,
        who,
        lat=body.lat,
        lon=body.lon,
        radius_m=body.radius_m,
        polygon=body.polygon,
        reason=body.reason,
    )
    if who.role not in readers(dispatch_events.PullbackOrdered):
        # Which teams a threat pulled back would tell a spotter's token where rescuers work.
        return {"id": threat_id}
    return {"id": threat_id, "pullbacks": api.threat_pullbacks(service, threat_id)}


@router.get("/threats")
def threats_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*THREAT_READERS))]
) -> dict[str, Any]:
    return {"threats": api.list_threats(service)}


@router.get("/watches")
def watches_list(service: ServiceDep, _: Ops) -> dict[str, Any]:
    """Strike sites under double-tap watch now, and until when."""
    return {"watches": api.list_watches(service)}


@router.get("/pullbacks")
def pullbacks_list(service: ServiceDep, _: Ops, open: bool = False) -> dict[str, Any]:
    return {"pullbacks": api.list_pullbacks(service, open)}


@router.post("/pullbacks/{order_id}/acknowledge")
async def pullbacks_acknowledge(
    order_id: str, body: AcknowledgeIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    """The team leader confirms the team is pulling back."""
    await api.acknowledge(service, who, order_id, body.note)
    return {"id": order_id, "status": "acknowledged"}


@router.get("/board")
def safety_board(service: ServiceDep, _: Ops) -> dict[str, Any]:
    """Escalated and open pull-backs, check-in alarms and active watches."""
    return api.safety_board(service)


@router.get("/coverage")
def coverage_view(service: ServiceDep, _: Command) -> dict[str, Any]:
    """Each zone's nearest available team and travel time, the zones beyond
    `coverage_threshold_min`, and suggested moves of idle teams (suggestions only)."""
    return api.zone_coverage(service)


# --- roads --------------------------------------------------------------------------------


def _point(text: str, name: str) -> tuple[float, float]:
    try:
        lat, lon = (float(p) for p in text.split(","))
    except ValueError:
        raise invalid(name, "must be lat,lon") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise invalid(name, "out of range")
    return lat, lon


@router.get("/roads")
def roads_info(service: ServiceDep, _: Ops) -> dict[str, Any]:
    """The imported road graph (or none: straight line × detour factor) and open closures."""
    return api.road_network(service)


@router.get("/roads/route")
def roads_route(
    service: ServiceDep,
    _: Ops,
    start: Annotated[str, Query(alias="from", description="lat,lon")],
    end: Annotated[str, Query(alias="to", description="lat,lon")],
) -> dict[str, Any]:
    """The fastest open route between two places, avoiding closed segments."""
    return api.route(service, _point(start, "from"), _point(end, "to"))


@router.get("/roads/closures")
def roads_closures(service: ServiceDep, _: Ops, open: bool = True) -> dict[str, Any]:
    return {"closures": api.list_closures(service, open)}


@router.post("/roads/closures", status_code=201)
async def roads_close(body: ClosureIn, service: ServiceDep, who: FieldOps) -> dict[str, Any]:
    """Close the road segment nearest a point until it is reopened."""
    return await api.close_road(service, who, body.lat, body.lon, body.reason)


@router.post("/roads/closures/{closure_id}/reopen")
async def roads_reopen(
    closure_id: str, body: ReopenIn, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    await api.reopen_road(service, who, closure_id, body.reason)
    return {"id": closure_id, "status": "reopened"}


# --- worksites and victims ----------------------------------------------------------------


@router.get("/incidents/{incident_id}/worksites")
def worksites_list(incident_id: str, service: ServiceDep, _: Ops) -> dict[str, Any]:
    return {"worksites": api.list_worksites(service, incident_id)}


def _recorded(incident_id: str, done: Recorded) -> JSONResponse:
    """201 with the record's id and log index; a resend's answer says it repeats the first."""
    body = {"id": done.id, "incident_id": incident_id, "log_index": done.seq}
    headers = {"Idempotent-Replayed": "true"} if done.replayed else None
    return JSONResponse(body, status_code=201, headers=headers)


def _sent(body: WorksiteIn | VictimIn) -> dict[str, Any]:
    fields = body.model_dump(exclude={"id"})
    fields["client_id"] = None if body.id is None else str(body.id)
    return fields


@router.post("/incidents/{incident_id}/worksites", status_code=201)
async def worksites_open(
    incident_id: str, body: WorksiteIn, service: ServiceDep, who: FieldOps
) -> JSONResponse:
    """Open a worksite (INSARAG ID such as C-6, triage category A-F). With the sender's `id`,
    a resend answers as the first time (`Idempotent-Replayed: true`) and other content is 409."""
    done = await api.open_worksite(service, who, incident_id, **_sent(body))
    return _recorded(incident_id, done)


@router.post("/incidents/{incident_id}/worksites/{worksite_id}")
async def worksites_update(
    incident_id: str, worksite_id: str, body: WorksitePatch, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    await api.update_worksite(service, who, incident_id, worksite_id, **body.model_dump())
    return {"id": worksite_id, "incident_id": incident_id, "status": "updated"}


@router.get("/incidents/{incident_id}/victims")
def victims_list(incident_id: str, service: ServiceDep, _: Ops) -> dict[str, Any]:
    """Victims with their marks, status, triage and hospital; never their names."""
    return {"victims": api.list_victims(service, incident_id)}


@router.post("/incidents/{incident_id}/victims", status_code=201)
async def victims_record(
    incident_id: str, body: VictimIn, service: ServiceDep, who: FieldOps
) -> JSONResponse:
    """Record a victim; with the sender's `id`, a resend writes nothing, as for worksites."""
    done = await api.record_victim(service, who, incident_id, **_sent(body))
    return _recorded(incident_id, done)


@router.post("/victims/{victim_id}")
async def victims_update(
    victim_id: str, body: VictimPatch, service: ServiceDep, who: FieldOps
) -> dict[str, str]:
    await api.update_victim(service, who, victim_id, **body.model_dump())
    return {"id": victim_id, "status": "updated"}


@router.get("/victims/{victim_id}/identity")
def victims_identity(victim_id: str, service: ServiceDep, _: Command) -> dict[str, Any]:
    """A victim's name and identity, for admin and dispatcher only."""
    return api.victim_identity(service, victim_id)
