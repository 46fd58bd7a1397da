"""Tables of the evidence log: subtree hashes, signed checkpoints, cosignatures, timestamps.

Subtree hashes and checkpoints are part of the log, not projections: `hanano log verify`
recomputes them from the events. Those `rebuild` keeps say why, at the end; the others
(witnesses, media originals and their custody) are projections.
"""

from sqlalchemy import BigInteger, Column, Float, Index, Integer, LargeBinary, String, Table, Text

from hanano.store.schema import metadata

_BIG = BigInteger().with_variant(Integer, "sqlite")

# The hash of every complete subtree: level L, index i covers leaves [i*2^L, (i+1)*2^L).
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", _BIG, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

EVIDENCE_TABLES = (merkle_nodes, checkpoints)

# Which key signs this log, written once when the log begins: a process that finds another key
# (or none) where the key should be stops, rather than signing with a new one.
log_identity = Table(
    "log_identity",
    metadata,
    Column("origin", String(200), primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("key_file", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# Witnesses the log accepts cosignatures from: a projection of `evidence.witness_added` events.
witnesses = Table(
    "witnesses",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("key_name", String(200), nullable=False),
    Column("key_id", _BIG, nullable=False),
    Column("added_seq", _BIG, nullable=False),
    # Where the log pushes its checkpoints to be cosigned (tlog-witness); None: the witness pulls.
    Column("url", Text, nullable=True),
)

# Cosignatures arrive from outside and are not events: logging each would make a new checkpoint
# that needs cosigning in turn. Each is checked against a registered witness key before storing.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("timestamp", _BIG, nullable=False),
    Column("line", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
)

# RFC 3161 timestamp tokens over checkpoints (message imprint: SHA-256 of the note body).
checkpoint_timestamps = Table(
    "checkpoint_timestamps",
    metadata,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("token", LargeBinary, nullable=False),
    Column("tsa_url", Text, nullable=False),
    Column("gen_time", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
)

WITNESS_AND_TIME_TABLES = (witnesses, cosignatures, checkpoint_timestamps)


media_items = Table(
    "media_items",
    metadata,
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


media_custody = Table(
    "media_custody",
    metadata,
    Column("seq", _BIG, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("time", String(40), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_media_custody_sha", "sha256", "seq"),
)


media_device_keys = Table(
    "media_device_keys",
    metadata,
    Column("key_id", String(80), primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", String(40), nullable=False),
)

# On a mirror only: the log it follows (origin, primary, the log's verifier key), the signed
# checkpoint it last stored, and the primary's size when it last looked.
mirror_state = Table(
    "mirror_state",
    metadata,
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

# On a mirror only: the media originals its log names (`evidence.media_added`) that it does not
# hold yet, each with its logged size, how often it was asked for and why the last try failed.
mirror_blobs = Table(
    "mirror_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("seq", _BIG, nullable=False),
    Column("size", _BIG, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("last_tried_at", String(40), nullable=True),
)

# Kept as they are by `hanano store rebuild`: not projections of the log.
merkle_nodes.info["kept"] = "the log's own tree, computed from the leaves, not from replayed events"
checkpoints.info["kept"] = "signed checkpoints are the log's own record; a replay cannot sign them"
log_identity.info["kept"] = "the key that signs the log, recorded once"
cosignatures.info["kept"] = "witnesses' cosignatures arrive from outside the log"
checkpoint_timestamps.info["kept"] = "RFC 3161 tokens arrive from outside the log"
mirror_state.info["kept"] = "what a mirror fetched and checked of its primary's log"
mirror_blobs.info["kept"] = "which files a mirror still has to fetch: the log cannot say"
