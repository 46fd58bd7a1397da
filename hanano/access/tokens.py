"""API tokens with roles. A token is shown once; the store keeps only its SHA-256.

A spotter token may be bound to the observation post it reports from (`spotter_posts`): it
then reports from that post only, and no other post's id is of use to whoever holds it.

A team_leader token (or login) is bound to the one team its holder leads: the field actions of a
team (position, check-in, duty, task steps, pull-back acknowledgements) are refused for any other
team, so a leader's lost phone cannot move or clear a team that is not theirs. The binding is a
field of the creating event and lives in its own projection, `leader_teams`, keyed by the token
or user id.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from hanano.access import tables as access_tables
from hanano.access.events import TokenCreated, TokenRevoked
from hanano.access.handlers import HANDLERS
from hanano.access.recent import Recent
from hanano.access.tables import leader_teams, mirror_keys, spotter_posts
from hanano.dispatch.tables import teams
from hanano.errors import invalid, not_found
from hanano.events import ROLES, Role
from hanano.evidence.archive_format import load_public_key, public_key_text
from hanano.store.prepared import insert_all
from hanano.store.records import RecordedEvent
from hanano.store.replay import projects_many
from hanano.store.sequencer import Tx
from hanano.warning.tables import posts

TOKEN_PREFIX = "hn_"  # noqa: S105 - a prefix that marks hanano tokens, not a secret

# Compiled once: a replay or a mirror's catch-up projects these rows one event at a time, and
# building each statement anew cost ten times the database's own work.
_INSERT_TOKEN = insert_all(access_tables.tokens)
_INSERT_LEADER = insert_all(leader_teams)
_INSERT_POST = insert_all(spotter_posts)
_INSERT_MIRROR_KEY = insert_all(mirror_keys)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id (recorded as the actor of their events) and role."""

    token_id: str
    role: Role
    team: str | None = None
    post: str | None = None

    @property
    def actor(self) -> str:
        return self.token_id


ANONYMOUS = Principal("anonymous", "public")
# Whoever runs the CLI on the server's own machine holds its store and key: an administrator.
CONSOLE = Principal("cli", "admin")


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    role: Role
    secret: str
    team: str | None = None
    post: str | None = None


def check_post(conn: Connection, role: str, post: str | None) -> str | None:
    """The post a new spotter token reports from: only a spotter has one, and it must exist."""
    if post is None:
        return None
    post = post.strip()
    if role != "spotter":
        raise invalid("post", f"only a spotter is bound to an observation post, not a {role}")
    found = conn.execute(
        select(posts.c.post_id).where(posts.c.post_id == post, posts.c.kind == "post")
    ).first()
    if found is None:
        raise invalid("post", f"observation post {post} does not exist")
    return post


def check_team(conn: Connection, role: str, team: str | None) -> str | None:
    """The team a new token or user is bound to: only a team_leader has one, and it must exist."""
    if team is None:
        return None
    team = team.strip()
    if role != "team_leader":
        raise invalid("team", f"only a team_leader is bound to a team, not a {role}")
    found = conn.execute(select(teams.c.team_id).where(teams.c.team_id == team)).first()
    if found is None:
        raise invalid("team", f"team {team} does not exist")
    return team


def check_sealed_to(role: str, pem: str | None) -> str | None:
    """The public key a new mirror token is served sealed fields encrypted to, from its PEM:
    only a mirror has one. Recorded as `public_key_text` writes it."""
    if pem is None:
        return None
    if role != "mirror":
        raise invalid("sealed_to", f"only a mirror is served sealed fields, not a {role}")
    try:
        return public_key_text(load_public_key(pem.encode()))
    except ValueError as exc:
        raise invalid("sealed_to", str(exc)) from None


def sealed_key_of(conn: Connection, token_id: str) -> str | None:
    """The public key registered with a mirror's token, or None."""
    found: str | None = conn.execute(
        select(mirror_keys.c.public_key).where(mirror_keys.c.principal_id == token_id)
    ).scalar()
    return found


def bind_team(conn: Connection, principal_id: str, team: str | None, at: str) -> None:
    """Projection step shared by tokens and users: record whom a team leader acts for."""
    if team:
        _INSERT_LEADER.run(conn, {"principal_id": principal_id, "team_id": team, "bound_at": at})


def team_of(conn: Connection, principal_id: str) -> str | None:
    found: str | None = conn.execute(
        select(leader_teams.c.team_id).where(leader_teams.c.principal_id == principal_id)
    ).scalar()
    return found


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 cannot be brute-forced back.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    tx: Tx,
    actor: str,
    role: str,
    name: str | None,
    team: str | None = None,
    post: str | None = None,
    sealed_to: str | None = None,
) -> IssuedToken:
    """Issue a token; `sealed_to` is a mirror's X25519 public key (PEM)."""
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    bound = check_team(tx.conn, role, team)
    station = check_post(tx.conn, role, post)
    public_key = check_sealed_to(role, sealed_to)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(6)
    event = TokenCreated(
        token_id=token_id,
        role=role,
        name=name,
        token_hash=hash_token(secret),
        team=bound,
        post=station,
        sealed_to=public_key,
    )
    tx.append(actor, event)
    return IssuedToken(token_id, event.role, secret, bound, station)


