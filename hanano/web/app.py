"""The HTTP API under /api/v1. It knows requests and roles; the domain knows the rest."""


import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanano.access.tokens import ANONYMOUS, Principal, create_token, revoke_token
from hanano.errors import Problem, invalid
from hanano.events import ROLES, IncidentStatus, Role
from hanano.intake import commands
from hanano.intake.model import ReportIn
from hanano.intake.views import IncidentFilter, get_incident, list_incidents
from hanano.service import Service
from hanano.store import schema
from hanano.web.problems import (
    from_validation_error,
    handle_http,
    handle_problem,
    handle_request_validation,
    problem_response,
)
from hanano.web.stream import Broadcaster, sse_stream

MAX_BODY = 64 * 1024

ALL: tuple[Role, ...] = ROLES
REPORTING: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "spotter", "reporter")
INCIDENT_STATUS: tuple[Role, ...] = ("admin", "dispatcher", "team_leader")
DISPATCH: tuple[Role, ...] = ("admin", "dispatcher")
AUDIT: tuple[Role, ...] = ("admin", "auditor")
ADMIN: tuple[Role, ...] = ("admin",)


class BodyLimit:
    """Refuse bodies over the limit before any handler sees them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                response = problem_response(Problem(
                    413, "Body too large",
                    f"the request body exceeds {self.limit // 1024} KiB",
                    [],
                ))
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


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


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Role
    name: Annotated[str | None, Field(max_length=200)] = None


class Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


def build_app(service: Service, *, sweep_interval_s: float = 10.0) -> FastAPI:
    """The ASGI application over a started service."""
    broadcaster = Broadcaster(service)
    service.sequencer.add_listener(broadcaster.on_events)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(sweep_interval_s)
                await asyncio.to_thread(broadcaster.sweep)

        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()

    app = FastAPI(
        title="hanano",
        version="0.1.0",
        description="Operations platform for civil defence rescue teams.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.broadcaster = broadcaster
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(HTTPException, handle_http)
    app.add_middleware(BodyLimit)

    def principal(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header is None:
            return ANONYMOUS
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Problem(401, "Unauthorized", "use Authorization: Bearer TOKEN")
        found = service.tokens.authenticate(secret.strip())
        if found is None:
            raise Problem(401, "Unauthorized", "unknown or revoked token")
        return found

    def allow(*roles: Role) -> Callable[..., Principal]:
        def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if who.role not in roles:
                raise Problem(403, "Forbidden",
                              f"the {who.role} role may not do this; allowed: {', '.join(roles)}")
            return who

        return check

    def now() -> datetime:
        return service.clock.now()

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "backend": service.engine.dialect.name}

    @app.get("/api/v1/me", tags=["access"])
    def me(who: Annotated[Principal, Depends(allow(*ALL))]) -> dict[str, str]:
        return {"token_id": who.token_id, "role": who.role}

    @app.post(
        "/api/v1/reports",
        status_code=201,
        tags=["intake"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ReportIn.model_json_schema()}},
            }
        },
    )
    async def post_report(
        request: Request, who: Annotated[Principal, Depends(allow(*REPORTING))]
    ) -> JSONResponse:
        raw = await request.body()
        try:
            report = ReportIn.model_validate_json(raw)
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        city = service.city.get()
        commands.check_report(report, service.clock.now(), city, service.settings)
        result = await service.sequencer.run(
            lambda tx: commands.submit_report(tx, who.actor, report, city, service.settings)
        )
        body: dict[str, Any] = {
            "id": result.report_id,
            "incident": {"id": result.incident_id, "decision": result.decision,
                         "reason": result.reason},
        }
        headers = {"Idempotent-Replayed": "true"} if result.replayed else None
        return JSONResponse(body, status_code=201, headers=headers)

    @app.get("/api/v1/incidents", tags=["intake"])
    def incidents(
        who: Annotated[Principal, Depends(allow(*ALL))],
        status: IncidentStatus | None = None,
        since: datetime | None = None,
        bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
        neighbourhood: str | None = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> dict[str, Any]:
        if since is not None and since.tzinfo is None:
            raise invalid("since", "must carry a UTC offset")
        flt = IncidentFilter(status, since, _parse_bbox(bbox), neighbourhood, limit)
        with service.engine.connect() as conn:
            items = list_incidents(conn, who.role, flt, now(), service.settings.public_delay_min)
        return {"incidents": items, "count": len(items)}

    @app.get("/api/v1/incidents/{incident_id}", tags=["intake"])
    def incident(
        incident_id: str, who: Annotated[Principal, Depends(allow(*ALL))]
    ) -> dict[str, Any]:
        with service.engine.connect() as conn:
            return get_incident(conn, who.role, incident_id, now(),
                                service.settings.public_delay_min)

    @app.post("/api/v1/incidents/{incident_id}/status", tags=["intake"])
    async def incident_status(
        incident_id: str, body: StatusChange,
        who: Annotated[Principal, Depends(allow(*INCIDENT_STATUS))],
    ) -> dict[str, str]:
        await service.sequencer.run(
            lambda tx: commands.change_status(tx, who.actor, incident_id, body.status,
                                              body.reason))
        return {"id": incident_id, "status": body.status}

    @app.post("/api/v1/incidents/{incident_id}/merge", tags=["intake"])
    async def incident_merge(
        incident_id: str, body: Merge, who: Annotated[Principal, Depends(allow(*DISPATCH))]
    ) -> dict[str, str]:
        await service.sequencer.run(
            lambda tx: commands.merge_incidents(tx, who.actor, incident_id, body.into,
                                                body.reason))
        return {"id": incident_id, "merged_into": body.into}

    @app.post("/api/v1/incidents/{incident_id}/split", status_code=201, tags=["intake"])
    async def incident_split(
        incident_id: str, body: Split, who: Annotated[Principal, Depends(allow(*DISPATCH))]
    ) -> dict[str, str]:
        new_id = await service.sequencer.run(
            lambda tx: commands.split_incident(tx, who.actor, incident_id, body.report_ids,
                                               body.reason))
        return {"id": incident_id, "new_incident_id": new_id}

    @app.get("/api/v1/neighbourhoods", tags=["city"])
    def neighbourhoods(_: Annotated[Principal, Depends(allow(*ALL))]) -> dict[str, Any]:
        with service.engine.connect() as conn:
            rows = conn.execute(select(schema.neighbourhoods)).all()
        import json

        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": r.pcode,
                    "geometry": json.loads(r.geometry),
                    "properties": {"pcode": r.pcode, "name_en": r.name_en, "name_ar": r.name_ar},
                }
                for r in rows
            ],
        }

    @app.post("/api/v1/tokens", status_code=201, tags=["access"])
    async def tokens_create(
        body: TokenRequest, who: Annotated[Principal, Depends(allow(*ADMIN))]
    ) -> dict[str, str]:
        issued = await service.sequencer.run(
            lambda tx: create_token(tx, who.actor, body.role, body.name))
        return {"token_id": issued.token_id, "role": issued.role, "token": issued.secret}

    @app.post("/api/v1/tokens/{token_id}/revoke", tags=["access"])
    async def tokens_revoke(
        token_id: str, body: Revoke, who: Annotated[Principal, Depends(allow(*ADMIN))]
    ) -> dict[str, str]:
        await service.sequencer.run(lambda tx: revoke_token(tx, who.actor, token_id, body.reason))
        return {"token_id": token_id, "status": "revoked"}

    @app.get("/api/v1/events", tags=["evidence"])
    def events(
        _: Annotated[Principal, Depends(allow(*AUDIT))],
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> dict[str, Any]:
        with service.engine.connect() as conn:
            rows = conn.execute(
                select(schema.events).where(schema.events.c.seq > after)
                .order_by(schema.events.c.seq).limit(limit)
            ).all()
        return {"events": [
            {"seq": r.seq, "entry": bytes(r.canonical).decode(),
             "leaf_hash": bytes(r.leaf_hash).hex()} for r in rows
        ]}

    @app.get("/api/v1/stream", tags=["live"])
    async def stream(who: Annotated[Principal, Depends(allow(*ALL))]) -> StreamingResponse:
        sub = broadcaster.subscribe(who.role)
        return StreamingResponse(
            sse_stream(broadcaster, sub),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return app


def _parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(p) for p in text.split(","))
    except ValueError:
        raise invalid("bbox", "must be four numbers: west,south,east,north") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise invalid("bbox", "must satisfy west <= east and south <= north, within range")
    return west, south, east, north
