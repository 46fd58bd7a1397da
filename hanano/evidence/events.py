"""The evidence domain's event types: redactions, witnesses and media custody."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from hanano.events import OPERATORS, Audience, Event, readable_by, register


@register
class FieldRedacted(Event):
    """A sensitive field's plaintext and salt were erased; its commitment stays in the log."""

    type: ClassVar[str] = "evidence.field_redacted"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    seq: int
    field: str
    reason: str


@register
class WitnessAdded(Event):
    """The log accepts cosignatures by this witness key from now on (C2SP tlog-cosignature)."""

    type: ClassVar[str] = "evidence.witness_added"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    name: str
    key: str
    # Where the log pushes each new checkpoint (tlog-witness add-checkpoint); None: it pulls.
    url: str | None = None


class Place(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    lat: float
    lon: float


@register
class DeviceKeyRegistered(Event):
    """A capture device's public key, so files it signs can be checked against it."""

    type: ClassVar[str] = "evidence.device_key_registered"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    key_id: str
    verifier_key: str


@register
class MediaAdded(Event):
    """An evidentiary original was stored. The uploader is the event's actor."""

    type: ClassVar[str] = "evidence.media_added"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    sensitive: ClassVar[frozenset[str]] = frozenset({"place"})
    sha256: str
    size: int
    media_type: str
    incident_id: str
    captured_at: str | None
    place: Place | None
    device_key_id: str | None
    signature: str | None


@register
class MediaAccessed(Event):
    """Someone read an original (a download)."""

    type: ClassVar[str] = "evidence.media_accessed"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    sha256: str
    reason: str
    via: Literal["api", "cli"]


@register
class MediaCopied(Event):
    """A working copy was made; it names its original. `copy_sha256` is what the copy held."""

    type: ClassVar[str] = "evidence.media_copied"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    sha256: str
    copy_sha256: str
    copy_size: int
    derivation: Literal["exact", "derived"]
    path: str
    reason: str


@register
class MediaExported(Event):
    """An original left the store (to an investigator, a court, an archive)."""

    type: ClassVar[str] = "evidence.media_exported"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    sha256: str
    destination: str
    recipient: str | None
    reason: str
