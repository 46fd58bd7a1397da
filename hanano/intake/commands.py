"""Intake: store every report, then link it to the incident of its strike or open a new one.

Store and link, never suppress: a repeat report joins its incident and is kept, because a repeat
is often an escalation ("more people trapped").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select

from hanano.city.model import City, city_of
from hanano.clock import isoformat, parse_iso
from hanano.errors import FieldError, Problem, conflict, invalid, not_found
from hanano.geo.distance import degrees_for_metres, haversine_m
from hanano.geo.position import position_faults
from hanano.intake import tables as intake_tables
from hanano.intake.events import (
    IncidentOpened,
    IncidentsMerged,
    IncidentSplit,
    IncidentStatusChanged,
    ReportLinked,
    ReportReceived,
)
from hanano.intake.model import ReportIn
from hanano.settings import Settings
from hanano.store.fingerprint import fingerprint, same_body
from hanano.store.prepared import Prepared
from hanano.store.sequencer import Tx
from hanano.timestamps import observed_error, require_observed

incidents = intake_tables.incidents
reports = intake_tables.reports
LIVE_STATUSES = ("open", "responding")

_REPORT_BY_ID = Prepared(
    select(
        reports.c.seq, reports.c.body_hash, reports.c.linked_incident_id, reports.c.link_reason
    ).where(reports.c.report_id == bindparam("report_id"))
)
# Status is tested after the query: left out of it, the planner searches by latitude (a small
# box) instead of by status (every live incident of the last half hour).
_LOCATED_NEAR = Prepared(
    select(
        incidents.c.incident_id,
        incidents.c.status,
        incidents.c.lat,
        incidents.c.lon,
        incidents.c.first_report_at,
        incidents.c.last_report_at,
    ).where(
        incidents.c.lat.between(bindparam("lat_lo"), bindparam("lat_hi")),
        incidents.c.lon.between(bindparam("lon_lo"), bindparam("lon_hi")),
        incidents.c.place_precision == "point",
        incidents.c.merged_into.is_(None),
        incidents.c.last_report_at >= bindparam("earliest"),
        incidents.c.first_report_at <= bindparam("latest"),
    )
)


def _in_zone(named_only: bool) -> Prepared:
    # As above, status is tested after the query so that the zone-and-time index is used.
    query = select(incidents.c.incident_id, incidents.c.status, incidents.c.last_report_at).where(
        incidents.c.pcode == bindparam("pcode"),
        incidents.c.last_report_at >= bindparam("earliest"),
        incidents.c.first_report_at <= bindparam("latest"),
        incidents.c.merged_into.is_(None),
    )
    if named_only:
        query = query.where(incidents.c.place_precision == "neighbourhood")
    return Prepared(query.order_by(incidents.c.last_report_at.desc()))


_ZONE_NAMED = _in_zone(named_only=True)
_ZONE_ANY = _in_zone(named_only=False)
_MAX_NUMBER = Prepared(select(func.max(incidents.c.number)))

# Which status may follow which. A cleared site may reopen (a second strike, more found).
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"responding", "cleared", "closed"}),
    "responding": frozenset({"open", "cleared"}),
    "cleared": frozenset({"open", "closed"}),
    "closed": frozenset(),
}


@dataclass(frozen=True)
class ReportResult:
    report_id: str
    incident_id: str
    decision: str  # "opened" or "linked"
    reason: str
    replayed: bool = False
    seq: int | None = None  # the log index of the report's own event


def check_report(report: ReportIn, now: datetime, city: City, settings: Settings) -> None:
    """Refuse what the schema alone cannot: times outside the store's window, places outside
    the city."""
    errors: list[FieldError] = []
    out_of_window = observed_error("observed_at", report.observed_at, now, settings)
    if out_of_window is not None:
        errors.append(out_of_window)
    if (report.lat is None) != (report.lon is None):
        missing = "lon" if report.lon is None else "lat"
        errors.append(FieldError(missing, "lat and lon must be given together"))
    elif report.lat is not None and report.lon is not None:
        errors.extend(position_faults(city, settings.city_margin_km, report.lat, report.lon))
    if report.accuracy_m is not None and report.lat is None:
        errors.append(FieldError("accuracy_m", "given without coordinates"))
    if errors:
        raise Problem(
            422, "Invalid report", "; ".join(f"{e.field} {e.message}" for e in errors), errors
        )


def submit_report(tx: Tx, actor: str, report: ReportIn) -> ReportResult:
    """Store a report and link it; a retry with the same id and body returns the first result."""
    settings = tx.settings
    require_observed("observed_at", report.observed_at, tx.now(), settings)
    replayed = _replayed(tx, report)
    if replayed is not None:
        return replayed
    city = city_of(tx)
    report_id = str(report.id)
    pcode, precision, place_reason = _place(report, city)
    seq = tx.append(actor, _received(tx, report, pcode, precision, place_reason)).seq
    when = report.observed_at
    candidate = None
    if precision == "point" and report.lat is not None and report.lon is not None:
        candidate = _nearest_located(
            tx.conn, report.lat, report.lon, report.accuracy_m, when, settings
        )
    if candidate is None and pcode is not None:
        candidate = _same_zone(tx.conn, pcode, precision, when, settings, city)
    if candidate is not None:
        incident_id, distance, reason = candidate
        tx.append(
            "hanano:intake",
            ReportLinked(
                incident_id=incident_id, report_id=report_id, distance_m=distance, reason=reason
            ),
        )
        return ReportResult(report_id, incident_id, "linked", reason, seq=seq)
    incident_id = _next_incident_id(tx.conn)
    reason = "Opened: " + _why_new(precision, pcode, city, settings)
    tx.append(
        "hanano:intake", IncidentOpened(incident_id=incident_id, report_id=report_id, reason=reason)
    )
    return ReportResult(report_id, incident_id, "opened", reason, seq=seq)


def _replayed(tx: Tx, report: ReportIn) -> ReportResult | None:
    """The first result of a report already received with this id, or 409 if its body differs."""
    report_id = str(report.id)
    existing = _REPORT_BY_ID.run(tx.conn, {"report_id": report_id}).first()
    if existing is None:
        return None
    if not same_body(existing.body_hash, tx.fingerprint_key, report.body(), report.legacy_hash()):
        raise conflict(f"report {report_id} was already received with a different body")
    decision = "opened" if existing.link_reason.startswith("Opened") else "linked"
    return ReportResult(
        report_id,
        existing.linked_incident_id,
        decision,
        existing.link_reason,
        replayed=True,
        seq=existing.seq,
    )


def _received(
    tx: Tx, report: ReportIn, pcode: str | None, precision: str, place_reason: str
) -> ReportReceived:
    return ReportReceived(
        report_id=str(report.id),
        body_hash=fingerprint(tx.fingerprint_key, report.body()),
        kind=report.kind,
        observed_at=isoformat(report.observed_at),
        lat=report.lat,
        lon=report.lon,
        accuracy_m=report.accuracy_m,
        text=report.text,
        trapped=report.trapped,
        casualties=report.casualties,
        source=report.source,
        pcode=pcode,
        place_precision=precision,
        place_reason=place_reason,
    )


def _place(report: ReportIn, city: City) -> tuple[str | None, str, str]:
    if report.lat is not None and report.lon is not None:
        pcode = city.locate(report.lat, report.lon)
        where = f"inside {pcode}" if pcode else "outside every known zone"
        return pcode, "point", f"coordinates given, {where}"
    if report.text:
        match = city.place_text(report.text)
        if match is not None:
            return (
                match.pcode,
                "neighbourhood",
                f"text names {match.matched!r} → {match.name} ({match.pcode}), "
                f"score {match.score:.2f}",
            )
        return None, "none", "no coordinates, and the text names no known place"
    return None, "none", "no coordinates and no text"


def _window(when: datetime, settings: Settings) -> tuple[str, str]:
    window = timedelta(minutes=settings.link_window_min)
    return isoformat(when - window), isoformat(when + window)


def _nearest_located(
    conn: Connection,
    lat: float,
    lon: float,
    accuracy: float | None,
    when: datetime,
    settings: Settings,
) -> tuple[str, float | None, str] | None:
    # A poor fix may stretch the limit, but never beyond twice the configured distance.
    limit = settings.link_distance_m + min(accuracy or 0.0, settings.link_distance_m)
    dlat, dlon = degrees_for_metres(limit, lat)
    earliest, latest = _window(when, settings)
    rows = _LOCATED_NEAR.run(
        conn,
        {
            "lat_lo": lat - dlat,
            "lat_hi": lat + dlat,
            "lon_lo": lon - dlon,
            "lon_hi": lon + dlon,
            "earliest": earliest,
            "latest": latest,
        },
    ).all()
    best: tuple[float, str, datetime] | None = None
    for row in rows:
        if row.status not in LIVE_STATUSES:
            continue
        distance = haversine_m(lat, lon, row.lat, row.lon)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, row.incident_id, parse_iso(row.last_report_at))
    if best is None:
        return None
    distance, incident_id, last = best
    minutes = abs((when - last).total_seconds()) / 60
    reason = (
        f"Linked: {distance:.0f} m from {incident_id}'s location and {minutes:.0f} min from "
        f"its latest report (limits {limit:.0f} m, {settings.link_window_min:g} min)"
    )
    return incident_id, distance, reason


def _same_zone(
    conn: Connection, pcode: str, precision: str, when: datetime, settings: Settings, city: City
) -> tuple[str, float | None, str] | None:
    earliest, latest = _window(when, settings)
    # A located report refines an incident known only by its zone; it does not join a located
    # incident that lies farther away than the distance rule allows.
    query = _ZONE_NAMED if precision == "point" else _ZONE_ANY
    rows = query.run(conn, {"pcode": pcode, "earliest": earliest, "latest": latest}).all()
    row = next((r for r in rows if r.status in LIVE_STATUSES), None)
    if row is None:
        return None
    zone = city.neighbourhoods.get(pcode)
    name = zone.name_en if zone else pcode
    minutes = abs((when - parse_iso(row.last_report_at)).total_seconds()) / 60
    reason = (
        f"Linked: same neighbourhood {name} ({pcode}) as {row.incident_id}, "
        f"{minutes:.0f} min from its latest report (limit {settings.link_window_min:g} min)"
    )
    return row.incident_id, None, reason


def _why_new(precision: str, pcode: str | None, city: City, settings: Settings) -> str:
    if precision == "point":
        return (
            f"no open incident within {settings.link_distance_m:g} m and "
            f"{settings.link_window_min:g} min"
        )
    if precision == "neighbourhood" and pcode:
        zone = city.neighbourhoods.get(pcode)
        name = zone.name_en if zone else pcode
        return f"no open incident in {name} ({pcode}) within {settings.link_window_min:g} min"
    return "the report cannot be placed, so it cannot be matched to another"


def _next_incident_id(conn: Connection) -> str:
    number = (_MAX_NUMBER.run(conn).scalar() or 0) + 1
    return f"INC-{number}"


# --- dispatcher corrections ----------------------------------------------------------------


def _live_incident(conn: Connection, incident_id: str) -> tuple[str, str | None]:
    row = conn.execute(
        select(incidents.c.status, incidents.c.merged_into).where(
            incidents.c.incident_id == incident_id
        )
    ).first()
    if row is None:
        raise not_found(f"incident {incident_id}")
    return row.status, row.merged_into


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "a reason is required")
    return reason


def change_status(tx: Tx, actor: str, incident_id: str, status: str, reason: str) -> None:
    reason = _require_reason(reason)
    current, merged_into = _live_incident(tx.conn, incident_id)
    if merged_into:
        raise conflict(f"{incident_id} was merged into {merged_into}")
    if status not in TRANSITIONS:
        raise invalid("status", f"must be one of {', '.join(TRANSITIONS)}")
    if status not in TRANSITIONS[current]:
        raise conflict(f"{incident_id} cannot go from {current} to {status}")
    tx.append(
        actor,
        IncidentStatusChanged(
            incident_id=incident_id, status=status, previous=current, reason=reason
        ),
    )


def merge_incidents(tx: Tx, actor: str, source_id: str, target_id: str, reason: str) -> None:
    reason = _require_reason(reason)
    if source_id == target_id:
        raise invalid("into", "an incident cannot be merged into itself")
    for incident_id in (source_id, target_id):
        _, merged_into = _live_incident(tx.conn, incident_id)
        if merged_into:
            raise conflict(f"{incident_id} was already merged into {merged_into}")
    moved = (
        tx.conn.execute(
            select(reports.c.report_id)
            .where(reports.c.incident_id == source_id)
            .order_by(reports.c.seq)
        )
        .scalars()
        .all()
    )
    tx.append(
        actor,
        IncidentsMerged(
            source_id=source_id, target_id=target_id, report_ids=list(moved), reason=reason
        ),
    )


def split_incident(tx: Tx, actor: str, incident_id: str, report_ids: list[str], reason: str) -> str:
    reason = _require_reason(reason)
    _, merged_into = _live_incident(tx.conn, incident_id)
    if merged_into:
        raise conflict(f"{incident_id} was merged into {merged_into}")
    wanted = list(dict.fromkeys(report_ids))
    if not wanted:
        raise invalid("report_ids", "name at least one report to move")
    present = set(
        tx.conn.execute(
            select(reports.c.report_id).where(reports.c.incident_id == incident_id)
        ).scalars()
    )
    strangers = [r for r in wanted if r not in present]
    if strangers:
        raise invalid("report_ids", f"not reports of {incident_id}: {', '.join(strangers)}")
    if len(wanted) == len(present):
        raise invalid("report_ids", "cannot move every report; at least one must stay")
    new_id = _next_incident_id(tx.conn)
    tx.append(
        actor,
        IncidentSplit(
            incident_id=incident_id, new_incident_id=new_id, report_ids=wanted, reason=reason
        ),
    )
    return new_id
