"""Erasing a sealed field for good: the log still verifies, the value cannot be disclosed."""

from sqlalchemy import select, update

from hanano.errors import conflict, invalid, not_found
from hanano.evidence.events import FieldRedacted
from hanano.store import schema
from hanano.store.sequencer import Tx


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
