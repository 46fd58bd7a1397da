"""Foreign CAP feeds in: another agency's alerts become threats on our map.

Zones are matched by OCHA P-code geocodes first, then by the alert's polygons and circles
intersecting our neighbourhoods. Urgency and severity give the level; an Update or Cancel
withdraws the threats of the alerts it references; expiry withdraws it on the next tick.
Exercises, tests and system messages never raise a threat.

Operators also register the URLs of other agencies' feeds (CAP Atom or RSS feeds, or a single
CAP document); the poller (hanano.warning.poller) fetches them and imports each alert once. The
registration is an event; how each fetch went is operational state in a plain table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlparse

from shapely.geometry import Point, Polygon
from sqlalchemy import Column, Connection, Integer, String, Table, Text, select

from hanano.clock import canonical_time, isoformat, parse_iso
from hanano.errors import Problem, conflict, invalid, not_found
from hanano.events import Event, register
from hanano.store.projections import projects
from hanano.store.reactions import on_tick
from hanano.store.records import RecordedEvent
from hanano.store.schema import metadata
from hanano.store.sequencer import Tx
from hanano.warning.cap import ForeignAlert, ForeignCapError, parse_foreign
from hanano.warning.events import ForeignAlertReceived, ThreatAssessed
from hanano.warning.plane import logged_json
from hanano.warning.tables import foreign_alerts
from hanano.warning.tracks import ACTOR
from hanano.warning.zones import (
    CityPlane,
    city_plane,
    clear_threat,
    expired_threats,
    rank_zones,
    strike_counts,
)

MAX_DOCUMENT = 512 * 1024
MAX_URL = 2000


@register
class ForeignFeedAdded(Event):
    """An operator asked for another agency's CAP feed to be fetched and imported."""

    type: ClassVar[str] = "warning.foreign_feed_added"
    feed_id: str
    url: str


@register
class ForeignFeedRemoved(Event):
    type: ClassVar[str] = "warning.foreign_feed_removed"
    feed_id: str
    reason: str


feeds = Table(
    "warning_feeds",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    info={"projection": True},
)

