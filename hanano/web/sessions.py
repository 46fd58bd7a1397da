"""The session cookie as a second way to authenticate, beside Bearer tokens.

The cookie is HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot make the
browser send it) and Secure when served over https. Every state-changing request that rides on
it must also carry the session's synchronizer token in `X-CSRF-Token`; the page learns it from
`GET /api/v1/session`. Requests with a Bearer token never carry cookies' authority, so they
need no such token.
"""

from __future__ import annotations

import asyncio
import hmac

from fastapi import Request

from hanano.access.tokens import Principal
from hanano.access.users import SessionAuthority, SessionPrincipal
from hanano.errors import Problem

SESSION_COOKIE = "hanano_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_authority(request: Request) -> SessionAuthority:
    authority: SessionAuthority = request.app.state.sessions
    return authority


def current_session(request: Request) -> SessionPrincipal | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    return session_authority(request).authenticate(secret)


async def session_principal(request: Request, secret: str) -> Principal:
    """The user behind a session cookie; 401 if it is unknown, ended or expired, 403 when a
    state-changing request lacks the session's CSRF token. A session seen lately is answered
    from memory; otherwise the store is asked off the event loop."""
    authority = session_authority(request)
    found = authority.remembered(secret) or await asyncio.to_thread(authority.authenticate, secret)
    if found is None:
        raise Problem(401, "Unauthorized", "the session has ended; log in again")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            raise Problem(403, "Forbidden", "missing or wrong X-CSRF-Token for this session")
    return found.principal
