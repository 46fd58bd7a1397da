"""A mirror's own accounts: the people abroad who may read the copy of the log it keeps.

Who may sign in on a mirror. Its log is the primary's, replayed with every sealed field a
commitment, so the primary's users arrive without their names or password hashes and could not
sign in anyway; its tokens, though, arrive with their hashes, and a field token stolen in the
city (a reporter's, a spotter's, a team leader's) would open the copy abroad, where a
revocation reaches only at the next catch-up and nobody at the mirror can revoke it at all. So a
mirror accepts none of the primary's credentials: only its own accounts and tokens, made by its
operator with `hanano mirror user add` and `hanano mirror token add`, kept in tables beside the
log and never written to it (a mirror never writes the log, which the primary signs).

Their roles are the primary's read roles, so the one visibility rule applies unchanged: a
dispatcher reads the room as a dispatcher does, an auditor the log, a mirror role the entries (a
mirror following this one). Every write is refused on a mirror whatever the role (409), and
`/me` says so.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from hanano.access import users
from hanano.access.tables import mirror_sessions, mirror_tokens, mirror_users
from hanano.access.tokens import TOKEN_PREFIX, IssuedToken, Principal, TokenAuthority, hash_token
from hanano.access.users import (
    SESSION_TTL_S,
    OpenedSession,
    SessionAuthority,
    check_username,
    hash_secret,
)
from hanano.errors import conflict, invalid, not_found
from hanano.events import Role

# People sign in to read the room or the log; a mirror role is a token (a further mirror).
MIRROR_USER_ROLES: tuple[Role, ...] = ("dispatcher", "auditor")
MIRROR_TOKEN_ROLES: tuple[Role, ...] = ("dispatcher", "auditor", "mirror")


def _now() -> str:
    return datetime.fromtimestamp(time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_user(engine: Engine, username: str, role: str, password_hash: str) -> str:
    name = check_username(username)
    if role not in MIRROR_USER_ROLES:
        raise invalid("role", f"on a mirror, one of {', '.join(MIRROR_USER_ROLES)}")
    user_id = "mus_" + secrets.token_hex(6)
    with engine.begin() as conn:
        taken = conn.execute(
            select(mirror_users.c.user_id).where(mirror_users.c.username == name)
        ).first()
        if taken is not None:
            raise conflict(f"mirror user {name} exists")
        conn.execute(
            mirror_users.insert().values(
                user_id=user_id,
                username=name,
                role=role,
                password_hash=password_hash,
                created_at=_now(),
            )
        )
    return user_id


def add_token(engine: Engine, role: str, name: str | None) -> IssuedToken:
    if role not in MIRROR_TOKEN_ROLES:
        raise invalid("role", f"on a mirror, one of {', '.join(MIRROR_TOKEN_ROLES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = "mtk_" + secrets.token_hex(6)
    with engine.begin() as conn:
        conn.execute(
            mirror_tokens.insert().values(
                token_id=token_id,
                role=role,
                name=name,
                token_hash=hash_token(secret),
                created_at=_now(),
            )
        )
    return IssuedToken(token_id, role, secret)


def revoke_token(engine: Engine, token_id: str) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            mirror_tokens.update()
            .where(mirror_tokens.c.token_id == token_id, mirror_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    if done.rowcount == 0:
        raise not_found(f"mirror token {token_id} (or it is revoked already)")


def accounts(engine: Engine) -> list[dict[str, str | None]]:
    """The mirror's users and tokens, oldest first: never a password hash or a token's."""
    with engine.connect() as conn:
        people = conn.execute(select(mirror_users).order_by(mirror_users.c.created_at)).all()
        issued = conn.execute(select(mirror_tokens).order_by(mirror_tokens.c.created_at)).all()
    return [
        {"id": u.user_id, "kind": "user", "name": u.username, "role": u.role, "revoked_at": None}
        for u in people
    ] + [
        {
            "id": t.token_id,
            "kind": "token",
            "name": t.name,
            "role": t.role,
            "revoked_at": t.revoked_at,
        }
        for t in issued
    ]


def verify_password(engine: Engine, username: str, password: str) -> tuple[str, Role] | None:
    """The mirror user's id and role if the password is theirs. Slow on purpose (argon2)."""
    return users.verify_password(engine, username, password, mirror_users)


def open_session(engine: Engine, user_id: str, role: Role) -> OpenedSession:
    secret = "hs_" + secrets.token_urlsafe(32)
    expires = datetime.fromtimestamp(time.time() + SESSION_TTL_S, UTC)
    with engine.begin() as conn:
        conn.execute(
            mirror_sessions.insert().values(
                session_hash=hash_secret(secret),
                user_id=user_id,
                role=role,
                started_at=_now(),
                expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            )
        )
    return OpenedSession(user_id, role, secret, expires)


def end_session(engine: Engine, secret: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            mirror_sessions.update()
            .where(
                mirror_sessions.c.session_hash == hash_secret(secret),
                mirror_sessions.c.ended_at.is_(None),
            )
            .values(ended_at=_now())
        )


def username_of(engine: Engine, user_id: str) -> str | None:
    with engine.connect() as conn:
        name: str | None = conn.execute(
            select(mirror_users.c.username).where(mirror_users.c.user_id == user_id)
        ).scalar()
    return name


class MirrorTokenAuthority(TokenAuthority):
    """A mirror's tokens: its own, never the primary's replayed from the log."""

    unknown = (
        "unknown or revoked token: this read-only mirror accepts only its own tokens "
        "(`hanano mirror token add`), never the primary's"
    )

    def _lookup(self, digest: str) -> Principal | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(mirror_tokens.c.token_id, mirror_tokens.c.role).where(
                    mirror_tokens.c.token_hash == digest, mirror_tokens.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else Principal(row.token_id, row.role)


class MirrorSessionAuthority(SessionAuthority):
    """Sessions of a mirror's own users, kept beside its log."""

    def forget(self) -> None:
        """After a logout here: no remembered session outlives it in this process."""
        self._recent.clear()

    def _lookup(self, digest: str) -> tuple[Principal, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    mirror_sessions.c.user_id, mirror_sessions.c.role, mirror_sessions.c.expires_at
                ).where(
                    mirror_sessions.c.session_hash == digest, mirror_sessions.c.ended_at.is_(None)
                )
            ).first()
        return None if row is None else (Principal(row.user_id, row.role), row.expires_at)
