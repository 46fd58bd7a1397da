"""Reports in; incidents out, as each role may see them."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hanano.access.tokens import Principal
from hanano.errors import invalid
from hanano.events import IncidentStatus
from hanano.intake import api
from hanano.intake.model import ReportIn
from hanano.intake.views import IncidentFilter, is_restricted
from hanano.timestamps import Timestamp
from hanano.web.deps import ALL, DISPATCH, INCIDENT_STATUS, REPORTING, ServiceDep, allow
from hanano.web.problems import from_validation_error

router = APIRouter(prefix="/api/v1", tags=["intake"])


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    status: IncidentStatus
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    into: Annotated[str, Field(min_length=1, max_length=20)]
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    report_ids: Annotated[list[str], Field(min_length=1, max_length=1000)]
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.post(
    "/reports",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ReportIn.model_json_schema()}},
        }
    },
)
async def post_report(
    request: Request, service: ServiceDep, who: Annotated[Principal, Depends(allow(*REPORTING))]
) -> JSONResponse:
    """Store a report and link it to its incident; 201 only once it is durable."""
    raw = await request.body()
    try:
        report = ReportIn.model_validate_json(raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    result = await api.submit_report(service, who, report)
    # The log index lets the sender ask for a receipt later, as OpenRosa and SMS answers do.
    # It tells a reporter nothing the public checkpoint (the log's size) does not.
    body: dict[str, Any] = {"id": result.report_id, "status": "received", "log_index": result.seq}
    if not is_restricted(who.role):
        # Only the roles that read incidents learn which one the report joined: probing with
        # reports from several points would otherwise reveal where rescuers are working.
        body["incident"] = {
            "id": result.incident_id,
            "decision": result.decision,
            "reason": result.reason,
        }
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(body, status_code=201, headers=headers)


@router.get("/incidents")
def incidents(
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ALL))],
    status: IncidentStatus | None = None,
    since: Timestamp | None = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
    neighbourhood: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Incidents, most severe and newest first."""
    flt = IncidentFilter(status, since, parse_bbox(bbox), neighbourhood, limit)
    items = api.list_incidents(service, who, flt)
    return {"incidents": items, "count": len(items)}


@router.get("/incidents/{incident_id}")
def incident(
    incident_id: str, service: ServiceDep, who: Annotated[Principal, Depends(allow(*ALL))]
) -> dict[str, Any]:
    """One incident, with its reports for the roles that may see them."""
    return api.get_incident(service, who, incident_id)


@router.post("/incidents/{incident_id}/status")
async def incident_status(
    incident_id: str,
    body: StatusChange,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*INCIDENT_STATUS))],
) -> dict[str, str]:
    await api.change_status(service, who, incident_id, body.status, body.reason)
    return {"id": incident_id, "status": body.status}


@router.post("/incidents/{incident_id}/merge")
async def incident_merge(
    incident_id: str,
    body: Merge,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*DISPATCH))],
) -> dict[str, str]:
    await api.merge_incidents(service, who, incident_id, body.into, body.reason)
    return {"id": incident_id, "merged_into": body.into}


@router.post("/incidents/{incident_id}/split", status_code=201)
async def incident_split(
    incident_id: str,
    body: Split,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*DISPATCH))],
) -> dict[str, str]:
    new_id = await api.split_incident(service, who, incident_id, body.report_ids, body.reason)
    return {"id": incident_id, "new_incident_id": new_id}


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(p) for p in text.split(","))
    except ValueError:
        raise invalid("bbox", "must be four numbers: west,south,east,north") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise invalid("bbox", "must satisfy west <= east and south <= north, within range")
    return west, south, east, north
