"""The projection tables of dispatch, declared on the store's shared metadata."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from hanano.store.schema import metadata

teams = Table(
    "dispatch_teams",
    metadata,
    Column("team_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # The name in Arabic, where it was given (the page falls back to `name`).
    Column("name_ar", String(200), nullable=True),
    Column("base_name", Text, nullable=False),
    Column("base_lat", Float, nullable=False),
    Column("base_lon", Float, nullable=False),
    Column("sector", String(20), nullable=False),
    Column("crew", Integer, nullable=False),
    Column("min_crew", Integer, nullable=False),
    Column("capabilities", Text, nullable=False),  # comma-separated, sorted
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

hospitals = Table(
    "dispatch_hospitals",
    metadata,
    Column("hospital_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("updated_at", String(40), nullable=False),
)

tasks = Table(
    "dispatch_tasks",
    metadata,
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
    Column("checkin_acknowledged_at", String(40), nullable=True),
    Column("checkin_acknowledged_by", String(200), nullable=True),
    Column("updated_at", String(40), nullable=False),
    Index("ix_dispatch_tasks_incident", "incident_id"),
    Index("ix_dispatch_tasks_state", "state"),
)

threats = Table(
    "dispatch_threats",
    metadata,
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

pullbacks = Table(
    "dispatch_pullbacks",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("threat_id", String(40), nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("task_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reason_parts", Text, nullable=True),
    Column("issued_at", String(40), nullable=False),
    Column("acknowledged_at", String(40), nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("escalated_at", String(40), nullable=True),
    Column("ended_at", String(40), nullable=True),
    Column("ended_reason", Text, nullable=True),
    Column("reason_ar", Text, nullable=True),
    # The site's probability of a strike that ordered the team back (None: an operator's or a
    # covering threat's order).
    Column("probability", Float, nullable=True),
    Column("ended_reason_parts", Text, nullable=True),
    # Since when the site's probability has stayed below `pullback_end_probability` (None: it
    # has not, or the order is not the engine's); and the ending's reason in Arabic.
    Column("risk_low_since", String(40), nullable=True),
    Column("ended_reason_ar", Text, nullable=True),
)

decisions = Table(
    "dispatch_decisions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("incident_id", String(20), nullable=False),
    Column("team_id", String(40), nullable=False),
    Column("recommended_team_id", String(40), nullable=True),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

worksites = Table(
    "dispatch_worksites",
    metadata,
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

victims = Table(
    "dispatch_victims",
    metadata,
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

# Worksites and victims sent with the sender's own UUID: a resend is answered from here as the
# first sending was, and the same UUID with other content is refused.
client_records = Table(
    "dispatch_client_records",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("incident_id", String(20), nullable=False),
    Column("record_id", String(40), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

# Names and identities of victims, apart from everything else so that no public view can join
# them by accident; the log holds only their commitments.
victim_identities = Table(
    "dispatch_victim_identities",
    metadata,
    Column("victim_id", String(40), primary_key=True),
    Column("name", Text, nullable=True),
    Column("identity", Text, nullable=True),
    Column("note", Text, nullable=True),
)

road_closures = Table(
    "dispatch_road_closures",
    metadata,
    Column("closure_id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("segments", Text, nullable=False),  # JSON [[osm_from, osm_to], ...]
    Column("source", String(20), nullable=False),
    Column("report_id", String(36), nullable=True),
    Column("reason", Text, nullable=False),
    Column("closed_at", String(40), nullable=False),
    Column("reopened_at", String(40), nullable=True),
)

PROJECTIONS = (
    teams,
    hospitals,
    tasks,
    threats,
    pullbacks,
    decisions,
    worksites,
    victims,
    victim_identities,
    road_closures,
)

# The imported road graph is reference data, not a projection: the log records its hash
# (dispatch.roads_imported) and a rebuild leaves it in place.
road_graphs = Table(
    "dispatch_road_graphs",
    metadata,
    Column("graph_id", String(64), primary_key=True),
    Column("source_sha256", String(64), nullable=False),
    Column("nodes", Integer, nullable=False),
    Column("edges", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    # Last, so that reading the other columns never walks the blob's overflow pages.
    Column("data", LargeBinary, nullable=False),
)

ALL_TABLES = (*PROJECTIONS, road_graphs)

# Kept as they are by `hanano store rebuild`: not projections of the log.
road_graphs.info["kept"] = "road graphs are imported from files; the log records their hash"