# How the last fetches of each feed went, and the validators for the next conditional request.
feed_state = Table(
    "warning_feed_state",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("checked_at", String(40), nullable=True),
    Column("ok_at", String(40), nullable=True),
    Column("status", String(20), nullable=True),
    Column("error", Text, nullable=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
)

# CAP documents a feed linked to that were read whole once (keyed by the SHA-256 of their URL):
# not fetched again.
feed_items = Table(
    "warning_feed_items",
    metadata,
    Column("feed_id", String(40), primary_key=True),
    Column("url_sha256", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("read_at", String(40), nullable=False),
)


def create_tables(conn: Connection) -> None:
    """Migration 10 (with the outbox): registered feeds, their fetch state and read items."""
    metadata.create_all(conn, tables=[feeds, feed_state, feed_items])


def feed_id_of(url: str) -> str:
    return "feed-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def check_feed_url(given: object) -> str:
    if not isinstance(given, str) or not given.strip():
        raise invalid("url", "give the feed's URL")
    url = given.strip()
    if len(url) > MAX_URL:
        raise invalid("url", f"at most {MAX_URL} characters")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise invalid("url", "an http:// or https:// URL with a host")
    return url


def add_feed(tx: Tx, actor: str, url: object) -> dict[str, Any]:
    """Register a feed to poll; the same URL twice is a conflict."""
    url = check_feed_url(url)
    fid = feed_id_of(url)
    if tx.conn.execute(select(feeds.c.feed_id).where(feeds.c.feed_id == fid)).first():
        raise conflict(f"feed {fid} already polls {url}")
    tx.append(actor, ForeignFeedAdded(feed_id=fid, url=url))
    return {"feed_id": fid, "url": url}


def remove_feed(tx: Tx, actor: str, feed_id: str, reason: str = "removed by an operator") -> None:
    if not tx.conn.execute(select(feeds.c.feed_id).where(feeds.c.feed_id == feed_id)).first():
        raise not_found(f"feed {feed_id}")
    tx.append(actor, ForeignFeedRemoved(feed_id=feed_id, reason=reason))
    # Its fetch state goes with it: the same URL added again is read afresh.
    tx.conn.execute(feed_state.delete().where(feed_state.c.feed_id == feed_id))
    tx.conn.execute(feed_items.delete().where(feed_items.c.feed_id == feed_id))


def list_feeds(conn: Connection) -> list[dict[str, Any]]:
    """Registered feeds with how their last fetch went."""
    rows = conn.execute(
        select(
            feeds,
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
        out.append(item)
    return out


@projects(ForeignFeedAdded.type)
def _feed_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        feeds.insert().values(
            feed_id=d["feed_id"], url=d["url"], added_at=event.time, actor=event.actor
        )
    )


@projects(ForeignFeedRemoved.type)
def _feed_removed(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(feeds.delete().where(feeds.c.feed_id == event.data["feed_id"]))


@dataclass(frozen=True)
class Imported:
    foreign_id: str
    sender: str
    identifier: str
    level: str | None
    pcodes: list[str]
    reason: str


def foreign_id(sender: str, identifier: str) -> str:
    digest = hashlib.sha256(f"{sender}\n{identifier}".encode()).hexdigest()[:16]
    return f"foreign:{digest}"


def level_of(alert: ForeignAlert) -> str | None:
    """Our level for their urgency and severity; None when it is no threat."""
    urgency, severity = alert.urgency or "", alert.severity or ""
    if urgency == "Past" or severity == "Minor":
        return None
    if urgency == "Immediate" and severity == "Extreme":
        return "imminent"
    if urgency in ("Immediate", "Expected") and severity in ("Extreme", "Severe"):
        return "warning"
    return "watch"


def _time(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return isoformat(parse_iso(text))
    except ValueError:
        return None


def match_zones(alert: ForeignAlert, plane: CityPlane) -> list[str]:
    found: set[str] = set()
    for area in alert.areas:
        for name, value in area.geocodes:
            if value in plane.zones and ("pcode" in name.lower().replace("-", "")):
                found.add(value)
        regions = []
        for points in area.polygons:
            ring = [plane.point(lat, lon) for lat, lon in points]
            polygon = Polygon([(p.x, p.y) for p in ring])
            regions.append(polygon if polygon.is_valid else polygon.buffer(0))
        for lat, lon, km in area.circles:
            centre: Point = plane.point(lat, lon)
            regions.append(centre.buffer(max(km, 0.0) * 1000))
        for region in regions:
            found.update(z.pcode for z in plane.within(region))
    return sorted(found)


def import_cap(
    tx: Tx, actor: str, document: bytes, *, only_new: bool = False, max_bytes: int = MAX_DOCUMENT
) -> list[Imported]:
    """Read a foreign CAP document and turn its alerts into threats.

    With `only_new`, an alert already received (same sender and identifier) is passed over, so a
    feed read again imports each of its alerts once."""
    if len(document) > max_bytes:
        raise Problem(413, "Document too large", f"at most {max_bytes // 1024} KiB")
    try:
        parsed = parse_foreign(document)
    except ForeignCapError as exc:
        raise Problem(422, "Unreadable CAP", str(exc)) from None
    raw = hashlib.sha256(document).hexdigest()
    if only_new:
        ids = [foreign_id(a.sender, a.identifier) for a in parsed]
        known = set(
            tx.conn.execute(
                select(foreign_alerts.c.foreign_id).where(foreign_alerts.c.foreign_id.in_(ids))
            ).scalars()
        )
        fresh, seen = [], set(known)
        for alert, fid in zip(parsed, ids, strict=True):
            if fid not in seen:
                seen.add(fid)
                fresh.append(alert)
        parsed = fresh
    if not parsed:
        return []
    plane = city_plane(tx.conn)
    out = []
    for alert in parsed:
        out.append(_import_one(tx, actor, alert, raw, plane))
    return out


def _import_one(tx: Tx, actor: str, alert: ForeignAlert, raw: str, plane: CityPlane) -> Imported:
    fid = foreign_id(alert.sender, alert.identifier)
    pcodes = match_zones(alert, plane)
    expires = _time(alert.expires)
    tx.append(
        actor,
        ForeignAlertReceived(
            foreign_id=fid,
            sender=alert.sender,
            identifier=alert.identifier,
            sent=_time(alert.sent),
            expires=expires,
            msg_type=alert.msg_type,
            urgency=alert.urgency,
            severity=alert.severity,
            headline=alert.headline,
            pcodes=pcodes,
            raw_sha256=raw,
        ),
    )
    for ref in (alert.references or "").split():
        parts = ref.split(",")
        if len(parts) >= 2:
            clear_threat(
                tx,
                foreign_id(parts[0], parts[1]),
                f"{alert.sender} {alert.msg_type.lower()}d it by {alert.identifier}",
            )
    level = level_of(alert)
    why = f"{alert.sender} {alert.identifier}: urgency {alert.urgency}, severity {alert.severity}"
    if alert.status not in (None, "Actual") or alert.msg_type == "Cancel":
        return Imported(fid, alert.sender, alert.identifier, None, pcodes, f"no threat: {why}")
    if expires is not None and expires <= isoformat(tx.now()):
        return Imported(fid, alert.sender, alert.identifier, None, pcodes, f"expired: {why}")
    if level is None or not pcodes:
        what = "no zone of ours" if not pcodes else "no threat level"
        return Imported(fid, alert.sender, alert.identifier, None, pcodes, f"{what}: {why}")
    zones = rank_zones(
        [{"pcode": p, "level": level, "eta_min_s": None, "eta_max_s": None} for p in pcodes],
        strike_counts(tx.conn),
    )
    tx.append(ACTOR, ThreatAssessed(threat_id=fid, zones=zones, reason=f"foreign alert {why}"))
    return Imported(fid, alert.sender, alert.identifier, level, pcodes, f"threat: {why}")


@on_tick
def withdraw_expired(tx: Tx) -> None:
    """A foreign alert past its expiry no longer threatens."""
    for fid in expired_threats(tx.conn, tx.now()):
        clear_threat(tx, fid, "the foreign alert expired")


def list_foreign(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(foreign_alerts).order_by(foreign_alerts.c.received_at.desc()))
    return [dict(r._mapping) for r in rows]


@projects(ForeignAlertReceived.type)
def _foreign_received(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(foreign_alerts.delete().where(foreign_alerts.c.foreign_id == d["foreign_id"]))
    conn.execute(
        foreign_alerts.insert().values(
            foreign_id=d["foreign_id"],
            sender=d["sender"],
            identifier=d["identifier"],
            sent=d["sent"] and canonical_time(d["sent"]),
            expires=d["expires"] and canonical_time(d["expires"]),
            msg_type=d["msg_type"],
            urgency=d["urgency"],
            severity=d["severity"],
            headline=d["headline"],
            pcodes=logged_json(event, "pcodes"),
            received_at=event.time,
        )
    )
