"""Keeping rescuers alive: the double-tap watch on strike sites, pull-back orders when an
operator's or a foreign agency's threat covers a watched site (the engine's threats order teams
back by their site's probability: site_risk.py), their acknowledgement and escalation, and
check-in alarms.

Second strikes on the same site after rescuers arrive came within the hour in most verified
cases, so a strike site stays under watch for at least 60 minutes after the strike, and after
each team arrives on scene.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points
from sqlalchemy import Connection, Row, or_, select

from hanano.city.model import alert_outlines
from hanano.clock import isoformat, parse_iso
from hanano.dispatch.common import DISPATCH_ACTOR, next_number
from hanano.dispatch.events import (
    CheckinAlarmAcknowledged,
    CheckinOverdue,
    PullbackAcknowledged,
    PullbackEscalated,
    PullbackOrdered,
    ThreatReported,
    ThreatSource,
)
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.pullback_end import (
    alert_zone_names,
    order_parts,
    order_text,
    parts_text,
    site_name,
)
from hanano.dispatch.site_risk import lowered, scored
from hanano.dispatch.tables import pullbacks, tasks, teams, threats
from hanano.dispatch.tasks import AT_SITE
from hanano.dispatch.watch import active_watches
from hanano.errors import conflict, not_found
from hanano.geo.distance import haversine_m
from hanano.geo.position import check_area
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

THREAT_LEVELS = ("warning", "imminent")


# --- threats and pull-backs ---------------------------------------------------------------


def report_threat(
    tx: Tx,
    actor: str,
    *,
    lat: float | None,
    lon: float | None,
    radius_m: float,
    polygons: list[list[list[float]]],
    reason: str,
    source: ThreatSource = "manual",
    alert_id: str | None = None,
    reason_parts: dict[str, Any] | None = None,
    pcodes: list[str] | None = None,
) -> str:
    if not pcodes:
        check_area(lat, lon, radius_m, polygons)
    number = next_number(tx.conn, threats.c.number)
    threat_id = f"TH-{number}"
    tx.append(
        actor,
        ThreatReported(
            threat_id=threat_id,
            source=source,
            alert_id=alert_id,
            lat=lat,
            lon=lon,
            radius_m=radius_m,
            polygons=polygons,
            reason=reason,
            reason_parts=reason_parts,
            pcodes=pcodes or [],
        ),
    )
    return threat_id


def threat_outlines(conn: Connection, data: dict[str, Any]) -> list[list[list[float]]]:
    """The threat's zones as rings: those drawn, then the city's outlines of those it names."""
    named = alert_outlines(conn, data.get("pcodes") or [])
    return [*data["polygons"], *(named[p] for p in data.get("pcodes") or [] if p in named)]


def covers(data: dict[str, Any], lat: float, lon: float) -> float | None:
    """How far (m) the site lies from the threat's centre or zone if covered, else None."""
    if data["lat"] is not None:
        distance = haversine_m(lat, lon, data["lat"], data["lon"])
        if distance <= data["radius_m"]:
            return distance
    site = Point(lon, lat)
    for ring in data["polygons"]:
        zone = Polygon(ring)
        if zone.covers(site):
            return 0.0
        edge = nearest_points(zone.exterior, site)[0]
        distance = haversine_m(lat, lon, edge.y, edge.x)
        if distance <= data["radius_m"]:
            return distance
    return None


@HANDLERS.reacts_to(ThreatReported.type)
def _threat(tx: Tx, event: RecordedEvent) -> None:
    d = event.data
    area = {**d, "polygons": threat_outlines(tx.conn, d)}
    for watch in active_watches(tx.conn, tx.now(), tx.settings.double_tap_watch_min):
        distance = covers(area, watch.lat, watch.lon)
        if distance is None:
            continue
        at_site = tx.conn.execute(
            select(tasks.c.task_id, tasks.c.team_id, tasks.c.state, teams.c.name)
            .join(teams, teams.c.team_id == tasks.c.team_id)
            .where(tasks.c.incident_id == watch.incident_id, tasks.c.state.in_(AT_SITE))
            .order_by(tasks.c.number)
        ).all()
        where = "inside the zone" if distance == 0 else f"{distance:.0f} m from it"
        site = site_name(tx.conn, watch.incident_id)
        for task in at_site:
            number = next_number(tx.conn, pullbacks.c.number)
            tx.append(
                DISPATCH_ACTOR,
                PullbackOrdered(
                    order_id=f"PB-{number}",
                    threat_id=d["threat_id"],
                    incident_id=watch.incident_id,
                    team_id=task.team_id,
                    task_id=task.task_id,
                    reason=order_text(task.name, task.state, site, d, where, watch.until),
                    reason_parts=order_parts(
                        tx.conn, task, watch.incident_id, d, distance, watch.until
                    ),
                ),
            )


