"""Sightings in; alerts out as JSON, CAP 1.2 and a CAP Atom feed, for anyone unless the operator
requires a token."""

import asyncio
import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hanano.access.tokens import ANONYMOUS, Principal
from hanano.access.visibility import field_readers, readers
from hanano.domain import Runtime
from hanano.errors import FieldError, Problem, invalid
from hanano.events import Role
from hanano.store.sequencer import Tx
from hanano.warning import api, manual, posts, sirens
from hanano.warning.events import (
    AirBaseRegistered,
    ObservationPostRegistered,
    SirenRegistered,
    TrackStarted,
    TrackUpdated,
)
from hanano.warning.foreign import Origin, import_cap, read_cap
from hanano.warning.sightings import SightingIn
from hanano.warning.signatures import TrustedCert, load_cert
from hanano.web.deps import ServiceDep, allow, principal
from hanano.web.problems import from_validation_error

router = APIRouter(prefix="/api/v1", tags=["warning"])

SIGHTING_ROLES: tuple[Role, ...] = ("admin", "dispatcher", "spotter")
TRACK_ROLES = readers(TrackStarted, TrackUpdated)
CAP_TYPE = "application/cap+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


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
    result = await api.report_sighting(service, who, sighting)
    body: dict[str, Any] = {
        "id": result.sighting_id,
        "status": "received",
        "log_index": result.seq,
        "alerts": result.alerts,
    }
    if who.role in TRACK_ROLES:
        # A spotter's token does not learn where its sighting put the aircraft: sent with
        # another post's id, that would place the post.
        track: dict[str, Any] = {"id": result.track_id, "decision": result.decision}
        if who.role in field_readers(TrackStarted, ("reason",)):
            track["reason"] = result.reason
        body["track"] = track
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(body, status_code=201, headers=headers)


FEED_ROLES: tuple[Role, ...] = ("admin", "dispatcher")
FOREIGN_PATH = "/api/v1/alerts/foreign"


def _foreign_body(raw: bytes, content_type: str) -> tuple[bytes, TrustedCert | None]:
    """The CAP document, and the partner's certificate if the JSON form gives one."""
    if not content_type.startswith("application/json"):
        return raw, None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: nesting deep enough to exhaust the parser's stack, e.g. 30,000 "[".
        raise invalid("body", "a JSON object with the CAP document in `cap`") from None
    if not isinstance(body, dict) or not isinstance(body.get("cap"), str):
        raise invalid("cap", "give the CAP document as a string")
    try:
        document = body["cap"].encode()
    except UnicodeEncodeError:
        raise invalid("cap", "not valid Unicode (it holds a lone surrogate)") from None
    cert = body.get("cert")
    return document, None if cert is None else load_cert(cert, "cert")


@router.post(
    "/alerts/foreign",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["cap"],
                        "properties": {
                            "cap": {"type": "string"},
                            "cert": {
                                "type": "string",
                                "description": "the partner's signing certificate (PEM): the "
                                "alert must carry an enveloped XML-DSig signature that "
                                "verifies with it",
                            },
                        },
                    }
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
    """Another agency's CAP 1.1 or 1.2 alert (as XML, or JSON {"cap": "...", "cert": "PEM"}),
    at most feed_max_bytes (5 MB by default): its zones become threats, which raise our own
    alerts. With `cert`, an alert whose signature, digest or certificate does not check out is
    recorded as refused and answered 422 naming `cap`, with the reason; nothing in it is
    acted on."""
    document, trust = _foreign_body(await request.body(), request.headers.get("content-type", ""))
    limit = service.settings.feed_max_bytes
    # Parsing and checking a signature over megabytes is work for a thread, not the event loop.
    reading = await asyncio.to_thread(
        read_cap, document, max_bytes=limit, trust=trust, now=service.clock.now()
    )
    outcome = await service.sequencer.run(
        lambda tx: import_cap(tx, who.actor, reading, origin=Origin("api"))
    )
    if outcome.refused is not None:
        raise Problem(
            422,
            "Alert refused",
            f"the alert was refused and recorded: {outcome.refused}",
            [FieldError("cap", outcome.refused)],
        )
    return {"imported": [asdict(i) for i in outcome.imported]}


@router.get("/tracks")
def tracks(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*TRACK_ROLES))]
) -> dict[str, Any]:
    """Live tracks with their estimated position, uncertainty and threatened zones (each with
    its probability of a strike within the warning horizon); and each threatened zone with the
    tracks' combined probability and the track behind it."""
    items, zones = api.tracks(service)
    return {"tracks": items, "count": len(items), "zones": zones}


@router.get("/alerts")
def alerts(
    service: ServiceDep,
    _: Annotated[Principal, Depends(alert_reader)],
    hours: Annotated[float, Query(gt=0, le=24 * 30)] = 24.0,
    outlines: Annotated[
        bool, Query(description="each zone's outline; false for names and P-codes only")
    ] = True,
) -> dict[str, Any]:
    """Active alerts and those of the last `hours`, newest first."""
    items = api.alerts(service, hours, outlines)
    return {"alerts": items, "count": len(items)}


@router.get(
    "/alerts.atom",
    response_class=Response,
    responses={200: {"content": {ATOM_TYPE: {"schema": {"type": "string"}}}}},
)
def alerts_atom(service: ServiceDep, _: Annotated[Principal, Depends(alert_reader)]) -> Response:
    """A CAP Atom feed: one entry per alert of the last day, linking its CAP document."""
    return Response(api.alerts_atom(service), media_type=ATOM_TYPE)


