"""The dispatch domain's event types."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from hanano.dispatch.common import (
    Capability,
    Duty,
)
from hanano.events import (
    NOBODY,
    OPERATIONAL,
    OPERATIONS,
    OPERATORS,
    Audience,
    Event,
    readable_by,
    register,
)

HospitalKind = Literal["hospital", "field_hospital"]


HospitalStatus = Literal["open", "full", "closed", "destroyed"]


@register
class HospitalRegistered(Event):
    type: ClassVar[str] = "dispatch.hospital_registered"
    audience: ClassVar[Audience] = OPERATIONAL
    # Field hospitals have been bombed once found; their place is kept out of the log's text.
    sensitive: ClassVar[frozenset[str]] = frozenset({"lat", "lon"})
    hospital_id: str
    name: str
    kind: HospitalKind
    lat: float
    lon: float
    status: HospitalStatus


@register
class HospitalStatusChanged(Event):
    type: ClassVar[str] = "dispatch.hospital_status_changed"
    audience: ClassVar[Audience] = OPERATIONAL
    hospital_id: str
    status: HospitalStatus
    previous: HospitalStatus
    reason: str


@register
class RecommendationAccepted(Event):
    type: ClassVar[str] = "dispatch.recommendation_accepted"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    team_id: str
    recommendation: str


@register
class RecommendationOverridden(Event):
    type: ClassVar[str] = "dispatch.recommendation_overridden"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    team_id: str
    recommended_team_id: str | None
    recommendation: str
    reason: str


ClosureSource = Literal["manual", "report", "strike"]


@register
class RoadsImported(Event):
    type: ClassVar[str] = "dispatch.roads_imported"
    audience: ClassVar[Audience] = OPERATIONAL
    graph_id: str
    source_sha256: str
    nodes: int
    edges: int
    source: str


@register
class RoadClosed(Event):
    type: ClassVar[str] = "dispatch.road_closed"
    audience: ClassVar[Audience] = OPERATIONAL
    closure_id: str
    lat: float
    lon: float
    segments: list[list[int]]
    source: ClosureSource
    report_id: str | None
    reason: str


@register
class RoadReopened(Event):
    type: ClassVar[str] = "dispatch.road_reopened"
    audience: ClassVar[Audience] = OPERATIONAL
    closure_id: str
    reason: str


ThreatSource = Literal["manual", "alert"]

# An engine-written reason in parts: a code and its values beside the English `reason`, so the
# operations room words it in its reader's language (events from before it have none). It holds
# nothing the English text does not, so whoever reads the reason reads its parts.
ReasonParts = dict[str, Any]


@register
class ThreatReported(Event):
    """A threat to a place: a point with a radius, or zones: drawn (polygons of [lon, lat]), or
    the city's by P-code (`pcodes`, an alert's zones: their outlines are the city model's)."""

    type: ClassVar[str] = "dispatch.threat_reported"
    # 2: an alert's zones by P-code in `pcodes`, no longer copied into `polygons`, so that a
    # threat over a whole city stays a log entry a mirror's tile can carry. Version 1 entries
    # have no `pcodes`: their zones are all in `polygons`.
    version: ClassVar[int] = 2
    audience: ClassVar[Audience] = readable_by(OPERATIONS, own=frozenset({"spotter"}))
    threat_id: str
    source: ThreatSource
    alert_id: str | None
    lat: float | None
    lon: float | None
    radius_m: float
    polygons: list[list[list[float]]]
    reason: str
    reason_parts: ReasonParts | None = None
    pcodes: list[str] = Field(default_factory=list)


@register
class PullbackOrdered(Event):
    type: ClassVar[str] = "dispatch.pullback_ordered"
    audience: ClassVar[Audience] = OPERATIONAL
    order_id: str
    threat_id: str
    incident_id: str
    team_id: str
    task_id: str
    reason: str
    # Added with the threat model: the reason in Arabic, and the probability of a strike at the
    # site that ordered the team back (None when a threat covering the site did).
    reason_ar: str = ""
    probability: float | None = None
    reason_parts: ReasonParts | None = None


