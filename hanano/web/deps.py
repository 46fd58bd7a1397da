"""Request dependencies shared by the routers: the service, the caller, the role check."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from hanano.access.tokens import ANONYMOUS, Principal
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.events import ROLES, Role
from hanano.web.sessions import SESSION_COOKIE, session_principal

ALL: tuple[Role, ...] = ROLES
REPORTING: tuple[Role, ...] = ("admin", "dispatcher", "team_leader", "spotter", "reporter")
INCIDENT_STATUS: tuple[Role, ...] = ("admin", "dispatcher", "team_leader")
DISPATCH: tuple[Role, ...] = ("admin", "dispatcher")
AUDIT: tuple[Role, ...] = ("admin", "auditor")
ADMIN: tuple[Role, ...] = ("admin",)
# The log's entries as hashed (tlog-tiles entry bundles) go to a mirror's token alone: not even
# an administrator's token, so a mirror is always a token issued for that purpose.
MIRROR: tuple[Role, ...] = ("mirror",)


async def get_service(request: Request) -> Runtime:
    service: Runtime = request.app.state.service
    return service


ServiceDep = Annotated[Runtime, Depends(get_service)]


async def principal(request: Request, service: ServiceDep) -> Principal:
    """The caller: a Bearer token, else the operations room's session cookie, else the public
    role; a bad token or an ended session is a 401.

    Async on purpose: a token seen in the last `auth_cache_s` is answered from memory, and a
    sync dependency would cost a thread hop on every request; only a lookup in the store takes
    one, so the event loop never waits on the database.
    """
    header = request.headers.get("authorization")
    if header is None:
        cookie = request.cookies.get(SESSION_COOKIE)
        return ANONYMOUS if cookie is None else await session_principal(request, cookie)
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "Unauthorized", "use Authorization: Bearer TOKEN")
    secret = secret.strip()
    found = service.tokens.remembered(secret) or await asyncio.to_thread(
        service.tokens.authenticate, secret
    )
    if found is None:
        raise Problem(401, "Unauthorized", service.tokens.unknown)
    return found


def still_holds(request: Request, who: Principal) -> Callable[[], Awaitable[bool]] | None:
    """For a response that outlives its request (the stream): whether the credentials it was
    opened with still name the same caller; None for the public, who has none to lose."""
    if who is ANONYMOUS:
        return None

    async def check() -> bool:
        try:
            return await principal(request, request.app.state.service) == who
        except Problem:
            return False

    return check


def allow(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only the given roles."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise Problem(
                403,
                "Forbidden",
                f"the {who.role} role may not do this; allowed: {', '.join(roles)}",
            )
        return who

    # The roles, kept on the check, let the page be told what a caller may do (permissions.py)
    # from the very gate each route applies.
    check.roles = roles  # type: ignore[attr-defined]
    return check


def allowed_roles(call: object) -> tuple[Role, ...] | None:
    """The roles an `allow(...)` dependency admits; None for any other callable."""
    roles: tuple[Role, ...] | None = getattr(call, "roles", None)
    return roles
