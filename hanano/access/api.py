"""Access's use cases: tokens and the names of logins, for the HTTP routes and the CLI."""

from __future__ import annotations

from typing import Any

from hanano.access import field, tokens, users
from hanano.access.tokens import IssuedToken, Principal
from hanano.domain import Runtime


async def create_token(
    runtime: Runtime,
    who: Principal,
    role: str,
    name: str | None = None,
    team: str | None = None,
    post: str | None = None,
) -> IssuedToken:
    """Issue a token; its secret is in what this returns only. A team_leader token names its
    team, a spotter token may name the observation post it reports from."""
    return await runtime.sequencer.run(
        lambda tx: tokens.create_token(tx, who.actor, role, name, team, post)
    )


async def revoke_token(runtime: Runtime, who: Principal, token_id: str, reason: str) -> None:
    """Revoke a token: refused at once by this process, within `auth_cache_s` by the others."""
    await runtime.sequencer.run(lambda tx: tokens.revoke_token(tx, who.actor, token_id, reason))


def list_tokens(runtime: Runtime) -> list[dict[str, str | None]]:
    with runtime.engine.connect() as conn:
        return tokens.list_tokens(conn)


def list_users(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return users.list_users(conn)


def username_of(runtime: Runtime, user_id: str) -> str | None:
    with runtime.engine.connect() as conn:
        return users.username_of(conn, user_id)


def tasked_incidents(runtime: Runtime, who: Principal) -> list[str]:
    """The incidents whose records a team leader may write: those their team was tasked to."""
    if who.role != "team_leader" or who.team is None:
        return []
    with runtime.engine.connect() as conn:
        return field.tasked_incidents(conn, who.team)
