"""Intake's tables: incidents and the reports linked into them."""

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from hanano.store.schema import metadata

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
