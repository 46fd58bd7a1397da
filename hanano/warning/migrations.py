"""The early-warning domain's migrations.

Frozen at their numbers: each says the schema as it was when written (see hanano.store.migrations).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hanano.store.migration_steps import add_missing_columns, pad_short_years
from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_WARNING_SCHEMA = MetaData()
Table(
    "warning_posts",
    _WARNING_SCHEMA,
    Column("post_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", Text, nullable=True),
    Column("name_ar", Text, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("registered_at", String(40), nullable=False),
)

Table(
    "warning_sightings",
    _WARNING_SCHEMA,
    Column("sighting_id", String(36), primary_key=True),
    Column("seq", _BIG, nullable=False),
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

Table(
    "warning_tracks",
    _WARNING_SCHEMA,
    Column("track_id", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("aircraft", String(20), nullable=False),
    Column("status", String(10), nullable=False),
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

Table(
    "warning_threats",
    _WARNING_SCHEMA,
    Column("threat_id", String(60), primary_key=True),
    Column("zones", Text, nullable=False),
    Column("zone_count", Integer, nullable=False),
    Column("assessed_at", String(40), nullable=False),
)

Table(
    "warning_zone_state",
    _WARNING_SCHEMA,
    Column("pcode", String(20), primary_key=True),
    Column("level", String(10), nullable=False),
    Column("alert_id", String(20), nullable=True),
    Column("since", String(40), nullable=True),
    Column("last_threat_at", String(40), nullable=True),
    Column("peak_at", String(40), nullable=True),
)

Table(
    "warning_alerts",
    _WARNING_SCHEMA,
    Column("alert_id", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("seq", _BIG, nullable=False),
    Column("level", String(10), nullable=False),
    Column("msg_type", String(10), nullable=False),
    Column("sent", String(40), nullable=False),
    Column("expires", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_warning_alerts_sent", "sent"),
)

Table(
    "warning_sirens",
    _WARNING_SCHEMA,
    Column("siren_id", String(60), primary_key=True),
    Column("pcodes", Text, nullable=False),
    Column("registered_at", String(40), nullable=False),
)

Table(
    "warning_foreign_alerts",
    _WARNING_SCHEMA,
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
)


def _warning(conn: Connection) -> None:
    """Posts, sightings, tracks, threats, zone states, alerts, sirens, foreign alerts."""
    _WARNING_SCHEMA.create_all(conn)


# As they were when written.
_DELIVERIES_AND_FEEDS_SCHEMA = MetaData()
Table(
    "warning_deliveries",
    _DELIVERIES_AND_FEEDS_SCHEMA,
    Column("delivery_id", _BIG, primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("target", Text, nullable=False),
    Column("alert_id", String(20), nullable=False),
    Column("seq", _BIG, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("next_attempt_at", String(40), nullable=True),
    Column("last_attempt_at", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", String(40), nullable=True),
    Column("gave_up_at", String(40), nullable=True),
    Index("ix_warning_deliveries_due", "delivered_at", "gave_up_at", "next_attempt_at"),
    UniqueConstraint("channel", "target", "alert_id", name="uq_warning_deliveries"),
)

Table(
    "warning_feeds",
    _DELIVERIES_AND_FEEDS_SCHEMA,
    Column("feed_id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
)

Table(
    "warning_feed_state",
    _DELIVERIES_AND_FEEDS_SCHEMA,
    Column("feed_id", String(40), primary_key=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("checked_at", String(40), nullable=True),
    Column("ok_at", String(40), nullable=True),
    Column("status", String(20), nullable=True),
    Column("error", Text, nullable=True),
    Column("failures", Integer, nullable=False),
    Column("imported", Integer, nullable=False),
)

Table(
    "warning_feed_items",
    _DELIVERIES_AND_FEEDS_SCHEMA,
    Column("feed_id", String(40), primary_key=True),
    Column("url_sha256", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("read_at", String(40), nullable=False),
)


def _deliveries_and_feeds(conn: Connection) -> None:
    """The delivery outbox and foreign CAP feeds."""
    _DELIVERIES_AND_FEEDS_SCHEMA.create_all(conn)


# As they were when written.
_REFUSED_ALERTS_SCHEMA = MetaData()
Table(
    "warning_foreign_refused",
    _REFUSED_ALERTS_SCHEMA,
    Column("seq", _BIG, primary_key=True, autoincrement=False),
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


def _refused_alerts(conn: Connection) -> None:
    """Foreign alerts refused, with the reason."""
    _REFUSED_ALERTS_SCHEMA.create_all(conn)


def _four_digit_years(conn: Connection) -> None:
    pad_short_years(
        conn,
        (
            ("warning_sightings", "observed_at"),
            ("warning_tracks", "started_at"),
            ("warning_tracks", "at"),
            ("warning_foreign_alerts", "sent"),
            ("warning_foreign_alerts", "expires"),
        ),
    )


def _signed_feeds(conn: Connection) -> None:
    """Feeds' signing certificates, the certificate each foreign alert was signed with, and
    refused alerts."""
    add_missing_columns(
        conn,
        (
            ("warning_feeds", "cert_pem", "TEXT"),
            ("warning_feeds", "cert_sha256", "VARCHAR(64)"),
            ("warning_foreign_alerts", "signed_by", "VARCHAR(64)"),
        ),
    )
    _refused_alerts(conn)


def _zone_probabilities(conn: Connection) -> None:
    """Each zone's combined probability of a strike within the warning horizon and the threat
    that gives it most."""
    add_missing_columns(
        conn,
        (
            ("warning_zone_state", "probability", "FLOAT"),
            ("warning_zone_state", "threat_id", "VARCHAR(60)"),
        ),
    )


def _site_models(conn: Connection) -> None:
    """Each live threat's model, from which a rescue site gets its own probability."""
    add_missing_columns(conn, (("warning_threats", "model", "TEXT"),))


def _threat_reasons(conn: Connection) -> None:
    """Each live threat's reason, in English and in parts, for the room's track detail."""
    add_missing_columns(
        conn, (("warning_threats", "reason", "TEXT"), ("warning_threats", "reason_parts", "TEXT"))
    )


def _sightings_by_track_and_base(conn: Connection) -> None:
    # A take-off's track and its base's past tracks are looked up on each assessment of a track
    # known only by its take-off (sortie_ways.py): without these, a scan of every sighting.
    for name, columns in (("track", "track_id"), ("base", "base_id, activity")):
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS ix_warning_sightings_{name} "
            f"ON warning_sightings ({columns})"
        )


MIGRATIONS = (
    Migration(1, "posts, sightings, tracks, alerts, channels", _warning, replaces=(4,)),
    Migration(2, "delivery outbox, foreign CAP feeds", _deliveries_and_feeds, replaces=(10,)),
    Migration(3, "four-digit years", _four_digit_years, replaces=(15,)),
    Migration(4, "feeds' signing certificates, refused alerts", _signed_feeds, replaces=(16,)),
    Migration(5, "zones' threat probabilities", _zone_probabilities),
    Migration(6, "threats' models, for rescue sites' probabilities", _site_models),
    Migration(7, "threats' reasons in parts, for the reader's language", _threat_reasons),
    Migration(8, "sightings by track and by base", _sightings_by_track_and_base),
)
