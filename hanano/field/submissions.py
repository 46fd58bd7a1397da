"""Filled-in forms received: each recorded once by its instance id, with the record it became.

A retry of the same form (the same XML, from the same token) is answered as the first time and
writes nothing; the same instance id with a different XML, or sent by another token, is refused
(409): whoever holds a copy of someone's form cannot pass as its sender's retry, learn which
record it became, or hang a file of their own on that record. The record and the submission are
written in one transaction, so a crash leaves either both or neither.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from hanano.errors import conflict
from hanano.field.events import FormSubmitted
from hanano.field.handlers import HANDLERS
from hanano.field.openrosa import Submission
from hanano.field.tables import form_submissions
from hanano.store.fingerprint import fingerprint
from hanano.store.prepared import Prepared
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

_BY_INSTANCE = Prepared(
    select(form_submissions).where(form_submissions.c.instance_id == bindparam("instance_id"))
)


@dataclass(frozen=True)
class Made:
    """What a form became: the record's id and the log index of its event (None when the
    record's domain already held it, received through another channel, and gave no index)."""

    record_id: str
    seq: int | None


@dataclass(frozen=True)
class Received:
    form_id: str
    record_id: str
    log_index: int
    replayed: bool


def record(tx: Tx, actor: str, sub: Submission, xml: bytes, make: Callable[[Tx], Made]) -> Received:
    """Make the form's record (through its domain's command) and note the submission, or answer
    a retry with the first result."""
    instance_id = str(sub.instance_id)
    xml_hash = fingerprint(
        tx.fingerprint_key,
        {"form_id": sub.form_id, "xml_sha256": hashlib.sha256(xml).hexdigest(), "sender": actor},
    )
    existing = _BY_INSTANCE.run(tx.conn, {"instance_id": instance_id}).first()
    if existing is not None:
        if existing.form_id != sub.form_id or not hmac.compare_digest(existing.xml_hash, xml_hash):
            raise conflict(
                f"instance uuid:{instance_id} was already received with other content"
                " or from another sender"
            )
        return Received(existing.form_id, existing.record_id, existing.record_seq, replayed=True)
    first = len(tx.events)
    made = make(tx)
    seq = made.seq if made.seq is not None else tx.events[first].seq
    tx.append(
        actor,
        FormSubmitted(
            instance_id=instance_id,
            form_id=sub.form_id,
            xml_hash=xml_hash,
            record_id=made.record_id,
            record_seq=seq,
        ),
    )
    return Received(sub.form_id, made.record_id, seq, replayed=False)


def submission(conn: Connection, instance_id: str) -> dict[str, object] | None:
    """One received form as the operations read it (never its fingerprint)."""
    row = _BY_INSTANCE.run(conn, {"instance_id": instance_id}).first()
    if row is None:
        return None
    return {
        "instance_id": row.instance_id,
        "form_id": row.form_id,
        "record_id": row.record_id,
        "log_index": row.record_seq,
    }


@HANDLERS.projects(FormSubmitted.type)
def _submitted(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        form_submissions.insert().values(
            instance_id=d["instance_id"],
            form_id=d["form_id"],
            xml_hash=d["xml_hash"],
            record_id=d["record_id"],
            record_seq=d["record_seq"],
            seq=event.seq,
        )
    )
