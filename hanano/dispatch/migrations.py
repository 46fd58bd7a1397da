"""The dispatch domain's migrations.

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
)

from hanano.store.migration_steps import add_missing_columns, pad_short_years
from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_DISPATCH_SCHEMA = MetaData()
Table(
    "dispatch_teams",
    _DISPATCH_SCHEMA,
    Column("team_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("base_name", Text, nullable=False),
    Column("base_lat", Float, nullable=False),
    Column("base_lon", Float, nullable=False),
    Column("sector", String(20), nullable=False),
    Column("crew", Integer, nullable=False),
    Column("min_crew", Integer, nullable=False),
    Column("capabilities", Text, nullable=False),
    Column("vehicle", Text, nullable=False),
    Column("leader", Text, nullable=True),
    Column("duty", String(20), nullable=False),
    Column("duty_since", String(40), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("position_at", String(40), nullable=True),
    Column("task_id", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

Table(
    "dispatch_hospitals",
    _DISPATCH_SCHEMA,
    Column("hospital_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("updated_at", String(40), nullable=False),
)

Table(
    "dispatch_tasks",
    _DISPATCH_SCHEMA,
    Column("task_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("team_id", String(40), nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("hospital_id", String(40), nullable=True),
    Column("assigned_at", String(40), nullable=False),
    Column("en_route_at", String(40), nullable=True),
    Column("on_scene_at", String(40), nullable=True),
    Column("transporting_at", String(40), nullable=True),
    Column("at_hospital_at", String(40), nullable=True),
    Column("returning_at", String(40), nullable=True),
    Column("ended_at", String(40), nullable=True),
    Column("reason", Text, nullable=False),
    Column("last_checkin_at", String(40), nullable=True),
    Column("checkin_alarm_at", String(40), nullable=True),
    Column("updated_at", String(40), nullable=False),
    Index("ix_dispatch_tasks_incident", "incident_id"),
    Index("ix_dispatch_tasks_state", "state"),
)

Table(
    "dispatch_threats",
    _DISPATCH_SCHEMA,
    Column("threat_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("source", String(20), nullable=False),
    Column("alert_id", String(100), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("radius_m", Float, nullable=False),
    Column("polygon", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("issued_at", String(40), nullable=False),
)

Table(
    "dispatch_pullbacks",
    _DISPATCH_SCHEMA,
    Column("order_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("threat_id", String(40), nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("task_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("issued_at", String(40), nullable=False),
    Column("acknowledged_at", String(40), nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("escalated_at", String(40), nullable=True),
)

Table(
    "dispatch_decisions",
    _DISPATCH_SCHEMA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("incident_id", String(20), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("recommended_team_id", String(40), nullable=True),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

Table(
    "dispatch_worksites",
    _DISPATCH_SCHEMA,
    Column("incident_id", String(20), primary_key=True),
    Column("worksite_id", String(10), primary_key=True),
    Column("category", String(1), nullable=False),
    Column("hazards", Text, nullable=False),
    Column("operations", Text, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

Table(
    "dispatch_victims",
    _DISPATCH_SCHEMA,
    Column("victim_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("incident_id", String(20), nullable=False),
    Column("worksite_id", String(10), nullable=True),
    Column("status", String(20), nullable=False),
    Column("triage", String(10), nullable=True),
    Column("hospital_id", String(40), nullable=True),
    Column("mark", String(20), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Index("ix_dispatch_victims_incident", "incident_id"),
)

Table(
    "dispatch_victim_identities",
    _DISPATCH_SCHEMA,
    Column("victim_id", String(40), primary_key=True),
    Column("name", Text, nullable=True),
    Column("identity", Text, nullable=True),
)

Table(
    "dispatch_road_closures",
    _DISPATCH_SCHEMA,
    Column("closure_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("segments", Text, nullable=False),
    Column("source", String(20), nullable=False),
    Column("report_id", String(36), nullable=True),
    Column("reason", Text, nullable=False),
    Column("closed_at", String(40), nullable=False),
    Column("reopened_at", String(40), nullable=True),
)

Table(
    "dispatch_road_graphs",
    _DISPATCH_SCHEMA,
    Column("graph_id", String(64), primary_key=True),
    Column("source_sha256", String(64), nullable=False),
    Column("nodes", Integer, nullable=False),
    Column("edges", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),
)


def _dispatch(conn: Connection) -> None:
    """Teams, hospitals, tasks, threats, pull-backs, decisions, worksites, victims, roads."""
    _DISPATCH_SCHEMA.create_all(conn)


def _four_digit_years(conn: Connection) -> None:
    pad_short_years(conn, (("dispatch_teams", "position_at"),))


def _pullback_end(conn: Connection) -> None:
    add_missing_columns(
        conn,
        (
            ("dispatch_pullbacks", "ended_at", "VARCHAR(40)"),
            ("dispatch_pullbacks", "ended_reason", "TEXT"),
        ),
    )


def _arabic_team_names(conn: Connection) -> None:
    add_missing_columns(conn, (("dispatch_teams", "name_ar", "VARCHAR(200)"),))


def _pullback_reasons(conn: Connection) -> None:
    """A pull-back's reason in Arabic and the probability that ordered it."""
    add_missing_columns(
        conn,
        (
            ("dispatch_pullbacks", "reason_ar", "TEXT"),
            ("dispatch_pullbacks", "probability", "FLOAT"),
        ),
    )


def _checkin_acknowledged(conn: Connection) -> None:
    add_missing_columns(
        conn,
        (
            ("dispatch_tasks", "checkin_acknowledged_at", "VARCHAR(40)"),
            ("dispatch_tasks", "checkin_acknowledged_by", "VARCHAR(200)"),
        ),
    )


def _reasons_in_parts(conn: Connection) -> None:
    add_missing_columns(
        conn,
        (
            ("dispatch_pullbacks", "reason_parts", "TEXT"),
            ("dispatch_pullbacks", "ended_reason_parts", "TEXT"),
        ),
    )


def _risk_passes(conn: Connection) -> None:
    """Pull-backs that end when their site's risk has passed, and say so in Arabic."""
    add_missing_columns(
        conn,
        (
            ("dispatch_pullbacks", "risk_low_since", "VARCHAR(40)"),
            ("dispatch_pullbacks", "ended_reason_ar", "TEXT"),
        ),
    )


# As it was when written.
_CLIENT_RECORDS = MetaData()
Table(
    "dispatch_client_records",
    _CLIENT_RECORDS,
    Column("client_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("record_id", String(40), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("seq", _BIG, nullable=False),
)


def _client_records(conn: Connection) -> None:
    """Worksites and victims sent with the sender's own UUID, so a resend writes nothing; a
    victim's note, kept with the name."""
    _CLIENT_RECORDS.create_all(conn)
    add_missing_columns(conn, (("dispatch_victim_identities", "note", "TEXT"),))


MIGRATIONS = (
    Migration(1, "teams, tasks, worksites, victims, roads", _dispatch, replaces=(3,)),
    Migration(2, "four-digit years", _four_digit_years, replaces=(15,)),
    Migration(3, "pull-back orders end when their team is safe", _pullback_end),
    Migration(4, "teams' names in Arabic", _arabic_team_names),
    Migration(5, "pull-backs' reasons in Arabic, their probability", _pullback_reasons),
    Migration(6, "check-in alarms acknowledged", _checkin_acknowledged),
    Migration(7, "pull-back reasons in parts, for the reader's language", _reasons_in_parts),
    Migration(8, "pull-backs end when the risk has passed", _risk_passes),
    Migration(9, "worksites and victims by the sender's UUID; victims' notes", _client_records),
)
