"""Worksites and victims sent with the sender's own UUID, as the field app sends them.

A phone that lost the answer to a worksite or victim sends it again with the same UUID and the
same content: it is answered as the first time and nothing is written. The same UUID with other
content is refused (409), as a report's is; the fingerprint that tells them apart is keyed and
sealed (hanano.store.fingerprint). Without a UUID a record is written each time it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, select

from hanano.dispatch.tables import client_records
from hanano.errors import conflict
from hanano.store.fingerprint import fingerprint, same_body
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

Kind = Literal["worksite", "victim"]


@dataclass(frozen=True)
class Recorded:
    """A worksite's or victim's id, the log index of the event that recorded it, and whether
    this answer repeats the first one."""

    id: str
    seq: int | None
    replayed: bool = False


def content(kind: Kind, incident_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """What the fingerprint covers: the record as sent, and where it was sent to."""
    return {"kind": kind, "incident_id": incident_id, **fields}


def body_hash(tx: Tx, client_id: str | None, body: dict[str, Any]) -> str | None:
    return None if client_id is None else fingerprint(tx.fingerprint_key, body)


def replayed(tx: Tx, client_id: str | None, body: dict[str, Any]) -> Recorded | None:
    """The first answer to this UUID, None when it is new; 409 when it came with other content."""
    if client_id is None:
        return None
    row = tx.conn.execute(
        select(client_records).where(client_records.c.client_id == client_id)
    ).first()
    if row is None:
        return None
    if row.kind != body["kind"] or not same_body(row.body_hash, tx.fingerprint_key, body, ""):
        raise conflict(f"id {client_id} was already received with different content")
    return Recorded(row.record_id, row.seq, replayed=True)


def once(
    tx: Tx,
    kind: Kind,
    incident_id: str,
    client_id: str | None,
    fields: dict[str, Any],
    write: Callable[[str | None], Recorded],
) -> Recorded:
    """The first answer to a resend; else `write` it, given its fingerprint (None without a
    UUID)."""
    sent = content(kind, incident_id, fields)
    first = replayed(tx, client_id, sent)
    if first is not None:
        return first
    return write(body_hash(tx, client_id, sent))


def remember(conn: Connection, event: RecordedEvent, kind: Kind, record_id: str) -> None:
    """Projected with the worksite or victim its event records, when it came with a UUID."""
    d = event.data
    if d.get("client_id") is None:
        return
    conn.execute(
        client_records.insert().values(
            client_id=d["client_id"],
            kind=kind,
            incident_id=d["incident_id"],
            record_id=record_id,
            body_hash=d.get("body_hash") or "",
            seq=event.seq,
        )
    )
