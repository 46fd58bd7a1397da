"""How intake events shape the incidents and reports tables."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from hanano.city import tables as city_tables
from hanano.clock import canonical_time
from hanano.geo.distance import haversine_m
from hanano.intake import tables as intake_tables
from hanano.intake.events import (
    IncidentOpened,
    IncidentsMerged,
    IncidentSplit,
    IncidentStatusChanged,
    ReportLinked,
    ReportReceived,
)
from hanano.intake.handlers import HANDLERS
from hanano.intake.severity import incident_kind, severity
from hanano.store.prepared import Prepared, insert_all
from hanano.store.records import RecordedEvent

# A located report without a stated accuracy is taken to be a phone fix of this quality.
DEFAULT_ACCURACY_M = 50.0
MIN_ACCURACY_M = 10.0

incidents = intake_tables.incidents
reports = intake_tables.reports


_INSERT_REPORT = insert_all(reports)
_INSERT_INCIDENT = insert_all(incidents)
_LINK = Prepared(
    reports.update()
    .where(reports.c.report_id == bindparam("report"))
    .values(
        incident_id=bindparam("incident"),
        linked_incident_id=bindparam("incident"),
        link_reason=bindparam("reason"),
    )
)
# In log order, so that live and rebuilt incidents sum and break ties the same way.
_REPORTS_OF = Prepared(
    select(reports).where(reports.c.incident_id == bindparam("incident")).order_by(reports.c.seq)
)
_REFRESHED = (
    "kind",
    "trapped",
    "casualties",
    "severity",
    "report_count",
    "first_report_at",
    "last_report_at",
    "first_received_at",
    "updated_at",
    "lat",
    "lon",
    "uncertainty_m",
    "place_precision",
    "pcode",
)
_REFRESH = Prepared(
    incidents.update()
    .where(incidents.c.incident_id == bindparam("incident"))
    .values({name: bindparam("v_" + name) for name in _REFRESHED})
)
_ZONE = Prepared(
    select(city_tables.neighbourhoods).where(
        city_tables.neighbourhoods.c.pcode == bindparam("pcode")
    )
)


def incident_number(incident_id: str) -> int:
    return int(incident_id.split("-", 1)[1])


@HANDLERS.projects(ReportReceived.type)
def _report_received(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    _INSERT_REPORT.run(
        conn,
        {
            "report_id": d["report_id"],
            "seq": event.seq,
            "body_hash": d["body_hash"],
            "incident_id": None,
            "linked_incident_id": None,
            "link_reason": None,
            "kind": d["kind"],
            "observed_at": canonical_time(d["observed_at"]),
            "received_at": event.time,
            "lat": d["lat"],
            "lon": d["lon"],
            "accuracy_m": d["accuracy_m"],
            "text": d["text"],
            "trapped": d["trapped"],
            "casualties": d["casualties"],
            "source": d["source"],
            "pcode": d["pcode"],
            "place_precision": d["place_precision"],
            "place_reason": d["place_reason"],
            "actor": event.actor,
        },
    )


@HANDLERS.projects(IncidentOpened.type)
def _incident_opened(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    _insert_incident(conn, d["incident_id"], event.time)
    _link(conn, d["report_id"], d["incident_id"], d["reason"])
    refresh_incident(conn, d["incident_id"], event.time)


@HANDLERS.projects(ReportLinked.type)
def _report_linked(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    _link(conn, d["report_id"], d["incident_id"], d["reason"])
    refresh_incident(conn, d["incident_id"], event.time)


@HANDLERS.projects(IncidentStatusChanged.type)
def _status_changed(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    values: dict[str, Any] = {"status": d["status"], "updated_at": event.time}
    if d["status"] == "cleared":
        values["cleared_at"] = event.time
    elif d["status"] == "open":
        values["cleared_at"] = None
    conn.execute(
        incidents.update().where(incidents.c.incident_id == d["incident_id"]).values(values)
    )


@HANDLERS.projects(IncidentsMerged.type)
def _merged(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        reports.update()
        .where(reports.c.incident_id == d["source_id"])
        .values(incident_id=d["target_id"])
    )
    conn.execute(
        incidents.update()
        .where(incidents.c.incident_id == d["source_id"])
        .values(merged_into=d["target_id"], status="closed", report_count=0, updated_at=event.time)
    )
    refresh_incident(conn, d["target_id"], event.time)


@HANDLERS.projects(IncidentSplit.type)
def _split(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    _insert_incident(conn, d["new_incident_id"], event.time)
    conn.execute(
        reports.update()
        .where(reports.c.report_id.in_(d["report_ids"]))
        .values(incident_id=d["new_incident_id"])
    )
    refresh_incident(conn, d["incident_id"], event.time)
    refresh_incident(conn, d["new_incident_id"], event.time)


def _insert_incident(conn: Connection, incident_id: str, time: str) -> None:
    values: dict[str, Any] = {c.name: None for c in incidents.columns}
    values.update(
        incident_id=incident_id,
        number=incident_number(incident_id),
        status="open",
        kind="other",
        severity=1,
        place_precision="none",
        report_count=0,
        first_report_at=time,
        last_report_at=time,
        first_received_at=time,
        opened_at=time,
        updated_at=time,
    )
    _INSERT_INCIDENT.run(conn, values)


def _link(conn: Connection, report_id: str, incident_id: str, reason: str) -> None:
    _LINK.run(conn, {"report": report_id, "incident": incident_id, "reason": reason})


def refresh_incident(conn: Connection, incident_id: str, time: str) -> None:
    """Recompute an incident's place, kind, severity and counts from its reports."""
    rows = _REPORTS_OF.run(conn, {"incident": incident_id}).all()
    if not rows:
        conn.execute(
            incidents.update()
            .where(incidents.c.incident_id == incident_id)
            .values(report_count=0, updated_at=time)
        )
        return
    trapped = _max_or_none(r.trapped for r in rows)
    casualties = _max_or_none(r.casualties for r in rows)
    kind = incident_kind([r.kind for r in rows])
    values: dict[str, Any] = {
        "kind": kind,
        "trapped": trapped,
        "casualties": casualties,
        "severity": severity(kind, trapped, casualties),
        "report_count": len(rows),
        "first_report_at": min(r.observed_at for r in rows),
        "last_report_at": max(r.observed_at for r in rows),
        # After a merge or split, the incident is as old as the earliest report it now holds.
        "first_received_at": min(r.received_at for r in rows),
        "updated_at": time,
    }
    values.update(_place(conn, rows))
    _REFRESH.run(conn, {"incident": incident_id, **{"v_" + k: v for k, v in values.items()}})


