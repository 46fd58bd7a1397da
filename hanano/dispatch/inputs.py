"""What the dispatch API accepts: the bodies of its requests, checked before any command runs."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hanano.dispatch import events as dispatch_events
from hanano.dispatch.common import Capability, Duty
from hanano.timestamps import Timestamp

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Reason = Annotated[str, Field(max_length=1000)]
Names = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=50)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    base_name: Annotated[str, Field(min_length=1, max_length=200)]
    base_lat: Lat
    base_lon: Lon
    sector: Annotated[str, Field(min_length=1, max_length=20)]
    crew: Annotated[int, Field(ge=0, le=100)]
    min_crew: Annotated[int, Field(ge=1, le=100)] = 4
    capabilities: Annotated[list[Capability], Field(min_length=1)]
    vehicle: Annotated[str, Field(max_length=200)] = ""
    leader: Annotated[str | None, Field(max_length=200)] = None
    on_duty: bool = True
    name_ar: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class TeamPatch(Strict):
    crew: Annotated[int | None, Field(ge=0, le=100)] = None
    min_crew: Annotated[int | None, Field(ge=1, le=100)] = None
    capabilities: list[Capability] | None = None
    vehicle: Annotated[str | None, Field(max_length=200)] = None
    sector: Annotated[str | None, Field(min_length=1, max_length=20)] = None
    leader: Annotated[str | None, Field(max_length=200)] = None
    name_ar: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class DutyIn(Strict):
    duty: Duty
    reason: Reason = ""


class PositionIn(Strict):
    lat: Lat
    lon: Lon
    accuracy_m: Annotated[float | None, Field(ge=0, le=100_000)] = None
    observed_at: Timestamp | None = None


class CheckInIn(Strict):
    note: Reason = ""


class HospitalIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: dispatch_events.HospitalKind = "hospital"
    lat: Lat
    lon: Lon
    status: dispatch_events.HospitalStatus = "open"


class HospitalStatusIn(Strict):
    status: dispatch_events.HospitalStatus
    reason: Reason = ""


class TransitionIn(Strict):
    state: dispatch_events.TaskState
    reason: Reason = ""
    hospital_id: Annotated[str | None, Field(max_length=40)] = None


class AssignIn(Strict):
    team_id: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Reason = ""


class PlanIn(Strict):
    incident_ids: Annotated[list[str] | None, Field(max_length=200)] = None


class AlertReachIn(Strict):
    """The zones an operator is choosing for an alert (none yet is a fair question)."""

    zones: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]],
        Field(max_length=200),
    ]


class ThreatIn(Strict):
    lat: Lat | None = None
    lon: Lon | None = None
    radius_m: Annotated[float, Field(ge=0, le=50_000)] = 0.0
    polygon: Annotated[list[list[float]] | None, Field(max_length=1000)] = None
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class AcknowledgeIn(Strict):
    note: Reason = ""


class ClosureIn(Strict):
    lat: Lat
    lon: Lon
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class ReopenIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


# The sender's own UUID on a worksite or victim: a resend with it writes nothing.
ClientId = Annotated[
    UUID | None, Field(description="The sender's own UUID; a resend reuses it and writes nothing.")
]


class WorksiteIn(Strict):
    id: ClientId = None
    worksite_id: Annotated[str, Field(min_length=3, max_length=5)]
    category: dispatch_events.Category
    hazards: Names = []
    operations: Names = []
    lat: Lat | None = None
    lon: Lon | None = None
    note: Reason = ""


class WorksitePatch(Strict):
    category: dispatch_events.Category | None = None
    hazards: Names | None = None
    operations: Names | None = None
    reason: Reason = ""


class VictimIn(Strict):
    id: ClientId = None
    status: dispatch_events.VictimStatus
    worksite_id: Annotated[str | None, Field(max_length=5)] = None
    triage: dispatch_events.Triage | None = None
    hospital_id: Annotated[str | None, Field(max_length=40)] = None
    name: Annotated[str | None, Field(max_length=200)] = None
    identity: Annotated[str | None, Field(max_length=200)] = None
    # Sealed and read as the name is: a note often says who the victim is.
    note: Annotated[str | None, Field(max_length=1000)] = None


class VictimPatch(Strict):
    status: dispatch_events.VictimStatus | None = None
    triage: dispatch_events.Triage | None = None
    hospital_id: Annotated[str | None, Field(max_length=40)] = None
    name: Annotated[str | None, Field(max_length=200)] = None
    identity: Annotated[str | None, Field(max_length=200)] = None
