"""Access's tables: tokens (only their hashes) and what they are bound to."""

from sqlalchemy import Column, Float, Integer, String, Table, Text

from hanano.store.schema import metadata

tokens = Table(
    "tokens",
    metadata,
    Column("token_id", String(40), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", Text, nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)


users = Table(
    "users",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("username", String(100), nullable=True, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
)


sessions = Table(
    "user_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("role", String(20), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("ended_at", String(40), nullable=True),
)


leader_teams = Table(
    "leader_teams",
    metadata,
    Column("principal_id", String(40), primary_key=True),  # a token id or a user id
    Column("team_id", String(40), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


spotter_posts = Table(
    "spotter_posts",
    metadata,
    Column("principal_id", String(40), primary_key=True),
    Column("post_id", String(40), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


mirror_keys = Table(
    "mirror_keys",
    metadata,
    Column("principal_id", String(40), primary_key=True),
    # base64 of the X25519 public key's 32 bytes
    Column("public_key", String(64), nullable=False),
    Column("bound_at", String(40), nullable=False),
)


login_failures = Table(
    "login_failures",
    metadata,
    # HMAC-SHA256 (hex) of "addr" and an address, or of "pair", a username and an address.
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    # When the row's counting window began: an address's first failure in it; a pair's latest
    # failure (its window slides with each one).
    Column("window_start", Float, nullable=False),
    # An address: refused until then once its budget is spent. A pair: the end of its wait.
    Column("locked_until", Float, nullable=True),
)

# Kept as they are by `hanano store rebuild`: not projections of the log.
login_failures.info["kept"] = "failed logins are counted as they happen, never logged as events"


# A mirror's own people: investigators and auditors abroad who read the copy of the log it
# keeps. Their accounts, tokens and sessions are the mirror's alone, written by its own CLI and
# logins, never to the log (which is the primary's, and which a mirror never writes); the
# primary's users and tokens, replayed from the log, are no way in there.
mirror_users = Table(
    "mirror_users",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

mirror_tokens = Table(
    "mirror_tokens",
    metadata,
    Column("token_id", String(40), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", Text, nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)

mirror_sessions = Table(
    "mirror_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("role", String(20), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("ended_at", String(40), nullable=True),
)

for _local in (mirror_users, mirror_tokens, mirror_sessions):
    _local.info["kept"] = "a mirror's own accounts, made by its operator, never logged as events"
