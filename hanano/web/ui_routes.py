"""The operations room: the page at `/`, its static files, login and logout, and users.

The page is static; everything it shows comes from the JSON API and the live stream, with the
session cookie standing in for a token.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.types import Scope

from hanano.access import api as access_api
from hanano.access.login_limit import LOGIN_COUNTERS, LoginLimiter
from hanano.access.logins import Logins, logins_for
from hanano.access.tokens import ANONYMOUS, Principal
from hanano.access.users import SESSION_TTL_S, SessionAuthority, create_user, hash_password
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.events import EVENT_TYPES, Role
from hanano.evidence.keys import purpose_key
from hanano.web.assets import Assets
from hanano.web.deps import ADMIN, ALL, ServiceDep, allow
from hanano.web.permissions import may_now
from hanano.web.problems import problem_response
from hanano.web.sessions import CSRF_HEADER, SESSION_COOKIE, current_session

PRELOGIN_COOKIE = "hanano_prelogin"
STATIC = Path(str(resources.files("hanano.web").joinpath("static")))
# The page loads nothing from elsewhere; this says so to the browser too.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

router = APIRouter(tags=["operations room"])
RETRY_AFTER = {"headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}}}


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=2, max_length=100)]
    role: Role
    password: Annotated[str, Field(min_length=1, max_length=1000)]
    team: Annotated[str | None, Field(min_length=1, max_length=40)] = None


def _clock(service: Runtime) -> dict[str, Any]:
    """The service's time and pace, so the page can tell 'time in state' on a replayed day, and
    the names of the stream's events, which an EventSource must subscribe to one by one."""
    speed = getattr(service.clock, "speed", 1.0)
    return {
        "now": service.clock.now().isoformat(),
        "speed": speed,
        "event_types": sorted(EVENT_TYPES),
    }


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


# What the room reads first (static/room/main.js and resources.js ask for exactly these). For a
# signed-in browser the page names them as preloads, so they are fetched with the page's own
# files instead of after them: on a slow link each round trip saved is 300 ms or more.
OPENING_PRELOADS = "".join(
    f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{path}">\n'
    for path in ("/api/v1/session", "/api/v1/opening")
)


