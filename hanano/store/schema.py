"""Tables of the store. `events` and `sealed_fields` are the truth; the rest are projections."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("time", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
)

# Plaintext of sensitive fields; a NULL salt means the field was erased.
sealed_fields = Table(
    "sealed_fields",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("events.seq"),
        primary_key=True,
    ),
    Column("field", String(100), primary_key=True),
    Column("salt", LargeBinary, nullable=True),
    Column("value", Text, nullable=True),
    Column("erased_at", String(40), nullable=True),
)

# --- projections ----------------------------------------------------------------------------

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

neighbourhoods = Table(
    "neighbourhoods",
    metadata,
    Column("pcode", String(20), primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ar", Text, nullable=False),
    Column("geometry", Text, nullable=False),
    Column("centroid_lat", Float, nullable=False),
    Column("centroid_lon", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
)

aliases = Table(
    "aliases",
    metadata,
    Column("alias", Text, primary_key=True),
    Column("pcode", String(20), primary_key=True),
)

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("uncertainty_m", Float, nullable=True),
    Column("place_precision", String(20), nullable=False),
    Column("pcode", String(20), nullable=True),
    Column("report_count", Integer, nullable=False),
    Column("trapped", Integer, nullable=True),
    Column("casualties", Integer, nullable=True),
    # The earliest and latest times the reports claim to have observed the strike at.
    Column("first_report_at", String(40), nullable=False),
    Column("last_report_at", String(40), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("cleared_at", String(40), nullable=True),
    Column("merged_into", String(20), nullable=True),
    # When the server received the first of its reports (the log's time, which no client
    # chooses): the public delay counts from it. Added by migration 14, hence last and nullable.
    Column("first_received_at", String(40), nullable=True),
    Index("ix_incidents_status_last", "status", "last_report_at"),
    Index("ix_incidents_pcode", "pcode"),
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("incident_id", String(20), nullable=True),
    Column("linked_incident_id", String(20), nullable=True),
    Column("link_reason", Text, nullable=True),
    Column("kind", String(20), nullable=False),
    Column("observed_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("accuracy_m", Float, nullable=True),
    Column("text", Text, nullable=True),
    Column("trapped", Integer, nullable=True),
    Column("casualties", Integer, nullable=True),
    Column("source", String(20), nullable=False),
    Column("pcode", String(20), nullable=True),
    Column("place_precision", String(20), nullable=False),
    Column("place_reason", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Index("ix_reports_incident", "incident_id"),
)

for _table in (tokens, neighbourhoods, aliases, incidents, reports):
    _table.info["projection"] = True


def projection_tables() -> list[Table]:
    """Every table marked as a projection (info={"projection": True}), parents first.

    Domain modules declare their own tables on this metadata; load them first
    (`hanano.domains.load_domains`).
    """
    return [t for t in metadata.sorted_tables if t.info.get("projection")]
