"""The witnesses whose cosignatures the log accepts: registered by name and key, projected into
the witnesses table (the client that asks them to cosign is `hanano.evidence.witness`)."""

from urllib.parse import urlsplit

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
            url=event.data.get("url"),
        )
    )


def add_witness(tx: Tx, actor: str, name: str, key: str, url: str | None = None) -> WitnessAdded:
    """Register a witness's cosigner key under a name people know it by; with `url`, the log
    pushes it each new checkpoint to cosign."""
    name = name.strip()
    url = check_url(url)
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
    event = WitnessAdded(name=name, key=parsed.text, url=url)
    tx.append(actor, event)
    return event


def check_url(url: str | None) -> str | None:
    """A witness's submission prefix: http(s), a host, no query; None stays None."""
    if url is None:
        return None
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise invalid("url", f"{url!r} is not an http(s) URL of a witness (no query)")
    return url


def push_targets(conn: Connection) -> list[tuple[str, str]]:
    """(name, url) of every witness the log pushes its checkpoints to."""
    rows = conn.execute(
        select(witnesses.c.name, witnesses.c.url)
        .where(witnesses.c.url.is_not(None))
        .order_by(witnesses.c.name)
    ).all()
    return [(str(row.name), str(row.url)) for row in rows]
