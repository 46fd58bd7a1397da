"""The HTTP API under /api/v1. It knows requests and roles; the domain knows the rest."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanano.errors import FieldError, Problem
from hanano.evidence import media_routes
from hanano.field import openrosa
from hanano.service import Service
from hanano.warning.routes import FOREIGN_PATH
from hanano.web import docs, field_routes, map_routes, openapi, opening, system_routes, ui_routes
from hanano.web.assets import Assets, HashedAssetServer
from hanano.web.client_address import ClientAddress
from hanano.web.input_guard import InputGuard
from hanano.web.permissions import action_roles, reads_only
from hanano.web.problems import (
    handle_http,
    handle_problem,
    handle_request_validation,
    handle_store_unreachable,
    problem_response,
)
from hanano.web.stream import Broadcaster

MAX_BODY = 64 * 1024


def _too_large(limit: int) -> Problem:
    message = f"exceeds {limit // 1024} KiB"
    return Problem(
        413, "Body too large", f"the request body {message}", [FieldError("body", message)]
    )


def _credentialed(scope: Scope) -> bool:
    """Whether the request carries a token or a session: only such requests may send a large
    body (whether the credential holds is for the route to say). Anyone else is held to the
    ordinary limit, so an anonymous client cannot make the server read megabytes."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and b"hanano_session=" in value):
            return True
    return False


class BodyLimit:
    """Refuse bodies over the limit before any handler sees them.

    Paths in `large` (media uploads) have their own limit and are streamed, not buffered: the
    handler reads them as they arrive and is stopped with a 413 once they pass the limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY,
        large: dict[str, int] | None = None,
        openrosa_limit: int = 0,
    ) -> None:
        self.app = app
        self.limit = limit
        self.large = large or {}
        self.openrosa_limit = openrosa_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        large = self.large.get(scope["path"])
        if large is not None and _credentialed(scope):
            await self._stream(scope, receive, send, large)
            return
        if self.openrosa_limit and _is_openrosa_submission(scope["path"]):
            # The token is in the address: the route checks it before it reads the body, and
            # answers an oversized one itself, as Collect expects (413: split the submission).
            await self._stream(scope, receive, send, self.openrosa_limit, check_length=False)
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
                await problem_response(_too_large(self.limit))(scope, receive, send)
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

    async def _stream(
        self, scope: Scope, receive: Receive, send: Send, limit: int, check_length: bool = True
    ) -> None:
        for name, value in scope.get("headers", []):
            if (
                check_length
                and name == b"content-length"
                and value.isdigit()
                and int(value) > limit
            ):
                await problem_response(_too_large(limit))(scope, receive, send)
                return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                raise _too_large(limit)
            return message

        await self.app(scope, counted, send)


def _is_openrosa_submission(path: str) -> bool:
    head, _, rest = path.partition(openrosa.PREFIX + "/")
    return head == "" and rest.count("/") == 1 and rest.endswith("/submission")


def _lifespan(
    service: Service, broadcaster: Broadcaster, sweep_interval_s: float
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """Start each domain's workers and the periodic sweep with the app; stop them with it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(sweep_interval_s)
                await asyncio.to_thread(broadcaster.sweep)
                await asyncio.to_thread(service.tick)

        # A mirror runs no worker: it must not push the primary's checkpoints to witnesses
        # nor send its alerts a second time.
        workers = app.state.workers = {
            d.name: d.start(service, broadcaster)
            for d in service.domains
            if d.start and not service.sequencer.read_only
        }
        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()
            for worker in workers.values():
                await asyncio.to_thread(worker.stop)

    return lifespan


def build_app(service: Service, *, sweep_interval_s: float = 10.0) -> FastAPI:
    """The ASGI application over a started service."""
    broadcaster = Broadcaster(service)
    service.sequencer.add_listener(broadcaster.on_events)

    app = FastAPI(
        title="hanano",
        version="0.1.0",
        description="Operations platform for civil defence rescue teams.",
        lifespan=_lifespan(service, broadcaster, sweep_interval_s),
        # /docs is served from vendored files (hanano.web.docs), never from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.broadcaster = broadcaster
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(HTTPException, handle_http)
    app.add_exception_handler(OperationalError, handle_store_unreachable)
    app.add_exception_handler(InterfaceError, handle_store_unreachable)
    routers = (
        system_routes.router,
        *(r for d in service.domains for r in d.routers),
        map_routes.router,
        opening.router,
    )
    for router in routers:
        app.include_router(router)
    assets = ui_routes.install(app, service)
    field_routes.install(app, assets)
    docs.install(app)
    openapi.install(app, (*routers, ui_routes.router, field_routes.router))
    # What `/me` tells each caller they may do, read once from the routes' own gates.
    roles = action_roles((*routers, ui_routes.router))
    app.state.action_roles = reads_only(roles) if service.sequencer.read_only else roles
    _add_middleware(app, service, assets)
    return app


def _add_middleware(app: FastAPI, service: Service, assets: Assets) -> None:
    # The last added runs first: the client's address is settled, then bodies are bounded, then
    # the guard reads them. A foreign CAP document may reach feed_max_bytes; in the JSON form its
    # escapes can make the body up to twice that (its own limit is checked exactly when read).
    app.add_middleware(InputGuard, openapi=app.openapi)
    large = {
        media_routes.MEDIA_PATH: service.settings.media_max_bytes,
        FOREIGN_PATH: 2 * service.settings.feed_max_bytes,
    }
    app.add_middleware(BodyLimit, large=large, openrosa_limit=service.settings.openrosa_max_bytes)
    app.add_middleware(ClientAddress, trusted_proxies=service.settings.trusted_proxies)
    # Outermost: every answer over 1 KiB is gzipped for a client that accepts it, except the
    # live stream (text/event-stream), which Starlette's middleware passes through unbuffered.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    # Before all of it: the hashed static files, from memory.
    app.add_middleware(HashedAssetServer, assets=assets)
