"""Foreign CAP alerts refused for their signature: recorded in the log, listed with the feeds.

A refusal is an event so the record shows every attempt to pass an unsigned or forged alert as a
partner's, with the reason and the SHA-256 of the document; the table below is its projection,
read where feeds are listed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.events import ForeignAlertRefused, RefusalSource
from hanano.warning.handlers import HANDLERS
from hanano.warning.tables import refused_alerts

MAX_CLAIMED = 200
MAX_REASON = 1000
LISTED = 50


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def record_refusal(
    tx: Tx,
    actor: str,
    *,
    source: RefusalSource,
    feed_id: str | None,
    url: str | None,
    document_sha256: str,
    cert_sha256: str,
    reason: str,
    claimed: tuple[str | None, str | None],
    once: bool = False,
) -> bool:
    """Log the refusal; with `once`, a document a feed already had refused is not logged again
    (a feed serves the same document at every poll). True when it was logged now."""
    if once and _already_refused(tx.conn, feed_id, document_sha256):
        return False
    tx.append(
        actor,
        ForeignAlertRefused(
            source=source,
            feed_id=feed_id,
            url=url,
            document_sha256=document_sha256,
            cert_sha256=cert_sha256,
            reason=_clip(reason, MAX_REASON) or "",
            claimed_sender=_clip(claimed[0], MAX_CLAIMED),
            claimed_identifier=_clip(claimed[1], MAX_CLAIMED),
        ),
    )
    return True


def _already_refused(conn: Connection, feed_id: str | None, document_sha256: str) -> bool:
    row = conn.execute(
        select(refused_alerts.c.seq).where(
            refused_alerts.c.feed_id == feed_id,
            refused_alerts.c.document_sha256 == document_sha256,
        )
    ).first()
    return row is not None


def list_refused(conn: Connection, limit: int = LISTED) -> list[dict[str, Any]]:
    """The latest refusals, newest first, whatever their source."""
    rows = conn.execute(select(refused_alerts).order_by(refused_alerts.c.seq.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


@HANDLERS.projects(ForeignAlertRefused.type)
def _refused(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        refused_alerts.insert().values(
            seq=event.seq,
            source=d["source"],
            feed_id=d["feed_id"],
            url=d["url"],
            document_sha256=d["document_sha256"],
            cert_sha256=d["cert_sha256"],
            reason=d["reason"],
            claimed_sender=d["claimed_sender"],
            claimed_identifier=d["claimed_identifier"],
            refused_at=event.time,
            actor=event.actor,
        )
    )
