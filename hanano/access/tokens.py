"""API tokens with roles. A token is shown once; the store keeps only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from hanano.errors import invalid, not_found
from hanano.events import ROLES, Role, TokenCreated, TokenRevoked
from hanano.store import schema
from hanano.store.projections import projects
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

TOKEN_PREFIX = "hn_"  # noqa: S105 - a prefix that marks hanano tokens, not a secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id (recorded as the actor of their events) and role."""

    token_id: str
    role: Role

    @property
    def actor(self) -> str:
        return self.token_id


ANONYMOUS = Principal("anonymous", "public")


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    role: Role
    secret: str


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 cannot be brute-forced back.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(tx: Tx, actor: str, role: str, name: str | None) -> IssuedToken:
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(6)
    event = TokenCreated(token_id=token_id, role=role, name=name, token_hash=hash_token(secret))
    tx.append(actor, event)
    return IssuedToken(token_id, event.role, secret)


def revoke_token(tx: Tx, actor: str, token_id: str, reason: str) -> None:
    row = tx.conn.execute(
        select(schema.tokens.c.revoked_at).where(schema.tokens.c.token_id == token_id)
    ).first()
    if row is None:
        raise not_found(f"token {token_id}")
    tx.append(actor, TokenRevoked(token_id=token_id, reason=reason))


@projects(TokenCreated.type)
def _token_created(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        schema.tokens.insert().values(
            token_id=d["token_id"],
            role=d["role"],
            name=d["name"],
            token_hash=d["token_hash"],
            created_at=event.time,
        )
    )


@projects(TokenRevoked.type)
def _token_revoked(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        schema.tokens.update()
        .where(schema.tokens.c.token_id == event.data["token_id"])
        .values(revoked_at=event.time)
    )


class TokenAuthority:
    """Looks tokens up, caching hits briefly so each request does not cost a query."""

    def __init__(self, engine: Engine, ttl_s: float = 5.0) -> None:
        self._engine = engine
        self._cache: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def authenticate(self, secret: str) -> Principal | None:
        digest = hash_token(secret)
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None:
            return cached
        with self._engine.connect() as conn:
            row = conn.execute(
                select(schema.tokens.c.token_id, schema.tokens.c.role).where(
                    schema.tokens.c.token_hash == digest, schema.tokens.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        principal = Principal(row.token_id, row.role)
        with self._lock:
            self._cache[digest] = principal
        return principal

    def on_events(self, events: list[RecordedEvent]) -> None:
        """Forget cached tokens as soon as a revocation commits."""
        if any(e.type == TokenRevoked.type for e in events):
            with self._lock:
                self._cache.clear()
