"""The event types: the vocabulary of the whole system.

Each event is a typed, versioned record. Fields named in `sensitive` enter the log only as salted
commitments; their plaintext lives apart so it can be disclosed one field at a time or erased
without breaking the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["admin", "dispatcher", "team_leader", "spotter", "reporter", "auditor", "public"]
ROLES: tuple[Role, ...] = (
    "admin",
    "dispatcher",
    "team_leader",
    "spotter",
    "reporter",
    "auditor",
    "public",
)
ReportKind = Literal["strike", "collapse", "fire", "casualties", "trapped", "blocked_road", "other"]
ReportSource = Literal["citizen", "spotter", "team", "hospital", "radio_log"]
IncidentStatus = Literal["open", "responding", "cleared", "closed"]


# Who runs the operation and who reviews it. Team leaders work beside the dispatchers; auditors
# read the log. The reporter, public and spotter roles are handed to people outside the team,
# so their tokens are the ones an adversary is likeliest to hold.
OPERATORS: frozenset[Role] = frozenset({"admin", "dispatcher"})
OPERATIONS: frozenset[Role] = OPERATORS | {"team_leader", "auditor"}
KEEPERS: frozenset[Role] = frozenset({"admin", "auditor"})
EVERYONE: frozenset[Role] = frozenset(ROLES)
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Audience:
    """Who may read the events of one type, and which of their fields: the visibility rule.

    A role in `roles` reads every event of the type; a role in `own` reads only the events it is
    the actor of. A field named in `fields` is read only by the roles given there; every other
    role that reads the event gets it without that field. `hanano.access.visibility` applies the
    rule for the stream, the log's entries, receipts and the routes alike.
    """

    roles: frozenset[Role]
    own: frozenset[Role] = frozenset()
    fields: Mapping[str, frozenset[Role]] = field(default_factory=lambda: MappingProxyType({}))

    def field_readers(self, name: str) -> frozenset[Role]:
        return self.fields.get(name, self.roles | self.own)


def readable_by(
    roles: frozenset[Role],
    *,
    own: frozenset[Role] = frozenset(),
    fields: Mapping[str, frozenset[Role]] | None = None,
) -> Audience:
    return Audience(roles, own, MappingProxyType(dict(fields or {})))


# The usual audiences: the operation's own records, and the access records.
OPERATIONAL = readable_by(OPERATIONS)
ACCESS_RECORDS = readable_by(KEEPERS)


class Event(BaseModel):
    """Base of every event payload.

    Every event type declares its `audience`: registering one without it is an error, so no
    event reaches a reader that the rule has not named.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    sensitive: ClassVar[frozenset[str]] = frozenset()
    audience: ClassVar[Audience | None] = None


EVENT_TYPES: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Add an event class to the registry under its `type` name."""
    if cls.type in EVENT_TYPES:
        raise ValueError(f"event type {cls.type!r} registered twice")
    unknown = cls.sensitive - set(cls.model_fields)
    if unknown:
        raise ValueError(f"{cls.type}: sensitive fields {sorted(unknown)} are not fields")
    if cls.audience is None:
        raise ValueError(f"{cls.type}: declare its audience (who may read it)")
    strangers = set(cls.audience.fields) - set(cls.model_fields)
    if strangers:
        raise ValueError(f"{cls.type}: audience names {sorted(strangers)}, which are not fields")
    EVENT_TYPES[cls.type] = cls
    return cls


def event_class(type_name: str) -> type[Event]:
    try:
        return EVENT_TYPES[type_name]
    except KeyError:
        raise ValueError(f"unknown event type {type_name!r}") from None


# --- access -------------------------------------------------------------------------------


@register
class TokenCreated(Event):
    """An API token was issued. Only its SHA-256 is kept; the name may identify a rescuer."""

    type: ClassVar[str] = "token.created"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    sensitive: ClassVar[frozenset[str]] = frozenset({"name"})
    token_id: str
    role: Role
    name: str | None
    token_hash: str
    # The team a team_leader token acts for. Added after the first logs were written: entries
    # without it replay as unbound tokens, so the version stays 1.
    team: str | None = None
    # The observation post a spotter token reports from (added later still, likewise).
    post: str | None = None


@register
class TokenRevoked(Event):
    type: ClassVar[str] = "token.revoked"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    token_id: str
    reason: str


# --- city ---------------------------------------------------------------------------------


@register
class NeighbourhoodImported(Event):
    """A zone of the city: names, OCHA P-code and polygon (GeoJSON geometry)."""

    type: ClassVar[str] = "city.neighbourhood_imported"
    audience: ClassVar[Audience] = readable_by(EVERYONE)
    pcode: str
    name_en: str
    name_ar: str
    geometry: dict[str, Any]


@register
class AliasAdded(Event):
    """Another name people use for a place inside a neighbourhood."""

    type: ClassVar[str] = "city.alias_added"
    audience: ClassVar[Audience] = OPERATIONAL
    alias: str
    pcode: str


# --- intake -------------------------------------------------------------------------------


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
