"""Events of access: tokens issued and revoked."""

from __future__ import annotations

from typing import ClassVar

from hanano.events import (
    ACCESS_RECORDS,
    KEEPERS,
    NOBODY,
    Audience,
    Event,
    Role,
    readable_by,
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
    # A mirror token's X25519 public key (base64 of its 32 bytes): the sealed fields served to
    # it are encrypted to this key. Added later still: entries without it replay as mirrors
    # that are served no sealed value, so the version stays 1.
    sealed_to: str | None = None


@register
class TokenRevoked(Event):
    type: ClassVar[str] = "token.revoked"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    token_id: str
    reason: str


@register
class UserCreated(Event):
    """A person who may log in. The username and the argon2id hash enter the log sealed."""

    type: ClassVar[str] = "user.created"
    audience: ClassVar[Audience] = readable_by(KEEPERS, fields={"password_hash": NOBODY})
    sensitive: ClassVar[frozenset[str]] = frozenset({"username", "password_hash"})
    user_id: str
    username: str
    role: Role
    password_hash: str
    # The team a team_leader acts for; entries written before it existed replay as unbound.
    team: str | None = None


@register
class SessionStarted(Event):
    """A login. Only the SHA-256 of the session secret is kept."""

    type: ClassVar[str] = "user.session_started"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    user_id: str
    session_hash: str
    expires_at: str


@register
class SessionEnded(Event):
    type: ClassVar[str] = "user.session_ended"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    session_hash: str
    reason: str