@register
class PullbackAcknowledged(Event):
    type: ClassVar[str] = "dispatch.pullback_acknowledged"
    audience: ClassVar[Audience] = OPERATIONAL
    order_id: str
    team_id: str
    note: str


@register
class PullbackEscalated(Event):
    type: ClassVar[str] = "dispatch.pullback_escalated"
    audience: ClassVar[Audience] = OPERATIONAL
    order_id: str
    team_id: str
    reason: str


@register
class PullbackEnded(Event):
    """A pull-back order no longer stands: its team is safe (free again), its task ended, or
    the risk at its site has passed (its probability stayed low): the team may return."""

    type: ClassVar[str] = "dispatch.pullback_ended"
    audience: ClassVar[Audience] = OPERATIONAL
    order_id: str
    team_id: str
    task_id: str
    reason: str
    reason_parts: ReasonParts | None = None
    # Added when orders came to end as the risk passes: the reason in Arabic ("" before).
    reason_ar: str = ""


@register
class PullbackRiskChanged(Event):
    """A standing pull-back's site crossed `pullback_end_probability`: its probability of a
    strike fell below it (`low`: the order ends once it has stayed below for
    `pullback_end_min`) or rose back to it (the order stands, and the count starts again)."""

    type: ClassVar[str] = "dispatch.pullback_risk_changed"
    audience: ClassVar[Audience] = OPERATIONAL
    order_id: str
    team_id: str
    probability: float
    low: bool


@register
class CheckinOverdue(Event):
    type: ClassVar[str] = "dispatch.checkin_overdue"
    audience: ClassVar[Audience] = OPERATIONAL
    task_id: str
    team_id: str
    incident_id: str
    reason: str


@register
class CheckinAlarmAcknowledged(Event):
    """A person saw a team's check-in alarm and answers for it: every operations room stops
    sounding it. The team is still silent; another interval of silence raises a new alarm."""

    type: ClassVar[str] = "dispatch.checkin_alarm_acknowledged"
    audience: ClassVar[Audience] = OPERATIONAL
    task_id: str
    team_id: str
    note: str


TaskState = Literal[
    "assigned",
    "en_route",
    "on_scene",
    "transporting",
    "at_hospital",
    "returning",
    "available",
    "withdrawn",
]


@register
class TaskAssigned(Event):
    type: ClassVar[str] = "dispatch.task_assigned"
    audience: ClassVar[Audience] = OPERATIONAL
    task_id: str
    team_id: str
    incident_id: str
    reason: str


@register
class TaskTransitioned(Event):
    type: ClassVar[str] = "dispatch.task_transitioned"
    audience: ClassVar[Audience] = OPERATIONAL
    task_id: str
    team_id: str
    incident_id: str
    state: TaskState
    previous: TaskState
    hospital_id: str | None
    reason: str


@register
class TeamCheckedIn(Event):
    """A team on scene said it is safe; silence past the interval raises an alarm."""

    type: ClassVar[str] = "dispatch.team_checked_in"
    audience: ClassVar[Audience] = OPERATIONAL
    task_id: str
    team_id: str
    note: str


# A rescuer named is a rescuer found: only the operators read who leads a team.
LEADER_NAMED = readable_by(OPERATIONS, fields={"leader": OPERATORS})


@register
class TeamRegistered(Event):
    type: ClassVar[str] = "dispatch.team_registered"
    audience: ClassVar[Audience] = LEADER_NAMED
    sensitive: ClassVar[frozenset[str]] = frozenset({"base_lat", "base_lon", "leader"})
    team_id: str
    name: str
    base_name: str
    base_lat: float
    base_lon: float
    sector: str
    crew: int
    min_crew: int
    capabilities: list[Capability]
    vehicle: str
    leader: str | None
    name_ar: str | None = None


