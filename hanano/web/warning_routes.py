"""Sightings in; alerts out as JSON, CAP 1.2 and a CAP Atom feed, for anyone unless the operator
requires a token."""

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from hanano.access.tokens import ANONYMOUS, Principal
from hanano.errors import Problem, invalid
from hanano.events import Role
from hanano.warning import views
from hanano.warning.alerts import get_alert, list_alerts
from hanano.warning.cap import to_atom
from hanano.warning.feeds import import_cap
from hanano.warning.sightings import SightingIn, check_sighting, report_sighting
from hanano.web.deps import ServiceDep, allow, principal
from hanano.web.problems import from_validation_error

router = APIRouter(prefix="/api/v1", tags=["warning"])

SIGHTING_ROLES: tuple[Role, ...] = ("admin", "dispatcher", "spotter")
TRACK_ROLES: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "spotter")
CAP_TYPE = "application/cap+xml; charset=utf-8"


def alert_reader(service: ServiceDep, who: Annotated[Principal, Depends(principal)]) -> Principal:
    """Alerts are for the public: no token needed, unless the operator requires one."""
    if service.settings.require_token_for_alerts and who is ANONYMOUS:
        raise Problem(401, "Unauthorized", "this server requires a token for alerts")
    return who


@router.post(
    "/sightings",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SightingIn.model_json_schema()}},
        }
    },
)
async def post_sighting(
    request: Request,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*SIGHTING_ROLES))],
) -> JSONResponse:
    """A sighting from a spotter or a sensor; 201 once it, its track and alerts are durable."""
    try:
        sighting = SightingIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    check_sighting(sighting, service.clock.now(), service.settings)
    result = await service.sequencer.run(lambda tx: report_sighting(tx, who.actor, sighting))
    body: dict[str, Any] = {
        "id": result.sighting_id,
        "track": {"id": result.track_id, "decision": result.decision, "reason": result.reason},
        "alerts": result.alerts,
    }
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(body, status_code=201, headers=headers)


FEED_ROLES: tuple[Role, ...] = ("admin", "dispatcher")


@router.post(
    "/alerts/foreign",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"type": "object", "properties": {"cap": {"type": "string"}}}
                },
            },
        }
    },
)
async def post_foreign_cap(
    request: Request,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*FEED_ROLES))],
) -> dict[str, Any]:
    """Another agency's CAP 1.1 or 1.2 alert (as XML, or JSON {"cap": "..."}): its zones
    become threats, which raise our own alerts."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            document = str(json.loads(raw)["cap"]).encode()
        except (ValueError, KeyError, TypeError):
            raise invalid("cap", "give the CAP document as a string") from None
    else:
        document = raw
    imported = await service.sequencer.run(lambda tx: import_cap(tx, who.actor, document))
    return {"imported": [asdict(i) for i in imported]}


@router.get("/tracks")
def tracks(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*TRACK_ROLES))]
) -> dict[str, Any]:
    """Live tracks with their estimated position, uncertainty and threatened zones."""
    with service.engine.connect() as conn:
        items = views.live_tracks_view(conn)
    return {"tracks": items, "count": len(items)}


@router.get("/alerts")
def alerts(
    service: ServiceDep,
    _: Annotated[Principal, Depends(alert_reader)],
    hours: Annotated[float, Query(gt=0, le=24 * 30)] = 24.0,
) -> dict[str, Any]:
    """Active alerts and those of the last `hours`, newest first."""
    with service.engine.connect() as conn:
        items = list_alerts(conn, service.clock.now(), hours)
    return {"alerts": items, "count": len(items)}


@router.get("/alerts.atom")
def alerts_atom(service: ServiceDep, _: Annotated[Principal, Depends(alert_reader)]) -> Response:
    """A CAP Atom feed: one entry per alert of the last day, linking its CAP document."""
    now = service.clock.now()
    with service.engine.connect() as conn:
        items = list_alerts(conn, now)
    settings = service.settings
    body = to_atom(
        items,
        settings.public_url.rstrip("/"),
        items[0]["sent"] if items else now.isoformat(),
        f"hanano alerts: {settings.city}",
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/alerts/{alert_id}.cap")
def alert_cap(
    alert_id: str, service: ServiceDep, _: Annotated[Principal, Depends(alert_reader)]
) -> Response:
    """One alert as a CAP 1.2 document."""
    with service.engine.connect() as conn:
        alert = get_alert(conn, alert_id)
    return Response(views.cap_document(alert, service.settings), media_type=CAP_TYPE)
