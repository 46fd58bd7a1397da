"""The access domain's migrations.

Frozen at their numbers: each says the schema as it was when written (see hanano.store.migrations).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_TOKENS_SCHEMA = MetaData()
Table(
    "tokens",
    _TOKENS_SCHEMA,
    Column("token_id", String(40), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", Text, nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)


def _tokens(conn: Connection) -> None:
    """Tokens, kept as hashes."""
    _TOKENS_SCHEMA.create_all(conn)


# As they were when written.
_USERS_SCHEMA = MetaData()
Table(
    "users",
    _USERS_SCHEMA,
    Column("user_id", String(40), primary_key=True),
    Column("username", String(100), nullable=True, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
)

Table(
    "user_sessions",
    _USERS_SCHEMA,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("role", String(20), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("ended_at", String(40), nullable=True),
)


def _users(conn: Connection) -> None:
    """Operations-room users and their sessions."""
    _USERS_SCHEMA.create_all(conn)


# As they were when written.
_LEADER_TEAMS_SCHEMA = MetaData()
Table(
    "leader_teams",
    _LEADER_TEAMS_SCHEMA,
    Column("principal_id", String(40), primary_key=True),
    Column("team_id", String(40), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


def _leader_teams(conn: Connection) -> None:
    """The team a team leader's token acts for."""
    _LEADER_TEAMS_SCHEMA.create_all(conn)


# As they were when written.
_LOGIN_FAILURES_SCHEMA = MetaData()
Table(
    "login_failures",
    _LOGIN_FAILURES_SCHEMA,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("locked_until", Float, nullable=True),
)


def _login_failures(conn: Connection) -> None:
    """Failed logins, counted per user and address."""
    _LOGIN_FAILURES_SCHEMA.create_all(conn)


# As they were when written.
_SPOTTER_POSTS_SCHEMA = MetaData()
Table(
    "spotter_posts",
    _SPOTTER_POSTS_SCHEMA,
    Column("principal_id", String(40), primary_key=True),
    Column("post_id", String(40), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


def _spotter_posts(conn: Connection) -> None:
    """The observation post a spotter's token reports from."""
    _SPOTTER_POSTS_SCHEMA.create_all(conn)


# As they were when written.
_MIRROR_ACCOUNTS_SCHEMA = MetaData()
Table(
    "mirror_users",
    _MIRROR_ACCOUNTS_SCHEMA,
    Column("user_id", String(40), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Table(
    "mirror_tokens",
    _MIRROR_ACCOUNTS_SCHEMA,
    Column("token_id", String(40), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", Text, nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)
Table(
    "mirror_sessions",
    _MIRROR_ACCOUNTS_SCHEMA,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("role", String(20), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("ended_at", String(40), nullable=True),
)


def _mirror_accounts(conn: Connection) -> None:
    """A mirror's own users, tokens and sessions, kept outside the log."""
    _MIRROR_ACCOUNTS_SCHEMA.create_all(conn)


_MIRROR_KEYS_SCHEMA = MetaData()
Table(
    "mirror_keys",
    _MIRROR_KEYS_SCHEMA,
    Column("principal_id", String(40), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


def _mirror_keys(conn: Connection) -> None:
    """The public key a mirror's token is served sealed fields encrypted to."""
    _MIRROR_KEYS_SCHEMA.create_all(conn)


MIGRATIONS = (
    Migration(1, "tokens", _tokens, replaces=(1,)),
    Migration(2, "operations-room users and sessions", _users, replaces=(8,)),
    Migration(3, "team leaders bound to their team", _leader_teams, replaces=(11,)),
    Migration(4, "failed logins counted", _login_failures, replaces=(13,)),
    Migration(5, "spotters bound to their observation post", _spotter_posts, replaces=(17,)),
    Migration(6, "a mirror's own accounts", _mirror_accounts),
    Migration(7, "mirrors' keys for sealed fields", _mirror_keys),
)