@router.get(
    "/alerts/{alert_id}.cap",
    response_class=Response,
    responses={200: {"content": {CAP_TYPE: {"schema": {"type": "string"}}}}},
)
def alert_cap(
    alert_id: str, service: ServiceDep, _: Annotated[Principal, Depends(alert_reader)]
) -> Response:
    """One alert as a CAP 1.2 document."""
    return Response(api.alert_cap(service, alert_id), media_type=CAP_TYPE)


# --- operators' alerts --------------------------------------------------------------------

ALERT_ROLES: tuple[Role, ...] = ("admin", "dispatcher")


def _parsed(model: Any, raw: bytes) -> Any:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


@router.post(
    "/alerts",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": manual.ManualAlertIn.model_json_schema()}},
        }
    },
)
async def issue_alert(
    request: Request,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ALERT_ROLES))],
) -> JSONResponse:
    """An operator's alert for zones (P-codes) at watch, warning or imminent; it holds them until
    an operator cancels or clears it, or it expires. 409 if a zone already stands that high."""
    body = _parsed(manual.ManualAlertIn, await request.body())
    alert = await api.issue_alert(service, who, body)
    alert_id = alert["alert_id"]
    return JSONResponse(
        {"id": alert_id, "alert": alert},
        status_code=201,
        headers={"Location": f"/api/v1/alerts/{alert_id}.cap"},
    )


async def _end(
    request: Request,
    service: Runtime,
    who: Principal,
    alert_id: str,
    kind: Literal["cancel", "all_clear"],
) -> JSONResponse:
    body = _parsed(manual.EndAlertIn, await request.body())
    result, alert = await api.end_alert(service, who, alert_id, kind, body.reason)
    return JSONResponse({"id": result["alert_id"], "alert": alert, **result}, status_code=201)


END_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": manual.EndAlertIn.model_json_schema()}},
    }
}


@router.post("/alerts/{alert_id}/cancel", status_code=201, openapi_extra=END_BODY)
async def cancel_alert(
    alert_id: str,
    request: Request,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ALERT_ROLES))],
) -> JSONResponse:
    """Cancel an alert in force (CAP msgType Cancel, citing it); a reason is required. Zones a
    live threat still holds are re-issued at that level rather than left silent."""
    return await _end(request, service, who, alert_id, "cancel")


@router.post("/alerts/{alert_id}/all-clear", status_code=201, openapi_extra=END_BODY)
async def clear_alert(
    alert_id: str,
    request: Request,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ALERT_ROLES))],
) -> JSONResponse:
    """The all-clear for an alert's zones, citing it; a reason is required. Zones a live threat
    still holds are re-issued at that level rather than cleared."""
    return await _end(request, service, who, alert_id, "all_clear")


# --- observation posts, air bases, sirens -------------------------------------------------

PLACE_WRITE: tuple[Role, ...] = ("admin", "dispatcher")
# Spotters need the ids of posts to report from; only command sees where the posts are.
POST_READ = readers(ObservationPostRegistered)
NETWORK_READ = readers(AirBaseRegistered, SirenRegistered)
PlaceId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: PlaceId
    name: Name
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class BaseIn(PostIn):
    name_ar: Name


class SirenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: PlaceId
    pcodes: Annotated[list[str], Field(min_length=1, max_length=500)]


@router.get("/observation-posts")
def observation_posts(
    service: ServiceDep, who: Annotated[Principal, Depends(allow(*POST_READ))]
) -> dict[str, Any]:
    """Observation posts; names and positions for admin and dispatcher only (posts are
    targets); a spotter sees only the id of the post it reports from."""
    items = api.observation_posts(service, who)
    return {"observation_posts": items, "count": len(items)}


@router.post("/observation-posts", status_code=201)
async def observation_post_create(
    body: PostIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*PLACE_WRITE))],
) -> dict[str, Any]:
    """Register an observation post; its name and position enter the log sealed. 409 if the
    id is taken."""
    await service.sequencer.run(
        lambda tx: posts.register_post(tx, who.actor, body.id, body.name, body.lat, body.lon)
    )
    return {"id": body.id}


@router.get("/air-bases")
def air_bases(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*NETWORK_READ))]
) -> dict[str, Any]:
    """Known air bases, where sorties start (public knowledge, nothing sealed)."""
    items = api.air_bases(service)
    return {"air_bases": items, "count": len(items)}


@router.post("/air-bases", status_code=201)
async def air_base_create(
    body: BaseIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*PLACE_WRITE))],
) -> dict[str, Any]:
    """Register a known air base. 409 if the id is taken."""
    await service.sequencer.run(
        lambda tx: posts.register_base(
            tx, who.actor, body.id, body.name, body.name_ar, body.lat, body.lon
        )
    )
    return {"id": body.id}


@router.get("/sirens")
def sirens_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*NETWORK_READ))]
) -> dict[str, Any]:
    """Sirens, the zones each sounds for, and whether it sounds now."""
    items = api.siren_list(service)
    return {"sirens": items, "count": len(items)}


@router.post("/sirens", status_code=201)
async def siren_create(
    body: SirenIn,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*PLACE_WRITE))],
) -> dict[str, Any]:
    """Map a siren to the zones it sounds for; posting it again replaces its zones."""

    def command(tx: Tx) -> bool:
        existed = sirens.siren_exists(tx.conn, body.id)
        sirens.register_siren(tx, who.actor, body.id, body.pcodes)
        return existed

    replaced = await service.sequencer.run(command)
    return {"id": body.id, "pcodes": sorted(set(body.pcodes)), "replaced": replaced}
