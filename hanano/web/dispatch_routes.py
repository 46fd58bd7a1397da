"""Teams, hospitals, tasks, recommendations, worksites, victims, roads and rescuers' safety.

Team positions, victims' identities and the places where rescuers work are for operational
roles only: no route here admits the reporter or public role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hanano.access.tokens import Principal
from hanano.dispatch import hospitals, recommend, tasks, teams
from hanano.dispatch.common import Capability, Duty
from hanano.dispatch.travel import router_for
from hanano.errors import invalid
from hanano.events import Role
from hanano.store.sequencer import Tx
from hanano.web.deps import ServiceDep, allow

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

OPS: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "auditor")
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


class TeamPatch(Strict):
    crew: Annotated[int | None, Field(ge=0, le=100)] = None
    min_crew: Annotated[int | None, Field(ge=1, le=100)] = None
    capabilities: list[Capability] | None = None
    vehicle: Annotated[str | None, Field(max_length=200)] = None
    sector: Annotated[str | None, Field(min_length=1, max_length=20)] = None
    leader: Annotated[str | None, Field(max_length=200)] = None


class DutyIn(Strict):
    duty: Duty
    reason: Reason = ""


class PositionIn(Strict):
    lat: Lat
    lon: Lon
    accuracy_m: Annotated[float | None, Field(ge=0, le=100_000)] = None
    observed_at: datetime | None = None


class CheckInIn(Strict):
    note: Reason = ""


class HospitalIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: hospitals.HospitalKind = "hospital"
    lat: Lat
    lon: Lon
    status: hospitals.HospitalStatus = "open"


class HospitalStatusIn(Strict):
    status: hospitals.HospitalStatus
    reason: Reason = ""


class TransitionIn(Strict):
    state: tasks.TaskState
    reason: Reason = ""
    hospital_id: Annotated[str | None, Field(max_length=40)] = None


def _when(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise invalid(name, "must carry a UTC offset")
    return value


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
    observed = _when(body.observed_at, "observed_at")
    await service.sequencer.run(
        lambda tx: teams.report_position(
            tx, who.actor, team_id, body.lat, body.lon, body.accuracy_m, observed
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
    await service.sequencer.run(
        lambda tx: tasks.transition(
            tx, who.actor, task_id, body.state, body.reason, body.hospital_id
        )
    )
    with service.engine.connect() as conn:
        return tasks.task_view(tasks.task_row(conn, task_id))


@router.get("/stats/response")
def stats_response(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
    since: datetime | None = None,
) -> dict[str, Any]:
    """Response-time segments per incident, with their 50th and 90th percentiles."""
    with service.engine.connect() as conn:
        return tasks.response_segments(conn, _when(since, "since"))


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
