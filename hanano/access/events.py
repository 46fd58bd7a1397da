"""Events of access: tokens issued and revoked."""

from __future__ import annotations

from typing import ClassVar

from hanano.events import (
    ACCESS_RECORDS,
    Audience,
    Event,
    Role,
    register,
)


@register
class TokenCreated(Event):
    """An API token was issued. Only its SHA-256 is kept; the name may identify a rescuer."""

    type: ClassVar[str] = "token.created"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    sensitive: ClassVar[frozenset[str]] = frozenset({"name"})
    token_id: str
    role: Role
    name: str | None
    token_hash: str
    # The team a team_leader token acts for. Added after the first logs were written: entries
    # without it replay as unbound tokens, so the version stays 1.
    team: str | None = None
    # The observation post a spotter token reports from (added later still, likewise).
    post: str | None = None


@register
class TokenRevoked(Event):
    type: ClassVar[str] = "token.revoked"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    token_id: str
    reason: str
