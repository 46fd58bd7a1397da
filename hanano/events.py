"""The event types: the vocabulary of the whole system.

Each event is a typed, versioned record. Fields named in `sensitive` enter the log only as salted
commitments; their plaintext lives apart so it can be disclosed one field at a time or erased
without breaking the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Role = Literal[
    "admin", "dispatcher", "team_leader", "spotter", "reporter", "auditor", "public", "mirror"
]
ROLES: tuple[Role, ...] = (
    "admin",
    "dispatcher",
    "team_leader",
    "spotter",
    "reporter",
    "auditor",
    "public",
    # A copy of the log kept elsewhere: reads what the public reads, and the log's entries as
    # hashed (tlog-tiles entry bundles), which no other role is served.
    "mirror",
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
