"""The intake domain's migrations.

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
)

from hanano.store.migration_steps import add_missing_columns, pad_short_years
from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_INCIDENTS_AND_REPORTS_SCHEMA = MetaData()
Table(
    "incidents",
    _INCIDENTS_AND_REPORTS_SCHEMA,
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
    Column("first_report_at", String(40), nullable=False),
    Column("last_report_at", String(40), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("cleared_at", String(40), nullable=True),
    Column("merged_into", String(20), nullable=True),
    Index("ix_incidents_pcode", "pcode"),
    Index("ix_incidents_status_last", "status", "last_report_at"),
)

Table(
    "reports",
    _INCIDENTS_AND_REPORTS_SCHEMA,
    Column("report_id", String(36), primary_key=True),
    Column("seq", _BIG, nullable=False),
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


def _incidents_and_reports(conn: Connection) -> None:
    """Incidents and the reports linked into them."""
    _INCIDENTS_AND_REPORTS_SCHEMA.create_all(conn)


def _incidents_by_latitude(conn: Connection) -> None:
    # Linking looks for open incidents within a box around each report.
    conn.exec_driver_sql("CREATE INDEX ix_incidents_lat ON incidents (lat)")


def _incidents_by_zone_and_time(conn: Connection) -> None:
    # Text-only reports look for the latest live incident in their zone.
    conn.exec_driver_sql("CREATE INDEX ix_incidents_zone_time ON incidents (pcode, last_report_at)")


def _delay_from_receipt(conn: Connection) -> None:
    # The public delay counted from the earliest time a report claimed, which a backdated report
    # moves at will; it now counts from when the server received the first report.
    add_missing_columns(conn, (("incidents", "first_received_at", "VARCHAR(40)"),))
    pad_short_years(conn, (("reports", "observed_at"),))
    # As the projection computes them. An incident merged into another holds no reports any
    # more; it is never shown to the public, and keeps its opening time.
    conn.exec_driver_sql(
        "UPDATE incidents SET "
        "first_received_at = COALESCE((SELECT MIN(r.received_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), opened_at), "
        "first_report_at = COALESCE((SELECT MIN(r.observed_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), first_report_at), "
        "last_report_at = COALESCE((SELECT MAX(r.observed_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), last_report_at)"
    )


MIGRATIONS = (
    Migration(1, "incidents and reports", _incidents_and_reports, replaces=(1,)),
    Migration(2, "incidents indexed by latitude", _incidents_by_latitude, replaces=(5,)),
    Migration(3, "incidents indexed by zone and time", _incidents_by_zone_and_time, replaces=(9,)),
    Migration(
        4, "public delay from receipt, four-digit years", _delay_from_receipt, replaces=(15,)
    ),
)
