"""People who log in to the operations room: users with argon2id password hashes, and sessions.

Where the password hash lives. A user is an event like everything else (`user.created`), so the
users table is a projection that `hanano store rebuild` restores. The argon2id hash is a
*sensitive* field of that event: the log itself (what is hashed into the Merkle tree, copied onto
drives and carried out of the city, shown to auditors) holds only a salted HMAC commitment to it,
and the hash sits in the sealed table beside the log, where it can be erased (`hanano log
redact`) without breaking the log. A separate credentials table outside the log was the other
choice; it would have left users impossible to rebuild and created a second write path, for no
gain in secrecy, since the sealed table is exactly such a table. Usernames are sealed as well:
they often are people's names. Events name a user by an opaque id (`usr_...`), which is also
the actor of everything the user does.

Sessions are events too (`user.session_started`, `user.session_ended`), so the log records who
was at the dispatcher's screen and when. Like API tokens, a session secret is 256 random bits
and the store keeps only its SHA-256. Sessions expire by the wall clock, not the service clock:
a session belongs to the person at the screen, whose hours do not pass thirty times faster when
the simulator replays a day.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Table, select

from hanano.access.events import SessionEnded, SessionStarted, UserCreated
from hanano.access.handlers import HANDLERS
from hanano.access.recent import Recent
from hanano.access.tables import leader_teams, sessions, users
from hanano.access.tokens import Principal, bind_team, check_team
from hanano.errors import Problem, conflict, invalid
from hanano.events import (
    ROLES,
    Role,
)
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

SESSION_TTL_S = 12 * 3600  # one shift
MIN_PASSWORD = 10
# People sign in to the operations room; the public and mirrors hold tokens, never logins.
USER_ROLES: tuple[Role, ...] = tuple(r for r in ROLES if r not in ("public", "mirror"))
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")

# argon2id with the library's defaults (RFC 9106's second recommended profile, 64 MiB).
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


USER_TABLES = (users, sessions)


@dataclass(frozen=True)
class OpenedSession:
    user_id: str
    role: Role
    secret: str
    expires_at: datetime


def _wall_now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_secret(secret: str) -> str:
    # 256 random bits: a plain SHA-256 cannot be brute-forced back.
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(secret: str) -> str:
    """The synchronizer token of a session: derived from its secret, so nothing more is stored,
    and useless to anyone who cannot read the HttpOnly session cookie."""
    return hmac.new(secret.encode(), b"hanano csrf", hashlib.sha256).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not 2 <= len(name) <= 100 or not set(name) <= USERNAME_CHARS:
        raise invalid("username", "2 to 100 of a-z, 0-9, dot, underscore and hyphen")
    return name


def hash_password(password: str) -> str:
    """Run outside the writer: argon2 takes tens of milliseconds by design."""
    if len(password) < MIN_PASSWORD:
        raise invalid("password", f"at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def create_user(
    tx: Tx, actor: str, username: str, role: str, password_hash: str, team: str | None = None
) -> str:
    name = check_username(username)
    if role not in USER_ROLES:
        raise invalid("role", f"must be one of {', '.join(USER_ROLES)}")
    bound = check_team(tx.conn, role, team)
    taken = tx.conn.execute(select(users.c.user_id).where(users.c.username == name)).first()
    if taken is not None:
        raise conflict(f"user {name} exists")
    user_id = "usr_" + secrets.token_hex(6)
    tx.append(
        actor,
        UserCreated(
            user_id=user_id, username=name, role=role, password_hash=password_hash, team=bound
        ),
    )
    return user_id


def verify_password(
    engine: Engine, username: str, password: str, table: Table = users
) -> tuple[str, Role] | None:
    """The user's id and role if the password is theirs (in `table`: the log's users, or a
    mirror's own). Slow on purpose; call off the loop."""
    try:
        name = check_username(username)
    except Problem:
        name = ""
    with engine.connect() as conn:
        row = conn.execute(
            select(table.c.user_id, table.c.role, table.c.password_hash).where(
                table.c.username == name
            )
        ).first()
    matched = password_matches(row.password_hash if row is not None else None, password)
    if row is None or not matched:
        return None
    return row.user_id, row.role


def password_matches(stored: str | None, password: str) -> bool:
    """Whether the password is the one hashed in `stored`. Without a stored hash a dummy one is
    verified against, so a wrong name costs as long as a wrong password."""
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(stored)


