"""Projection tables of early warning, on the shared metadata, and the migration creating them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hanano.store.schema import metadata

SEQ = BigInteger().with_variant(Integer, "sqlite")

posts = Table(
    "warning_posts",
    metadata,
    Column("post_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # "post" or "base"
    Column("name", Text, nullable=True),
    Column("name_ar", Text, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("registered_at", String(40), nullable=False),
)

sightings = Table(
    "warning_sightings",
    metadata,
    Column("sighting_id", String(36), primary_key=True),
    Column("seq", SEQ, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("observed_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("source", String(10), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("aircraft", String(20), nullable=False),
    Column("activity", String(20), nullable=False),
    Column("post_id", String(40), nullable=True),
    Column("base_id", String(40), nullable=True),
    Column("pcode", String(20), nullable=True),
    Column("bearing_deg", Float, nullable=True),
    Column("heading_deg", Float, nullable=True),
    Column("distance_km", Float, nullable=True),
    Column("altitude_m", Float, nullable=True),
    Column("est_lat", Float, nullable=False),
    Column("est_lon", Float, nullable=False),
    Column("est_sigma_m", Float, nullable=False),
    Column("est_reason", Text, nullable=False),
    Column("track_id", String(20), nullable=True),
    Column("track_reason", Text, nullable=True),
    Column("actor", String(200), nullable=False),
)

tracks = Table(
    "warning_tracks",
    metadata,
    Column("track_id", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("aircraft", String(20), nullable=False),
    Column("status", String(10), nullable=False),  # live or ended
    Column("started_at", String(40), nullable=False),
    Column("at", String(40), nullable=False),
    Column("state", Text, nullable=False),
    Column("cov", Text, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_mps", Float, nullable=False),
    Column("heading_deg", Float, nullable=True),
    Column("sigma_m", Float, nullable=False),
    Column("circling", Integer, nullable=False),
    Column("activity", String(20), nullable=False),
    Column("overhead_pcode", String(20), nullable=True),
    Column("sighting_count", Integer, nullable=False),
    Column("ended_at", String(40), nullable=True),
    Column("end_reason", Text, nullable=True),
    Index("ix_warning_tracks_status", "status"),
)

# One row per live threat: the zones it names, as the event gave them (canonical JSON), so an
# assessment of a hundred zones writes one row.
threats = Table(
    "warning_threats",
    metadata,
    Column("threat_id", String(60), primary_key=True),
    Column("zones", Text, nullable=False),
    Column("zone_count", Integer, nullable=False),
    Column("assessed_at", String(40), nullable=False),
    # The track's model for places other than zones (threat_model.SiteModel), as JSON.
    Column("model", Text, nullable=True),
    # Why the threat stands where it does, in English and in parts (JSON) for the room's words.
    Column("reason", Text, nullable=True),
    Column("reason_parts", Text, nullable=True),
)

zone_state = Table(
    "warning_zone_state",
    metadata,
    Column("pcode", String(20), primary_key=True),
    Column("level", String(10), nullable=False),  # watch, warning, imminent, or none
    Column("alert_id", String(20), nullable=True),
    Column("since", String(40), nullable=True),
    Column("last_threat_at", String(40), nullable=True),
    # Last time a threat named the zone at its alerted level or above.
    Column("peak_at", String(40), nullable=True),
    # The live threats' combined probability of a strike here within the warning horizon, and
    # the threat (a track's id, or a foreign alert's) that gives it most.
    Column("probability", Float, nullable=True),
    Column("threat_id", String(60), nullable=True),
)

alerts = Table(
    "warning_alerts",
    metadata,
    Column("alert_id", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("seq", SEQ, nullable=False),
    Column("level", String(10), nullable=False),
    Column("msg_type", String(10), nullable=False),
    Column("sent", String(40), nullable=False),
    Column("expires", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_warning_alerts_sent", "sent"),
)

sirens = Table(
    "warning_sirens",
    metadata,
    Column("siren_id", String(60), primary_key=True),
    Column("pcodes", Text, nullable=False),
    Column("registered_at", String(40), nullable=False),
)

foreign_alerts = Table(
    "warning_foreign_alerts",
    metadata,
    Column("foreign_id", String(80), primary_key=True),
    Column("sender", Text, nullable=False),
    Column("identifier", Text, nullable=False),
    Column("sent", String(40), nullable=True),
    Column("expires", String(40), nullable=True),
    Column("msg_type", String(20), nullable=False),
    Column("urgency", String(20), nullable=True),
    Column("severity", String(20), nullable=True),
    Column("headline", Text, nullable=True),
    Column("pcodes", Text, nullable=False),
    Column("received_at", String(40), nullable=False),
    # The SHA-256 of the certificate its signature verified with (migration 16); None: unsigned.
    Column("signed_by", String(64), nullable=True),
)

TABLES = (posts, sightings, tracks, threats, zone_state, alerts, sirens, foreign_alerts)


feeds = Table(
    "warning_feeds",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("cert_pem", Text, nullable=True),
    Column("cert_sha256", String(64), nullable=True),
)


feed_state = Table(
    "warning_feed_state",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("checked_at", String(40), nullable=True),
    Column("ok_at", String(40), nullable=True),
    Column("status", String(20), nullable=True),
    Column("error", Text, nullable=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
)


feed_items = Table(
    "warning_feed_items",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("url_sha256", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("read_at", String(40), nullable=False),
)


deliveries = Table(
    "warning_deliveries",
    metadata,
    Column("delivery_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("target", Text, nullable=False),
    Column("alert_id", String(20), nullable=False),
    # The AlertIssued event's place in the log: deliveries to one target go in this order.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("next_attempt_at", String(40), nullable=True),
    Column("last_attempt_at", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", String(40), nullable=True),
    Column("gave_up_at", String(40), nullable=True),
    UniqueConstraint("channel", "target", "alert_id", name="uq_warning_deliveries"),
    Index("ix_warning_deliveries_due", "delivered_at", "gave_up_at", "next_attempt_at"),
)


refused_alerts = Table(
    "warning_foreign_refused",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=False),
    Column("source", String(20), nullable=False),
    Column("feed_id", String(40), nullable=True),
    Column("url", Text, nullable=True),
    Column("document_sha256", String(64), nullable=False),
    Column("cert_sha256", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("claimed_sender", Text, nullable=True),
    Column("claimed_identifier", Text, nullable=True),
    Column("refused_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Index("ix_warning_foreign_refused_feed", "feed_id", "document_sha256"),
)

# Kept as they are by `hanano store rebuild`: not projections of the log.
feed_state.info["kept"] = "how each feed's last fetch went: the poller's own state"
feed_items.info["kept"] = "which items of a feed were read: the poller's own state"
deliveries.info["kept"] = "the outbox of alert deliveries, with their attempts"