@router.get("/", include_in_schema=True, response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The operations room (HTML); its data comes from the API below."""
    html, import_map = request.app.state.room_page
    if current_session(request) is not None:
        html = html.replace("<!-- reads -->\n", OPENING_PRELOADS, 1)
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": f"{CSP}; script-src 'self' {import_map}",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/api/v1/session")
def session_get(
    request: Request,
    response: Response,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ALL))],
) -> dict[str, Any]:
    """Who the page is logged in as and the session's CSRF token; when nobody is, a login token
    (double-submit: the login must send it back in `X-CSRF-Token`)."""
    found = current_session(request)
    # A Bearer token beside the cookie is who the API acts as, so it is who the page is told of.
    if found is not None and who.token_id in (ANONYMOUS.token_id, found.principal.token_id):
        return {
            "authenticated": True,
            "user_id": found.principal.token_id,
            "username": logins(request).username_of(found.principal.token_id),
            "role": found.principal.role,
            "team": found.principal.team,
            "csrf": found.csrf,
            "expires_at": found.expires_at,
            "clock": _clock(service),
            # What the user may do, as /me says: the page needs it before it offers anything,
            # and one round trip less matters on a field post's slow link.
            "may": may_now(service, request.app.state.action_roles, found.principal),
        }
    if who is not ANONYMOUS:
        return {
            "authenticated": True,
            "user_id": who.token_id,
            "role": who.role,
            "csrf": None,
            "expires_at": None,
            "clock": _clock(service),
            "may": may_now(service, request.app.state.action_roles, who),
        }
    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(32)
    _cookie(response, request, PRELOGIN_COOKIE, token, 3600)
    return {"authenticated": False, "csrf": token, "clock": _clock(service)}


def _too_many(retry_after: int, refused_for: str) -> Response:
    which = (
        "from this address" if refused_for == "address" else "for this username from this address"
    )
    problem = Problem(
        429,
        "Too Many Requests",
        f"too many failed logins {which}; try again in {retry_after} s",
    )
    refused = problem_response(problem)
    refused.headers["Retry-After"] = str(retry_after)
    return refused


@router.post(
    "/api/v1/session",
    response_model=None,
    responses={401: {}, 403: {}, 429: RETRY_AFTER},
)
async def session_login(
    body: Login, request: Request, response: Response, service: ServiceDep
) -> dict[str, Any] | Response:
    """Log in with a username and password; sets the session cookie. After two failed logins in
    a row the same username from the same address is refused (429 with Retry-After) for a wait
    that doubles with each further failure; an address that fails too often, whatever the
    usernames, is refused for a while. The username is never refused at other addresses."""
    expected = request.cookies.get(PRELOGIN_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Problem(403, "Forbidden", "missing or wrong X-CSRF-Token for this login")
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    verdict = await asyncio.to_thread(limiter.begin, body.username, address)
    if verdict.retry_after is not None:
        return _too_many(verdict.retry_after, verdict.refused_for)
    found = await asyncio.to_thread(logins(request).verify, body.username, body.password)
    if found is None:
        await asyncio.to_thread(limiter.failed, address, verdict)
        raise Problem(401, "Unauthorized", "unknown username or wrong password")
    await asyncio.to_thread(limiter.succeeded, body.username, address)
    user_id, role = found
    opened = await logins(request).open(user_id, role)
    _cookie(response, request, SESSION_COOKIE, opened.secret, SESSION_TTL_S)
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    session = service_sessions(request).authenticate(opened.secret)
    roles = request.app.state.action_roles
    # A team leader's answers read the incidents their team was sent to: off the event loop.
    may = await asyncio.to_thread(may_now, service, roles, session.principal) if session else {}
    return {
        "authenticated": True,
        "user_id": user_id,
        "username": logins(request).username_of(user_id),
        "role": role,
        # A team leader's own team: the page offers them what the API lets them do for it.
        "team": session.principal.team if session else None,
        "csrf": session.csrf if session else None,
        "expires_at": opened.expires_at.isoformat(),
        "clock": _clock(service),
        "may": may,
    }


@router.delete("/api/v1/session", status_code=204)
async def session_logout(
    request: Request,
    who: Annotated[Principal, Depends(allow(*ALL))],
) -> Response:
    """Log out: the session ends at once on this server and within `auth_cache_s` (2 s) on
    every other one on the store, in this browser and wherever its cookie went."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await logins(request).close(who.actor, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/users")
def users_list(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*ADMIN))]
) -> dict[str, Any]:
    items = access_api.list_users(service)
    return {"users": items, "count": len(items)}


@router.post("/api/v1/users", status_code=201)
async def users_create(
    body: UserIn, service: ServiceDep, who: Annotated[Principal, Depends(allow(*ADMIN))]
) -> dict[str, str | None]:
    """Create a person's login; the password is hashed with argon2id and never stored as is."""
    hashed = await asyncio.to_thread(hash_password, body.password)
    user_id = await service.sequencer.run(
        lambda tx: create_user(tx, who.actor, body.username, body.role, hashed, body.team)
    )
    return {
        "id": user_id,
        "username": body.username.strip().lower(),
        "role": body.role,
        "team": body.team.strip() if body.team else None,
    }


def service_sessions(request: Request) -> SessionAuthority:
    authority: SessionAuthority = request.app.state.sessions
    return authority


def logins(request: Request) -> Logins:
    """How people sign in here: to the log on a primary, to its own accounts on a mirror."""
    found: Logins = request.app.state.logins
    return found


class PageFiles(StaticFiles):
    """The pages' files. Not the pages: each is served by its route with its Content-Security-
    Policy and frame-ancestors; its template here would run without them, framed by any site."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.lower().endswith((".html", ".htm")):
            raise HTTPException(404)
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI, service: Runtime) -> Assets:
    """Add the page, its files, login and users to the app; the files' hashes are returned
    for the other pages that load some of them."""
    app.state.logins = logins_for(service)
    app.state.sessions = app.state.logins.authority
    app.state.login_limiter = LoginLimiter(
        service.engine, service.settings, purpose_key(service.evidence.key.signer, LOGIN_COUNTERS)
    )
    assets = Assets(STATIC)
    app.state.room_page = assets.page((STATIC / "index.html").read_text(encoding="utf-8"))
    app.include_router(router)
    app.mount("/static", PageFiles(directory=STATIC), name="static")
    return assets