def start_session(tx: Tx, user_id: str, role: Role) -> OpenedSession:
    secret = "hs_" + secrets.token_urlsafe(32)
    expires = datetime.fromtimestamp(time.time() + SESSION_TTL_S, UTC)
    tx.append(
        user_id,
        SessionStarted(user_id=user_id, session_hash=hash_secret(secret), expires_at=_iso(expires)),
    )
    return OpenedSession(user_id, role, secret, expires)


def end_session(tx: Tx, actor: str, secret: str, reason: str) -> bool:
    digest = hash_secret(secret)
    row = tx.conn.execute(
        select(sessions.c.ended_at).where(sessions.c.session_hash == digest)
    ).first()
    if row is None or row.ended_at is not None:
        return False
    tx.append(actor, SessionEnded(session_hash=digest, reason=reason))
    return True


def username_of(conn: Connection, user_id: str) -> str | None:
    name: str | None = conn.execute(
        select(users.c.username).where(users.c.user_id == user_id)
    ).scalar()
    return name


def list_users(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(users, leader_teams.c.team_id)
        .outerjoin(leader_teams, leader_teams.c.principal_id == users.c.user_id)
        .order_by(users.c.created_at, users.c.user_id)
    )
    return [
        {
            "id": r.user_id,
            "username": r.username,
            "role": r.role,
            "team": r.team_id,
            "created_at": r.created_at,
        }
        for r in rows
    ]


@HANDLERS.projects(UserCreated.type)
def _user_created(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        users.insert().values(
            user_id=d["user_id"],
            username=d["username"],
            role=d["role"],
            password_hash=d["password_hash"],
            created_at=event.time,
        )
    )
    bind_team(conn, d["user_id"], d.get("team"), event.time)


@HANDLERS.projects(SessionStarted.type)
def _session_started(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    role = conn.execute(select(users.c.role).where(users.c.user_id == d["user_id"])).scalar_one()
    conn.execute(
        sessions.insert().values(
            session_hash=d["session_hash"],
            user_id=d["user_id"],
            role=role,
            started_at=event.time,
            expires_at=d["expires_at"],
        )
    )


@HANDLERS.projects(SessionEnded.type)
def _session_ended(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        sessions.update()
        .where(sessions.c.session_hash == event.data["session_hash"])
        .values(ended_at=event.time)
    )


@dataclass(frozen=True)
class SessionPrincipal:
    principal: Principal
    csrf: str
    expires_at: str


class SessionAuthority:
    """Looks sessions up, remembering a found one for `cache_s` so that most requests (and SSE
    reconnects) cost no query, and a logout committed by any process ends the session
    everywhere within that time."""

    def __init__(self, engine: Engine, cache_s: float) -> None:
        self._engine = engine
        self._recent: Recent[tuple[Principal, str]] = Recent(cache_s)

    def remembered(self, secret: str) -> SessionPrincipal | None:
        """The session if it was found open less than `cache_s` ago and has not expired; no I/O,
        so an event loop may call it."""
        return self._live(secret, self._recent.get(hash_secret(secret)))

    def authenticate(self, secret: str) -> SessionPrincipal | None:
        """The session, from memory if recent, else from the store (blocking)."""
        digest = hash_secret(secret)
        found = self._recent.get(digest)
        if found is None:
            found = self._lookup(digest)
            if found is None:
                return None
            self._recent.put(digest, found)
        return self._live(secret, found)

    def _lookup(self, digest: str) -> tuple[Principal, str] | None:
        """The open session's user and when it expires."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    sessions.c.user_id,
                    sessions.c.role,
                    sessions.c.expires_at,
                    leader_teams.c.team_id,
                )
                .outerjoin(leader_teams, leader_teams.c.principal_id == sessions.c.user_id)
                .where(sessions.c.session_hash == digest, sessions.c.ended_at.is_(None))
            ).first()
        if row is None:
            return None
        return Principal(row.user_id, row.role, row.team_id), row.expires_at

    @staticmethod
    def _live(secret: str, found: tuple[Principal, str] | None) -> SessionPrincipal | None:
        if found is None:
            return None
        principal, expires_at = found
        if expires_at <= _iso(_wall_now()):
            return None
        return SessionPrincipal(principal, csrf_token(secret), expires_at)

    def on_events(self, events: list[RecordedEvent]) -> None:
        """Forget remembered sessions as soon as a logout commits in this process."""
        if any(e.type == SessionEnded.type for e in events):
            self._recent.clear()
