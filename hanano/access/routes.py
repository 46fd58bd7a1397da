"""Access over HTTP: who the caller is and what they may do, and tokens."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from hanano.access import api as access_api
from hanano.access.tokens import Principal
from hanano.events import Role
from hanano.web.deps import ADMIN, ALL, ServiceDep, allow
from hanano.web.permissions import may_now

router = APIRouter(prefix="/api/v1", tags=["access"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Role
    name: Annotated[str | None, Field(max_length=200)] = None
    # The team a team_leader token acts for (refused for any other role).
    team: Annotated[str | None, Field(min_length=1, max_length=40)] = None
    # The observation post a spotter token reports from (refused for any other role).
    post: Annotated[str | None, Field(min_length=1, max_length=40)] = None
    # A mirror's X25519 public key, PEM: the sealed fields served to it are encrypted to it.
    sealed_to: Annotated[str | None, Field(min_length=1, max_length=400)] = None


class Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.get("/me", tags=["access"])
def me(
    request: Request, service: ServiceDep, who: Annotated[Principal, Depends(allow(*ALL))]
) -> dict[str, Any]:
    """Who the caller is; `team` is the team a team leader acts for, `post` the observation post
    a spotter reports from (None otherwise); `may`, for each action the operations room offers,
    whether the API will accept it from the caller: true, false, or for a team leader the teams
    (an action on a team) or the incidents (an action on an incident's worksites, victims or
    status: those their team has been tasked to) they may do it for."""
    return {
        "token_id": who.token_id,
        "role": who.role,
        "team": who.team,
        "post": who.post,
        "may": may_now(service, request.app.state.action_roles, who),
    }


@router.post("/tokens", status_code=201, tags=["access"])
async def tokens_create(
    body: TokenRequest, service: ServiceDep, who: Annotated[Principal, Depends(allow(*ADMIN))]
) -> dict[str, str | None]:
    """Issue a token; the secret is in this answer only. A team_leader token names its team, a
    spotter token may name the observation post it reports from."""
    issued = await access_api.create_token(
        service, who, body.role, body.name, body.team, body.post, body.sealed_to
    )
    return {
        "token_id": issued.token_id,
        "role": issued.role,
        "team": issued.team,
        "post": issued.post,
        "token": issued.secret,
    }


@router.post("/tokens/{token_id}/revoke", tags=["access"])
async def tokens_revoke(
    token_id: str,
    body: Revoke,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*ADMIN))],
) -> dict[str, str]:
    """Revoke a token: refused at once by this server and within `auth_cache_s` (2 s) by every
    other process on the store; streams opened with it end."""
    await access_api.revoke_token(service, who, token_id, body.reason)
    return {"token_id": token_id, "status": "revoked"}
