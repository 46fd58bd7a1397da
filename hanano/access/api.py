"""Access's use cases: tokens and the names of logins, for the HTTP routes and the CLI."""

from __future__ import annotations

from typing import Any

from hanano.access import field, mirror_accounts, tokens, users
from hanano.access.tokens import IssuedToken, Principal
from hanano.domain import Runtime
from hanano.errors import conflict


async def create_token(
    runtime: Runtime,
    who: Principal,
    role: str,
    name: str | None = None,
    team: str | None = None,
    post: str | None = None,
    sealed_to: str | None = None,
) -> IssuedToken:
    """Issue a token; its secret is in what this returns only. A team_leader token names its
    team, a spotter token may name the observation post it reports from, a mirror token may
    name the X25519 public key (PEM) its sealed fields are encrypted to."""
    return await runtime.sequencer.run(
        lambda tx: tokens.create_token(tx, who.actor, role, name, team, post, sealed_to)
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


def _on_a_mirror(runtime: Runtime, instead: str) -> None:
    """A mirror's own accounts are made on a mirror's store alone: a primary's are events."""
    if not runtime.sequencer.read_only:
        raise conflict(f"this store is no mirror's: use `{instead}` on a primary")


def add_mirror_user(runtime: Runtime, username: str, role: str, password_hash: str) -> str:
    """A person who may sign in on this mirror (read-only), kept beside its log."""
    _on_a_mirror(runtime, "hanano user create")
    return mirror_accounts.add_user(runtime.engine, username, role, password_hash)


def add_mirror_token(runtime: Runtime, role: str, name: str | None) -> IssuedToken:
    """A token of this mirror's own (read-only); its secret is in what this returns only."""
    _on_a_mirror(runtime, "hanano token create")
    return mirror_accounts.add_token(runtime.engine, role, name)


def revoke_mirror_token(runtime: Runtime, token_id: str) -> None:
    _on_a_mirror(runtime, "hanano token revoke")
    mirror_accounts.revoke_token(runtime.engine, token_id)


def mirror_account_list(runtime: Runtime) -> list[dict[str, str | None]]:
    _on_a_mirror(runtime, "hanano user list")
    return mirror_accounts.accounts(runtime.engine)


def tasked_incidents(runtime: Runtime, who: Principal) -> list[str]:
    """The incidents whose records a team leader may write: those their team was tasked to."""
    if who.role != "team_leader" or who.team is None:
        return []
    with runtime.engine.connect() as conn:
        return field.tasked_incidents(conn, who.team)