@HANDLERS.reacts_to("warning.alert_issued")
def _alert(tx: Tx, event: RecordedEvent) -> None:
    d = event.data
    if d.get("level") not in THREAT_LEVELS or scored(d) or lowered(d):
        return
    zones = d.get("zones", [])
    # A version 1 alert carried its zones' outlines; a later one names them by P-code.
    carried = [z["polygon"] for z in zones if z.get("polygon")]
    known = set(alert_outlines(tx.conn, [z["pcode"] for z in zones if not z.get("polygon")]))
    named = [z["pcode"] for z in zones if not z.get("polygon") and z["pcode"] in known]
    if not carried and not named:
        return
    report_threat(
        tx,
        DISPATCH_ACTOR,
        lat=None,
        lon=None,
        radius_m=0.0,
        polygons=carried,
        pcodes=named,
        reason=f"{d['level']} alert {d['alert_id']} for {alert_zone_names(tx.conn, d['zones'])}",
        source="alert",
        alert_id=d["alert_id"],
        reason_parts={
            "code": "alert",
            "alert_id": d["alert_id"],
            "level": d["level"],
            "pcodes": [z["pcode"] for z in zones if z.get("polygon") or z["pcode"] in known],
        },
    )


def acknowledge(tx: Tx, actor: str, order_id: str, note: str) -> None:
    row = tx.conn.execute(select(pullbacks).where(pullbacks.c.order_id == order_id)).first()
    if row is None:
        raise not_found(f"pull-back order {order_id}")
    if row.acknowledged_at is not None:
        raise conflict(f"{order_id} was acknowledged at {row.acknowledged_at}")
    tx.append(actor, PullbackAcknowledged(order_id=order_id, team_id=row.team_id, note=note))


def acknowledge_checkin_alarm(tx: Tx, actor: str, team_id: str, note: str) -> str:
    """A person answers for a team's check-in alarm; returns the task's id."""
    row = tx.conn.execute(
        select(tasks.c.task_id, tasks.c.checkin_acknowledged_at, teams.c.name)
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .where(
            tasks.c.team_id == team_id,
            tasks.c.state == "on_scene",
            tasks.c.checkin_alarm_at.isnot(None),
        )
    ).first()
    if row is None:
        raise conflict(f"team {team_id} has no check-in alarm sounding")
    if row.checkin_acknowledged_at is not None:
        raise conflict(
            f"{row.name}'s check-in alarm was acknowledged at {row.checkin_acknowledged_at}"
        )
    tx.append(actor, CheckinAlarmAcknowledged(task_id=row.task_id, team_id=team_id, note=note))
    return str(row.task_id)


@HANDLERS.on_tick
def escalate_pullbacks(tx: Tx) -> None:
    limit = tx.settings.pullback_escalate_min
    cutoff = isoformat(tx.now() - timedelta(minutes=limit))
    rows = tx.conn.execute(
        select(pullbacks, teams.c.name)
        .join(teams, teams.c.team_id == pullbacks.c.team_id)
        .where(
            pullbacks.c.acknowledged_at.is_(None),
            pullbacks.c.escalated_at.is_(None),
            pullbacks.c.ended_at.is_(None),
            pullbacks.c.issued_at <= cutoff,
        )
        .order_by(pullbacks.c.number)
    ).all()
    for row in rows:
        waited = (tx.now() - parse_iso(row.issued_at)).total_seconds() / 60
        tx.append(
            DISPATCH_ACTOR,
            PullbackEscalated(
                order_id=row.order_id,
                team_id=row.team_id,
                reason=(
                    f"{row.name} has not acknowledged pull-back {row.order_id} from "
                    f"{row.incident_id} after {waited:.0f} min (limit {limit:g} min)"
                ),
            ),
        )


@HANDLERS.on_tick
def overdue_checkins(tx: Tx) -> None:
    interval = tx.settings.checkin_interval_min
    cutoff = isoformat(tx.now() - timedelta(minutes=interval))
    rows = tx.conn.execute(
        select(tasks, teams.c.name)
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .where(
            tasks.c.state == "on_scene",
            # A new alarm, or the acknowledged one again after another interval of silence.
            or_(tasks.c.checkin_alarm_at.is_(None), tasks.c.checkin_acknowledged_at <= cutoff),
            tasks.c.last_checkin_at <= cutoff,
        )
        .order_by(tasks.c.number)
    ).all()
    for row in rows:
        silent = (tx.now() - parse_iso(row.last_checkin_at)).total_seconds() / 60
        tx.append(
            DISPATCH_ACTOR,
            CheckinOverdue(
                task_id=row.task_id,
                team_id=row.team_id,
                incident_id=row.incident_id,
                reason=(
                    f"{row.name} on scene at {row.incident_id} has not checked in for "
                    f"{silent:.0f} min (limit {interval:g} min)"
                ),
            ),
        )


# --- projection ---------------------------------------------------------------------------


@HANDLERS.projects(ThreatReported.type)
def _threat_reported(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        threats.insert().values(
            threat_id=d["threat_id"],
            number=int(d["threat_id"].split("-", 1)[1]),
            source=d["source"],
            alert_id=d["alert_id"],
            lat=d["lat"],
            lon=d["lon"],
            radius_m=d["radius_m"],
            polygon=json.dumps(outlines) if (outlines := threat_outlines(conn, d)) else None,
            reason=d["reason"],
            issued_at=event.time,
        )
    )


