"""Foreign CAP in: another agency's alerts become threats on our map.

Zones are matched by OCHA P-code geocodes first, then by the alert's polygons and circles
intersecting our neighbourhoods. Urgency and severity give the level; an Update or Cancel
withdraws the threats of the alerts it references; expiry withdraws it on the next tick.
Exercises, tests and system messages never raise a threat.

A feed or partner registered with its signing certificate is trusted only through it: an alert
whose enveloped XML-DSig signature, digest or certificate does not check out is recorded as
refused (hanano.warning.refusals) and nothing in it is acted on. Documents are read, and their
signatures checked, by `read_cap` before the writer is asked to do anything, so a document of
megabytes never holds up the one writer while it is parsed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry import Point, Polygon
from sqlalchemy import Connection, select

from hanano.clock import canonical_time, isoformat, parse_iso
from hanano.errors import FieldError, Problem
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.cap import ForeignAlert, ForeignCapError, parse_foreign
from hanano.warning.events import ForeignAlertReceived, RefusalSource, ThreatAssessed
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import logged_json
from hanano.warning.refusals import record_refusal
from hanano.warning.signatures import SignatureRefused, TrustedCert, verify_enveloped
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

# The default of the feed_max_bytes setting: 5 MB, as national weather services' alerts with
# long descriptions and many area outlines reach about 1 MB.
MAX_DOCUMENT = 5_000_000


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
        for points in area.iter_polygons():
            ring = [plane.point(lat, lon) for lat, lon in points]
            polygon = Polygon([(p.x, p.y) for p in ring])
            regions.append(polygon if polygon.is_valid else polygon.buffer(0))
        for lat, lon, km in area.circles:
            centre: Point = plane.point(lat, lon)
            regions.append(centre.buffer(max(km, 0.0) * 1000))
        for region in regions:
            found.update(z.pcode for z in plane.within(region))
    return sorted(found)


@dataclass(frozen=True)
class Origin:
    """Where a foreign document came from: a feed (and the URL fetched), a file, or the API."""

    source: RefusalSource
    feed_id: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class CapReading:
    """A foreign document read outside the writer: its alerts, or why it was refused."""

    sha256: str
    alerts: list[ForeignAlert] = field(default_factory=list)
    signed_by: str | None = None  # the certificate's SHA-256, when its signature verified
    refused: str | None = None  # the reason, when a certificate was required and failed
    cert_sha256: str | None = None
    claimed: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True)
class ImportOutcome:
    imported: list[Imported]
    refused: str | None = None  # the reason the document was refused, nothing imported


def read_cap(
    document: bytes,
    *,
    max_bytes: int = MAX_DOCUMENT,
    trust: TrustedCert | None = None,
    now: datetime | None = None,
) -> CapReading:
    """Read a foreign CAP document; with `trust`, only what its signature covers.

    Too large (413) or unreadable, with a DTD or entities (422): a Problem, nothing recorded. With
    a certificate, a readable alert whose signature does not check out is a reading with
    `refused` set, for `import_cap` to record."""
    if len(document) > max_bytes:
        message = f"the CAP document exceeds {max_bytes} bytes"
        raise Problem(413, "Document too large", message, [FieldError("cap", message)])
    try:
        parsed = parse_foreign(document)
    except ForeignCapError as exc:
        raise Problem(422, "Unreadable CAP", str(exc), [FieldError("cap", str(exc))]) from None
    raw = hashlib.sha256(document).hexdigest()
    if trust is None:
        return CapReading(raw, parsed)
    if now is None:
        raise ValueError("checking a signature needs the time, for the certificate's validity")
    claimed = (parsed[0].sender, parsed[0].identifier)
    try:
        signed = parse_foreign(verify_enveloped(document, trust, now))
        if len(signed) != 1:
            raise SignatureRefused(f"the signed content holds {len(signed)} alerts, not one")
    except (SignatureRefused, ForeignCapError) as exc:
        return CapReading(raw, refused=str(exc), cert_sha256=trust.sha256, claimed=claimed)
    return CapReading(raw, signed, signed_by=trust.sha256)


def import_cap(
    tx: Tx,
    actor: str,
    reading: CapReading,
    *,
    only_new: bool = False,
    origin: Origin = Origin("api"),
) -> ImportOutcome:
    """Turn the alerts of a read document into threats, or record its refusal.

    With `only_new`, an alert already received (same sender and identifier) is passed over, and a
    document already refused from the same feed is not recorded again, so a feed read again
    imports each of its alerts once."""
    if reading.refused is not None:
        record_refusal(
            tx,
            actor,
            source=origin.source,
            feed_id=origin.feed_id,
            url=origin.url,
            document_sha256=reading.sha256,
            cert_sha256=reading.cert_sha256 or "",
            reason=reading.refused,
            claimed=reading.claimed,
            once=only_new,
        )
        return ImportOutcome([], reading.refused)
    parsed = reading.alerts
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
        return ImportOutcome([])
    plane = city_plane(tx.conn)
    return ImportOutcome([_import_one(tx, actor, a, reading, plane) for a in parsed])


def _signer_of(conn: Connection, fid: str) -> tuple[bool, str | None]:
    """Whether that foreign alert was received, and the certificate it was signed with."""
    row = conn.execute(
        select(foreign_alerts.c.signed_by).where(foreign_alerts.c.foreign_id == fid)
    ).first()
    return (row is not None, row.signed_by if row is not None else None)


def _may_change(conn: Connection, fid: str, signed_by: str | None) -> bool:
    """An alert received signed can be replaced, updated or cancelled only by an alert signed
    with the same certificate: otherwise an unsigned feed, or a partner with another
    certificate, could clear the zones a signed partner warned, by naming its alert."""
    _, signer = _signer_of(conn, fid)
    return signer is None or signer == signed_by


def _import_one(
    tx: Tx, actor: str, alert: ForeignAlert, reading: CapReading, plane: CityPlane
) -> Imported:
    fid = foreign_id(alert.sender, alert.identifier)
    if not _may_change(tx.conn, fid, reading.signed_by):
        why = "it was received signed, and only an alert signed with the same certificate may"
        return Imported(fid, alert.sender, alert.identifier, None, [], f"passed over: {why}")
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
            raw_sha256=reading.sha256,
            signed_by=reading.signed_by,
            headlines=alert.headlines or None,
        ),
    )
    for ref in (alert.references or "").split():
        parts = ref.split(",")
        target = foreign_id(parts[0], parts[1]) if len(parts) >= 2 else None
        if target is not None and _may_change(tx.conn, target, reading.signed_by):
            clear_threat(
                tx, target, f"{alert.sender} {alert.msg_type.lower()}d it by {alert.identifier}"
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
        strike_counts(tx.conn, tx.now(), tx.settings.public_delay_min),
    )
    tx.append(ACTOR, _assessed(fid, zones, why, alert))
    return Imported(fid, alert.sender, alert.identifier, level, pcodes, f"threat: {why}")


def _assessed(
    fid: str, zones: list[dict[str, Any]], why: str, alert: ForeignAlert
) -> ThreatAssessed:
    """The threat of a foreign alert, its reason also in parts: who sent it, its urgency and
    severity, and its headline in each language it gives, from which the room words it in the
    reader's language. All of it is what the agency published."""
    parts = {
        "code": "foreign",
        "sender": alert.sender,
        "identifier": alert.identifier,
        "urgency": alert.urgency,
        "severity": alert.severity,
        "headlines": alert.headlines,
    }
    return ThreatAssessed(
        threat_id=fid, zones=zones, reason=f"foreign alert {why}", reason_parts=parts
    )


@HANDLERS.on_tick
def withdraw_expired(tx: Tx) -> None:
    """A foreign alert past its expiry no longer threatens."""
    for fid in expired_threats(tx.conn, tx.now()):
        clear_threat(tx, fid, "the foreign alert expired")


def list_foreign(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(foreign_alerts).order_by(foreign_alerts.c.received_at.desc()))
    return [dict(r._mapping) for r in rows]


@HANDLERS.projects(ForeignAlertReceived.type)
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
            signed_by=d.get("signed_by"),
        )
    )