def _max_or_none(values: Any) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _place(conn: Connection, rows: Sequence[Any]) -> dict[str, Any]:
    """Best location: inverse-variance mean of located reports, else the named zone's centre."""
    located = [r for r in rows if r.place_precision == "point"]
    if located:
        weights = [
            1.0 / max(r.accuracy_m or DEFAULT_ACCURACY_M, MIN_ACCURACY_M) ** 2 for r in located
        ]
        total = sum(weights)
        lat = sum(w * r.lat for w, r in zip(weights, located, strict=True)) / total
        lon = sum(w * r.lon for w, r in zip(weights, located, strict=True)) / total
        # Reports that disagree make the estimate less certain than their stated accuracies say.
        spread = math.sqrt(
            sum(
                w * haversine_m(lat, lon, r.lat, r.lon) ** 2
                for w, r in zip(weights, located, strict=True)
            )
            / total
        )
        pcodes = Counter(r.pcode for r in located if r.pcode)
        return {
            "lat": lat,
            "lon": lon,
            "uncertainty_m": max(math.sqrt(1.0 / total), spread),
            "place_precision": "point",
            "pcode": pcodes.most_common(1)[0][0] if pcodes else None,
        }
    named = Counter(r.pcode for r in rows if r.pcode)
    if named:
        pcode = named.most_common(1)[0][0]
        zone = _ZONE.run(conn, {"pcode": pcode}).first()
        if zone is not None:
            return {
                "lat": zone.centroid_lat,
                "lon": zone.centroid_lon,
                "uncertainty_m": zone.radius_m,
                "place_precision": "neighbourhood",
                "pcode": pcode,
            }
    return {
        "lat": None,
        "lon": None,
        "uncertainty_m": None,
        "place_precision": "none",
        "pcode": None,
    }
