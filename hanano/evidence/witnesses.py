"""The witnesses whose cosignatures the log accepts: registered by name and key, projected into
the witnesses table (the client that asks them to cosign is `hanano.evidence.witness`)."""

from sqlalchemy import Connection, select

from hanano.errors import conflict, invalid
from hanano.evidence.cosign import parse_witness_key
from hanano.evidence.events import WitnessAdded
from hanano.evidence.handlers import HANDLERS
from hanano.evidence.tables import witnesses
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx


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