def revoke_token(tx: Tx, actor: str, token_id: str, reason: str) -> None:
    row = tx.conn.execute(
        select(access_tables.tokens.c.revoked_at).where(access_tables.tokens.c.token_id == token_id)
    ).first()
    if row is None:
        raise not_found(f"token {token_id}")
    tx.append(actor, TokenRevoked(token_id=token_id, reason=reason))


def list_tokens(conn: Connection) -> list[dict[str, str | None]]:
    """Every token in the order issued: id, role, a team leader's team, holder, revocation;
    never a secret or its hash."""
    query = (
        select(access_tables.tokens, leader_teams.c.team_id)
        .outerjoin(leader_teams, leader_teams.c.principal_id == access_tables.tokens.c.token_id)
        .order_by(access_tables.tokens.c.created_at)
    )
    return [
        {
            "id": r.token_id,
            "role": r.role,
            "team": r.team_id,
            "name": r.name,
            "revoked_at": r.revoked_at,
        }
        for r in conn.execute(query)
    ]


def _tokens_created(conn: Connection, events: Sequence[RecordedEvent]) -> None:
    """`_token_created` for a run of events: the same rows, one statement per table."""
    made, leaders, posted, keyed = [], [], [], []
    for event in events:
        d, at = event.data, event.time
        made.append(
            {
                "token_id": d["token_id"],
                "role": d["role"],
                "name": d["name"],
                "token_hash": d["token_hash"],
                "created_at": at,
                "revoked_at": None,
            }
        )
        if d.get("team"):
            leaders.append({"principal_id": d["token_id"], "team_id": d["team"], "bound_at": at})
        if d.get("post"):
            posted.append({"principal_id": d["token_id"], "post_id": d["post"], "bound_at": at})
        if d.get("sealed_to"):
            keyed.append(
                {"principal_id": d["token_id"], "public_key": d["sealed_to"], "bound_at": at}
            )
    _INSERT_TOKEN.run_many(conn, made)
    _INSERT_LEADER.run_many(conn, leaders)
    _INSERT_POST.run_many(conn, posted)
    _INSERT_MIRROR_KEY.run_many(conn, keyed)


@HANDLERS.projects(TokenCreated.type)
@projects_many(_tokens_created)
def _token_created(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    _INSERT_TOKEN.run(
        conn,
        {
            "token_id": d["token_id"],
            "role": d["role"],
            "name": d["name"],
            "token_hash": d["token_hash"],
            "created_at": event.time,
            "revoked_at": None,
        },
    )
    bind_team(conn, d["token_id"], d.get("team"), event.time)
    if d.get("post"):
        _INSERT_POST.run(
            conn, {"principal_id": d["token_id"], "post_id": d["post"], "bound_at": event.time}
        )
    if d.get("sealed_to"):
        _INSERT_MIRROR_KEY.run(
            conn,
            {"principal_id": d["token_id"], "public_key": d["sealed_to"], "bound_at": event.time},
        )


@HANDLERS.projects(TokenRevoked.type)
def _token_revoked(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        access_tables.tokens.update()
        .where(access_tables.tokens.c.token_id == event.data["token_id"])
        .values(revoked_at=event.time)
    )


class TokenAuthority:
    """Looks tokens up, remembering a found token for `cache_s` so that most requests cost no
    query, and a revocation committed by any process takes effect within that time."""

    # What a caller whose token is not found is told.
    unknown = "unknown or revoked token"

    def __init__(self, engine: Engine, cache_s: float) -> None:
        self._engine = engine
        self._recent: Recent[Principal] = Recent(cache_s)

    def remembered(self, secret: str) -> Principal | None:
        """The token's principal if it was found valid less than `cache_s` ago; no I/O, so an
        event loop may call it."""
        return self._recent.get(hash_token(secret))

    def authenticate(self, secret: str) -> Principal | None:
        """The token's principal, from memory if recent, else from the store (blocking)."""
        digest = hash_token(secret)
        cached = self._recent.get(digest)
        if cached is not None:
            return cached
        principal = self._lookup(digest)
        if principal is not None:
            self._recent.put(digest, principal)
        return principal

    def _lookup(self, digest: str) -> Principal | None:
        with self._engine.connect() as conn:
            tokens = access_tables.tokens
            row = conn.execute(
                select(
                    tokens.c.token_id,
                    tokens.c.role,
                    leader_teams.c.team_id,
                    spotter_posts.c.post_id,
                )
                .outerjoin(leader_teams, leader_teams.c.principal_id == tokens.c.token_id)
                .outerjoin(spotter_posts, spotter_posts.c.principal_id == tokens.c.token_id)
                .where(tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None))
            ).first()
        return None if row is None else Principal(row.token_id, row.role, row.team_id, row.post_id)

    def on_events(self, events: list[RecordedEvent]) -> None:
        """Forget remembered tokens as soon as a revocation commits in this process."""
        if any(e.type == TokenRevoked.type for e in events):
            self._recent.clear()
