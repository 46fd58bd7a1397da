"""What each role may see of incidents and reports.

Exact places where rescuers work now are a target list for a second strike: the roles handed to
people outside the team (reporter, public, spotter) see an incident only once it is cleared or
after a delay, and only its neighbourhood. The delay counts from when the server received the
incident's first report, never from the time a report claims: a backdated report must not make a
site public early.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select

from hanano.city import tables as city_tables
from hanano.clock import isoformat
from hanano.errors import not_found
from hanano.events import Role
from hanano.intake import tables as intake_tables
from hanano.intake.events import IncidentOpened, ReportReceived

incidents = intake_tables.incidents
reports = intake_tables.reports
zones = city_tables.neighbourhoods


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None
    since: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    pcode: str | None = None
    limit: int = 500


def is_restricted(role: Role) -> bool:
    """Whether the role reads incidents only as the public does: true of every role the
    visibility rule does not let read the intake's own events."""
    rule = IncidentOpened.audience
    return rule is None or role not in rule.roles


def old_enough(now: datetime, delay_min: float) -> Any:
    """Incidents whose first report reached the server at least the public delay ago."""
    return incidents.c.first_received_at <= isoformat(now - timedelta(minutes=delay_min))


# What the public reads of an incident's status: a team's arrival does not show.
PUBLIC_STATUS = {"responding": "open"}


def public_clause(now: datetime, delay_min: float) -> Any:
    """Incidents the public may see now: cleared or closed, or old enough."""
    return or_(incidents.c.status.in_(("cleared", "closed")), old_enough(now, delay_min))


def list_incidents(
    conn: Connection, role: Role, flt: IncidentFilter, now: datetime, delay_min: float
) -> list[dict[str, Any]]:
    """Incidents, most severe and newest first, as the role may see them."""
    query = select(
        incidents, zones.c.name_en, zones.c.name_ar, zones.c.centroid_lat, zones.c.centroid_lon
    ).outerjoin(zones, zones.c.pcode == incidents.c.pcode)
    query = query.where(incidents.c.merged_into.is_(None))
    if flt.status:
        statuses = [flt.status]
        if is_restricted(role):
            statuses = [
                s
                for s in ("open", "responding", "cleared", "closed")
                if PUBLIC_STATUS.get(s, s) == PUBLIC_STATUS.get(flt.status, flt.status)
            ]
        query = query.where(incidents.c.status.in_(statuses))
    if flt.since:
        query = query.where(incidents.c.last_report_at >= isoformat(flt.since))
    if flt.pcode:
        query = query.where(incidents.c.pcode == flt.pcode)
    restricted = is_restricted(role)
    if restricted:
        query = query.where(public_clause(now, delay_min))
    if flt.bbox:
        west, south, east, north = flt.bbox
        if restricted:
            # The public's incidents sit at their zone's centre, so filter on that.
            query = query.where(
                and_(
                    zones.c.centroid_lon.between(west, east),
                    zones.c.centroid_lat.between(south, north),
                )
            )
        else:
            query = query.where(
                and_(incidents.c.lon.between(west, east), incidents.c.lat.between(south, north))
            )
    query = query.order_by(
        incidents.c.severity.desc(), incidents.c.last_report_at.desc(), incidents.c.number.desc()
    ).limit(flt.limit)
    result = conn.execute(query)
    # Plain tuples under one namedtuple class: a Row's lookup by name cost more than the rest of
    # the view, a thousand times over when the room opens.
    plain = namedtuple("IncidentRow", result.keys())  # type: ignore[misc]
    return [incident_view(plain._make(row), restricted) for row in result.all()]


def incident_view(row: Any, restricted: bool) -> dict[str, Any]:
    zone = None
    if row.pcode is not None:
        zone = {"pcode": row.pcode, "name_en": row.name_en, "name_ar": row.name_ar}
    view: dict[str, Any] = {
        "id": row.incident_id,
        "status": row.status,
        "kind": row.kind,
        "severity": row.severity,
        "neighbourhood": zone,
        "report_count": row.report_count,
        "first_received_at": row.first_received_at,
        # As the reports claim them: shown, never used to decide who may see the incident.
        "first_report_at": row.first_report_at,
        "last_report_at": row.last_report_at,
    }
    if restricted:
        # Whether a team is at the site now is for the operation only: to the public an incident
        # is open until it is cleared.
        view["status"] = PUBLIC_STATUS.get(row.status, row.status)
        view["location"] = (
            {"lat": row.centroid_lat, "lon": row.centroid_lon, "precision": "neighbourhood"}
            if zone and row.centroid_lat is not None
            else None
        )
        return view
    view.update(
        {
            "location": None
            if row.lat is None
            else {
                "lat": row.lat,
                "lon": row.lon,
                "uncertainty_m": row.uncertainty_m,
                "precision": row.place_precision,
            },
            "trapped": row.trapped,
            "casualties": row.casualties,
            "opened_at": row.opened_at,
            "updated_at": row.updated_at,
            "cleared_at": row.cleared_at,
        }
    )
    return view


def get_incident(
    conn: Connection, role: Role, incident_id: str, now: datetime, delay_min: float
) -> dict[str, Any]:
    """One incident with its reports (reports only for roles that may see them)."""
    restricted = is_restricted(role)
    query = select(
        incidents, zones.c.name_en, zones.c.name_ar, zones.c.centroid_lat, zones.c.centroid_lon
    ).outerjoin(zones, zones.c.pcode == incidents.c.pcode)
    query = query.where(incidents.c.incident_id == incident_id)
    if restricted:
        query = query.where(public_clause(now, delay_min), incidents.c.merged_into.is_(None))
    row = conn.execute(query).first()
    if row is None:
        raise not_found(f"incident {incident_id}")
    view = incident_view(row, restricted)
    if row.merged_into:
        view["merged_into"] = row.merged_into
    if not restricted:
        rows = conn.execute(
            select(reports).where(reports.c.incident_id == incident_id).order_by(reports.c.seq)
        ).all()
        with_text = role in ReportReceived.audience.field_readers("text")
        view["reports"] = [report_view(r, with_text) for r in rows]
    return view


def report_view(row: Row[Any], with_text: bool = True) -> dict[str, Any]:
    return {
        "id": row.report_id,
        "kind": row.kind,
        "observed_at": row.observed_at,
        "received_at": row.received_at,
        "lat": row.lat,
        "lon": row.lon,
        "accuracy_m": row.accuracy_m,
        # Free text often names victims: only the roles the rule lets read it do.
        "text": row.text if with_text else None,
        "trapped": row.trapped,
        "casualties": row.casualties,
        "source": row.source,
        "neighbourhood": row.pcode,
        "place": row.place_reason,
        "link_reason": row.link_reason,
        "incident_id": row.incident_id,
    }


def report_incident(conn: Connection, report_id: str, actor: str | None = None) -> str | None:
    """The incident a report is in now; with `actor`, only if that actor sent it."""
    query = select(reports.c.incident_id).where(reports.c.report_id == report_id)
    if actor is not None:
        query = query.where(reports.c.actor == actor)
    found: str | None = conn.execute(query).scalar()
    return found


def newly_public_ids(conn: Connection, now: datetime, delay_min: float) -> list[str]:
    """Live incidents old enough for the public to see (the stream announces them once)."""
    query = select(incidents.c.incident_id).where(
        old_enough(now, delay_min),
        incidents.c.merged_into.is_(None),
        incidents.c.status.in_(("open", "responding")),
    )
    return list(conn.execute(query).scalars().all())
