"""The evidence domain's migrations.

Frozen at their numbers: each says the schema as it was when written (see hanano.store.migrations).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    column,
    literal,
    select,
    table,
    text,
)

from hanano.store.migration_steps import add_missing_columns
from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_TREE_SCHEMA = MetaData()
Table(
    "merkle_nodes",
    _TREE_SCHEMA,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", _BIG, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

Table(
    "checkpoints",
    _TREE_SCHEMA,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)


def _tree(conn: Connection) -> None:
    """The log's tree: subtree hashes and signed checkpoints."""
    _TREE_SCHEMA.create_all(conn)


# As they were when written.
_WITNESSES_AND_TIME_SCHEMA = MetaData()
Table(
    "witnesses",
    _WITNESSES_AND_TIME_SCHEMA,
    Column("name", String(200), primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("key_name", String(200), nullable=False),
    Column("key_id", _BIG, nullable=False),
    Column("added_seq", _BIG, nullable=False),
)

Table(
    "cosignatures",
    _WITNESSES_AND_TIME_SCHEMA,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("timestamp", _BIG, nullable=False),
    Column("line", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
)

Table(
    "checkpoint_timestamps",
    _WITNESSES_AND_TIME_SCHEMA,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("token", LargeBinary, nullable=False),
    Column("tsa_url", Text, nullable=False),
    Column("gen_time", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
)


def _witnesses_and_time(conn: Connection) -> None:
    """Witnesses, their cosignatures, RFC 3161 timestamps."""
    _WITNESSES_AND_TIME_SCHEMA.create_all(conn)


# As they were when written.
_MEDIA_SCHEMA = MetaData()
Table(
    "media_items",
    _MEDIA_SCHEMA,
    Column("sha256", String(64), primary_key=True),
    Column("seq", _BIG, nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("size", _BIG, nullable=False),
    Column("media_type", String(60), nullable=False),
    Column("captured_at", String(40), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("device_key_id", String(80), nullable=True),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", String(40), nullable=False),
    Index("ix_media_items_incident", "incident_id"),
)

Table(
    "media_custody",
    _MEDIA_SCHEMA,
    Column("seq", _BIG, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("time", String(40), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_media_custody_sha", "sha256", "seq"),
)

Table(
    "media_device_keys",
    _MEDIA_SCHEMA,
    Column("key_id", String(80), primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", String(40), nullable=False),
)


def _media(conn: Connection) -> None:
    """Media originals, their custody, device keys."""
    _MEDIA_SCHEMA.create_all(conn)


# As they were when written.
_LOG_IDENTITY_SCHEMA = MetaData()
Table(
    "log_identity",
    _LOG_IDENTITY_SCHEMA,
    Column("origin", String(200), primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("key_file", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)


def _log_identity(conn: Connection) -> None:
    """The key that signs the log, recorded."""
    _LOG_IDENTITY_SCHEMA.create_all(conn)


def _witness_urls(conn: Connection) -> None:
    """Where each witness is pushed the log's checkpoints (tlog-witness add-checkpoint)."""
    add_missing_columns(conn, (("witnesses", "url", "TEXT"),))


# As they were when written.
_MIRROR_SCHEMA = MetaData()
Table(
    "mirror_state",
    _MIRROR_SCHEMA,
    Column("origin", String(200), primary_key=True),
    Column("primary_url", Text, nullable=False),
    Column("log_key", Text, nullable=False),
    Column("size", _BIG, nullable=False),
    Column("note", Text, nullable=False),
    Column("stored_at", String(40), nullable=False),
    Column("primary_size", _BIG, nullable=False),
    Column("checked_at", String(40), nullable=False),
    Column("cosignature", Text, nullable=True),
    Column("unprojected", _BIG, nullable=False),
)


def _mirror_state(conn: Connection) -> None:
    """What a mirror of another log has stored of it, and how far behind it is."""
    _MIRROR_SCHEMA.create_all(conn)


_MIRROR_BLOBS_SCHEMA = MetaData()
_MIRROR_BLOBS = Table(
    "mirror_blobs",
    _MIRROR_BLOBS_SCHEMA,
    Column("sha256", String(64), primary_key=True),
    Column("seq", _BIG, nullable=False),
    Column("size", _BIG, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("last_tried_at", String(40), nullable=True),
)


def _mirror_blobs(conn: Connection) -> None:
    """The media files a mirror still has to fetch. A mirror made before files followed holds
    none of the files its log names: each is wanted (the store's `media_items` as then)."""
    _MIRROR_BLOBS_SCHEMA.create_all(conn)
    if conn.execute(text("SELECT COUNT(*) FROM mirror_state")).scalar_one():
        conn.execute(
            _MIRROR_BLOBS.insert().from_select(
                ["sha256", "seq", "size", "attempts"],
                select(column("sha256"), column("seq"), column("size"), literal(0)).select_from(
                    table("media_items")
                ),
            )
        )


MIGRATIONS = (
    Migration(1, "the log's tree: subtree hashes, checkpoints", _tree, replaces=(2,)),
    Migration(
        2, "witnesses, cosignatures, RFC 3161 timestamps", _witnesses_and_time, replaces=(6,)
    ),
    Migration(3, "media originals, custody, device keys", _media, replaces=(7,)),
    Migration(4, "the key that signs the log, recorded", _log_identity, replaces=(14,)),
    Migration(5, "witnesses' URLs, for pushing checkpoints", _witness_urls),
    Migration(6, "a mirror's record of the log it follows", _mirror_state),
    Migration(7, "the media files a mirror still has to fetch", _mirror_blobs),
)
