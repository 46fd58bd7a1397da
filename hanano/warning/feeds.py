"""Other agencies' CAP feeds: operators register the URLs of their feeds (CAP Atom or RSS
feeds, or a single CAP document), each with the certificate its alerts must be signed with if
the agency signs them; the poller (hanano.warning.poller) fetches them and imports each alert
once through hanano.warning.foreign. The registration is an event; how each fetch went is
operational state in a plain table.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Connection, select

from hanano.errors import conflict, invalid, not_found
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.events import ForeignFeedAdded, ForeignFeedRemoved
from hanano.warning.handlers import HANDLERS
from hanano.warning.refusals import list_refused
from hanano.warning.signatures import TrustedCert, check_current, load_cert
from hanano.warning.tables import feed_items, feed_state, feeds

MAX_URL = 2000


# How the last fetches of each feed went, and the validators for the next conditional request.

# CAP documents a feed linked to that were read whole once (keyed by the SHA-256 of their URL):
# not fetched again.


def feed_id_of(url: str) -> str:
    return "feed-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def check_feed_url(given: object) -> str:
    if not isinstance(given, str) or not given.strip():
        raise invalid("url", "give the feed's URL")
    url = given.strip()
    if len(url) > MAX_URL:
        raise invalid("url", f"at most {MAX_URL} characters")
    if not url.isascii() or not url.isprintable():
        # A URL on the wire is printable ASCII; anything else was not typed by an operator.
        raise invalid("url", "printable ASCII only (percent-encode anything else)")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise invalid("url", "an http:// or https:// URL with a host")
    return url


def add_feed(tx: Tx, actor: str, url: object, cert: TrustedCert | None = None) -> dict[str, Any]:
    """Register a feed to poll, with the certificate its alerts must be signed with if given;
    the same URL twice is a conflict (remove it first to change its certificate)."""
    url = check_feed_url(url)
    if cert is not None:
        check_current(cert, tx.now())
    fid = feed_id_of(url)
    if tx.conn.execute(select(feeds.c.feed_id).where(feeds.c.feed_id == fid)).first():
        raise conflict(f"feed {fid} already polls {url}")
    tx.append(
        actor,
        ForeignFeedAdded(
            feed_id=fid,
            url=url,
            cert_pem=cert.pem if cert else None,
            cert_sha256=cert.sha256 if cert else None,
        ),
    )
    return {"feed_id": fid, "url": url, "cert_sha256": cert.sha256 if cert else None}


def remove_feed(tx: Tx, actor: str, feed_id: str, reason: str = "removed by an operator") -> None:
    if not tx.conn.execute(select(feeds.c.feed_id).where(feeds.c.feed_id == feed_id)).first():
        raise not_found(f"feed {feed_id}")
    tx.append(actor, ForeignFeedRemoved(feed_id=feed_id, reason=reason))
    # Its fetch state goes with it: the same URL added again is read afresh.
    tx.conn.execute(feed_state.delete().where(feed_state.c.feed_id == feed_id))
    tx.conn.execute(feed_items.delete().where(feed_items.c.feed_id == feed_id))


def feed_trust(pem: str | None) -> TrustedCert | None:
    """The certificate a registered feed's alerts must be signed with, if it has one."""
    return None if pem is None else load_cert(pem)


def list_feeds(conn: Connection) -> list[dict[str, Any]]:
    """Registered feeds with how their last fetch went and the alerts refused from each."""
    refused = list_refused(conn)
    rows = conn.execute(
        select(
            feeds.c.feed_id,
            feeds.c.url,
            feeds.c.added_at,
            feeds.c.actor,
            feeds.c.cert_sha256,
            feed_state.c.checked_at,
            feed_state.c.ok_at,
            feed_state.c.status,
            feed_state.c.error,
            feed_state.c.failures,
            feed_state.c.imported,
        )
        .select_from(feeds.outerjoin(feed_state, feed_state.c.feed_id == feeds.c.feed_id))
        .order_by(feeds.c.added_at, feeds.c.feed_id)
    )
    out = []
    for r in rows:
        item = dict(r._mapping)
        item["failures"] = item["failures"] or 0
        item["imported"] = item["imported"] or 0
        item["refused"] = [r for r in refused if r["feed_id"] == item["feed_id"]]
        out.append(item)
    return out


@HANDLERS.projects(ForeignFeedAdded.type)
def _feed_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        feeds.insert().values(
            feed_id=d["feed_id"],
            url=d["url"],
            added_at=event.time,
            actor=event.actor,
            cert_pem=d.get("cert_pem"),
            cert_sha256=d.get("cert_sha256"),
        )
    )


@HANDLERS.projects(ForeignFeedRemoved.type)
def _feed_removed(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(feeds.delete().where(feeds.c.feed_id == event.data["feed_id"]))