@HANDLERS.projects(PullbackOrdered.type)
def _pullback(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        pullbacks.insert().values(
            order_id=d["order_id"],
            number=int(d["order_id"].split("-", 1)[1]),
            threat_id=d["threat_id"],
            incident_id=d["incident_id"],
            team_id=d["team_id"],
            task_id=d["task_id"],
            reason=d["reason"],
            reason_ar=d.get("reason_ar") or None,
            probability=d.get("probability"),
            reason_parts=parts_text(d),
            issued_at=event.time,
        )
    )


@HANDLERS.projects(PullbackAcknowledged.type)
def _acknowledged(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        pullbacks.update()
        .where(pullbacks.c.order_id == event.data["order_id"])
        .values(acknowledged_at=event.time, acknowledged_by=event.actor)
    )


@HANDLERS.projects(PullbackEscalated.type)
def _escalated(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        pullbacks.update()
        .where(pullbacks.c.order_id == event.data["order_id"])
        .values(escalated_at=event.time)
    )


@HANDLERS.projects(CheckinOverdue.type)
def _overdue(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        tasks.update()
        .where(tasks.c.task_id == event.data["task_id"])
        .values(
            checkin_alarm_at=event.time, checkin_acknowledged_at=None, checkin_acknowledged_by=None
        )
    )


@HANDLERS.projects(CheckinAlarmAcknowledged.type)
def _alarm_acknowledged(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        tasks.update()
        .where(tasks.c.task_id == event.data["task_id"])
        .values(checkin_acknowledged_at=event.time, checkin_acknowledged_by=event.actor)
    )


# --- views --------------------------------------------------------------------------------


def _pullback_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.order_id,
        "threat_id": row.threat_id,
        "incident_id": row.incident_id,
        "team_id": row.team_id,
        "task_id": row.task_id,
        "reason": row.reason,
        "reason_ar": row.reason_ar,
        "probability": row.probability,
        "reason_parts": json.loads(row.reason_parts) if row.reason_parts else None,
        "issued_at": row.issued_at,
        "acknowledged_at": row.acknowledged_at,
        "escalated_at": row.escalated_at,
        "ended_at": row.ended_at,
        "ended_reason": row.ended_reason,
        "ended_reason_ar": row.ended_reason_ar,
        "ended_reason_parts": json.loads(row.ended_reason_parts)
        if row.ended_reason_parts
        else None,
    }


def list_pullbacks(conn: Connection, open_only: bool = False) -> list[dict[str, Any]]:
    query = select(pullbacks).order_by(pullbacks.c.number)
    if open_only:
        query = query.where(pullbacks.c.acknowledged_at.is_(None), pullbacks.c.ended_at.is_(None))
    return [_pullback_view(r) for r in conn.execute(query).all()]


def list_watches(conn: Connection, now: datetime, minutes: float) -> list[dict[str, Any]]:
    return [
        {
            "incident_id": w.incident_id,
            "location": {"lat": w.lat, "lon": w.lon},
            "started_at": w.started_at,
            "until": w.until,
            "reason": w.reason,
            "reason_parts": w.reason_parts,
        }
        for w in active_watches(conn, now, minutes)
    ]


def list_threats(conn: Connection) -> list[dict[str, Any]]:
    return [
        {
            "id": r.threat_id,
            "source": r.source,
            "alert_id": r.alert_id,
            "point": None if r.lat is None else {"lat": r.lat, "lon": r.lon},
            "radius_m": r.radius_m,
            "polygons": json.loads(r.polygon) if r.polygon else [],
            "reason": r.reason,
            "issued_at": r.issued_at,
        }
        for r in conn.execute(select(threats).order_by(threats.c.number.desc())).all()
    ]


def board(conn: Connection, now: datetime, watch_min: float) -> dict[str, Any]:
    """The dispatcher's safety board: escalated pull-backs first, then open ones, alarms."""
    open_orders = list_pullbacks(conn, open_only=True)
    open_orders.sort(key=lambda o: (o["escalated_at"] is None, o["issued_at"]))
    alarms = conn.execute(
        select(tasks, teams.c.name)
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .where(tasks.c.checkin_alarm_at.isnot(None), tasks.c.state == "on_scene")
        .order_by(tasks.c.checkin_alarm_at)
    ).all()
    return {
        "at": isoformat(now),
        "pullbacks": open_orders,
        "escalated": sum(1 for o in open_orders if o["escalated_at"]),
        "checkin_alarms": [
            {
                "task_id": r.task_id,
                "team_id": r.team_id,
                "team": r.name,
                "incident_id": r.incident_id,
                "last_checkin_at": r.last_checkin_at,
                "alarm_at": r.checkin_alarm_at,
                "acknowledged_at": r.checkin_acknowledged_at,
                "acknowledged_by": r.checkin_acknowledged_by,
            }
            for r in alarms
        ],
        "watches": list_watches(conn, now, watch_min),
    }
