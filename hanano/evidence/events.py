"""Events of the evidence log itself."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select, update

from hanano.errors import conflict, invalid, not_found
from hanano.events import OPERATORS, Audience, Event, readable_by, register
from hanano.evidence.cosign import parse_witness_key
from hanano.evidence.handlers import HANDLERS
from hanano.evidence.tables import witnesses
from hanano.store import schema
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx


@register
class FieldRedacted(Event):
    """A sensitive field's plaintext and salt were erased; its commitment stays in the log."""

    type: ClassVar[str] = "evidence.field_redacted"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    seq: int
    field: str
    reason: str


def redact_field(tx: Tx, actor: str, seq: int, field: str, reason: str) -> None:
    """Erase one sealed field for good. The log still verifies; the value cannot be disclosed."""
    if not reason.strip():
        raise invalid("reason", "a reason is required")
    sealed = schema.sealed_fields
    row = tx.conn.execute(
        select(sealed.c.salt).where(sealed.c.seq == seq, sealed.c.field == field)
    ).first()
    if row is None:
        exists = tx.conn.execute(select(schema.events.c.seq).where(schema.events.c.seq == seq))
        if exists.first() is None:
            raise not_found(f"event {seq}")
        raise invalid("field", f"event {seq} has no sealed field {field!r}")
    if row.salt is None:
        raise conflict(f"field {field!r} of event {seq} is already erased")
    tx.append(actor, FieldRedacted(seq=seq, field=field, reason=reason.strip()))
    tx.conn.execute(
        update(sealed)
        .where(sealed.c.seq == seq, sealed.c.field == field)
        .values(salt=None, value=None, erased_at=tx.events[-1].time)
    )


@register
class WitnessAdded(Event):
    """The log accepts cosignatures by this witness key from now on (C2SP tlog-cosignature)."""

    type: ClassVar[str] = "evidence.witness_added"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    name: str
    key: str


@HANDLERS.projects(WitnessAdded.type)
def _project_witness(conn: Connection, event: RecordedEvent) -> None:
    parsed = parse_witness_key(event.data["key"])
    conn.execute(
        witnesses.insert().values(
            name=event.data["name"],
            key=parsed.text,
            key_name=parsed.name,
            key_id=parsed.key_id,
            added_seq=event.seq,
        )
    )


def add_witness(tx: Tx, actor: str, name: str, key: str) -> WitnessAdded:
    """Register a witness's cosigner key under a name people know it by."""
    name = name.strip()
    if not name:
        raise invalid("name", "a witness needs a name")
    try:
        parsed = parse_witness_key(key)
    except ValueError as exc:
        raise invalid("key", str(exc)) from None
    taken = tx.conn.execute(
        select(witnesses.c.name).where(
            (witnesses.c.name == name) | (witnesses.c.key == parsed.text)
        )
    ).first()
    if taken is not None:
        raise conflict(f"witness {taken.name!r} already has this name or key")
    event = WitnessAdded(name=name, key=parsed.text)
    tx.append(actor, event)
    return event


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
