"""Events of the evidence log itself."""

from typing import ClassVar

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
