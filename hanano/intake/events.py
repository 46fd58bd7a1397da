"""Events of intake: reports received and linked into one incident per strike."""

from __future__ import annotations

from typing import ClassVar, Literal

from hanano.events import (
    NOBODY,
    OPERATIONAL,
    OPERATIONS,
    OPERATORS,
    Audience,
    Event,
    IncidentStatus,
    ReportKind,
    ReportSource,
    readable_by,
    register,
)


@register
class ReportReceived(Event):
    """A report as its sender gave it. Free text often names victims, so it is sealed."""

    type: ClassVar[str] = "intake.report_received"
    # The idempotency fingerprint is keyed and sealed, and no role reads it: it never leaves the
    # server, so sealed text cannot be confirmed by guessing.
    audience: ClassVar[Audience] = readable_by(
        OPERATIONS,
        fields={"body_hash": NOBODY, "text": OPERATORS | {"team_leader"}},
    )
    sensitive: ClassVar[frozenset[str]] = frozenset({"text", "body_hash"})
    report_id: str
    body_hash: str
    kind: ReportKind
    observed_at: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    text: str | None
    trapped: int | None
    casualties: int | None
    source: ReportSource
    pcode: str | None
    place_precision: Literal["point", "neighbourhood", "none"]
    place_reason: str


@register
class IncidentOpened(Event):
    """A report matched no open incident, so it opens one; `reason` says why nothing matched."""

    type: ClassVar[str] = "intake.incident_opened"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    report_id: str
    reason: str


@register
class ReportLinked(Event):
    """A report joined an open incident; `reason` gives the distance and time that decided it."""

    type: ClassVar[str] = "intake.report_linked"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    report_id: str
    distance_m: float | None
    reason: str


@register
class IncidentStatusChanged(Event):
    type: ClassVar[str] = "intake.incident_status_changed"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    status: IncidentStatus
    previous: IncidentStatus
    reason: str


@register
class IncidentsMerged(Event):
    """A dispatcher judged two incidents to be one strike; the source's reports move over."""

    type: ClassVar[str] = "intake.incidents_merged"
    audience: ClassVar[Audience] = OPERATIONAL
    source_id: str
    target_id: str
    report_ids: list[str]
    reason: str


@register
class IncidentSplit(Event):
    """A dispatcher moved some reports of an incident into a new incident of their own."""

    type: ClassVar[str] = "intake.incident_split"
    audience: ClassVar[Audience] = OPERATIONAL
    incident_id: str
    new_incident_id: str
    report_ids: list[str]
    reason: str