@register
class TeamUpdated(Event):
    """Changed particulars of a team; fields left out stay as they were."""

    type: ClassVar[str] = "dispatch.team_updated"
    audience: ClassVar[Audience] = LEADER_NAMED
    sensitive: ClassVar[frozenset[str]] = frozenset({"leader"})
    team_id: str
    crew: int | None = None
    min_crew: int | None = None
    capabilities: list[Capability] | None = None
    vehicle: str | None = None
    sector: str | None = None
    leader: str | None = None
    name_ar: str | None = None


@register
class TeamDutyChanged(Event):
    type: ClassVar[str] = "dispatch.team_duty_changed"
    audience: ClassVar[Audience] = OPERATIONAL
    team_id: str
    duty: Duty
    previous: Duty
    reason: str


@register
class TeamPositionReported(Event):
    """Where a team leader's phone was; counts as a check-in for a team on scene."""

    type: ClassVar[str] = "dispatch.team_position_reported"
    audience: ClassVar[Audience] = OPERATIONAL
    sensitive: ClassVar[frozenset[str]] = frozenset({"lat", "lon", "accuracy_m"})
    team_id: str
    task_id: str | None
    lat: float
    lon: float
    accuracy_m: float | None
    observed_at: str


Category = Literal["A", "B", "C", "D", "E", "F"]


VictimStatus = Literal["trapped", "extracted_alive", "dead"]


Triage = Literal["red", "yellow", "green", "black"]


# Victims' names and identities are read by the operators only, and only on request.
VICTIM_NAMED = readable_by(OPERATIONS, fields=dict.fromkeys(("name", "identity"), OPERATORS))
# A record sent with the sender's own UUID carries its idempotency fingerprint, keyed and sealed
# and read by no role, as a report's is (hanano.store.fingerprint).
FROM_FIELD = {"body_hash": NOBODY}


@register
class WorksiteOpened(Event):
    type: ClassVar[str] = "dispatch.worksite_opened"
    audience: ClassVar[Audience] = readable_by(OPERATIONS, fields=FROM_FIELD)
    sensitive: ClassVar[frozenset[str]] = frozenset({"lat", "lon", "body_hash"})
    incident_id: str
    worksite_id: str
    category: Category
    hazards: list[str]
    operations: list[str]
    lat: float | None
    lon: float | None
    note: str
    client_id: str | None = None
    body_hash: str | None = None


@register
class WorksiteUpdated(Event):
    type: ClassVar[str] = "dispatch.worksite_updated"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    worksite_id: str
    category: Category | None
    hazards: list[str] | None
    operations: list[str] | None
    reason: str


@register
class VictimRecorded(Event):
    type: ClassVar[str] = "dispatch.victim_recorded"
    # A note from the rubble often says who the victim is ("the baker's son"): it is sealed and
    # read as the name is.
    audience: ClassVar[Audience] = readable_by(
        OPERATIONS, fields={**VICTIM_NAMED.fields, "note": OPERATORS, **FROM_FIELD}
    )
    sensitive: ClassVar[frozenset[str]] = frozenset({"name", "identity", "note", "body_hash"})
    victim_id: str
    incident_id: str
    worksite_id: str | None
    status: VictimStatus
    triage: Triage | None
    hospital_id: str | None
    name: str | None
    identity: str | None
    note: str | None = None
    client_id: str | None = None
    body_hash: str | None = None


@register
class VictimUpdated(Event):
    type: ClassVar[str] = "dispatch.victim_updated"
    audience: ClassVar[Audience] = VICTIM_NAMED
    sensitive: ClassVar[frozenset[str]] = frozenset({"name", "identity"})
    victim_id: str
    status: VictimStatus
    previous: VictimStatus
    triage: Triage | None
    hospital_id: str | None
    name: str | None
    identity: str | None
