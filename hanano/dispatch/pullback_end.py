"""How a pull-back order reads and how it ends.

An order names the site (the incident and its neighbourhood) and the threat, with zones by name:
a dispatcher reads it at a glance. It ends, by an event with its reason, as soon as the team it
pulls back is free again or its task has ended: an order for a team already safe would keep
the room alarmed about nothing. An order the engine gave by its site's probability also ends
when that risk has passed (pullback_risk.py).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hanano.city import tables as city_tables
from hanano.dispatch.common import DISPATCH_ACTOR
from hanano.dispatch.events import PullbackEnded, ReasonParts, TaskTransitioned
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.tables import pullbacks, teams
from hanano.intake import tables as intake_tables
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

# Zones named in an order or a threat's reason; the rest are counted.
NAMED_ZONES = 3
# A task in one of these states has ended: its team is no longer at the site.
ENDED = ("available", "withdrawn")


def parts_text(data: dict[str, Any]) -> str | None:
    """An event's reason in parts as stored; None for events from before there were parts."""
    parts = data.get("reason_parts")
    return json.dumps(parts, sort_keys=True) if parts else None


def zone_list(names: list[str]) -> str:
    """Zones by name, the first few, the others counted."""
    shown = ", ".join(names[:NAMED_ZONES])
    more = len(names) - NAMED_ZONES
    return f"{shown} and {more} more zone{'s' if more > 1 else ''}" if more > 0 else shown


def alert_zone_names(conn: Connection, zones: list[dict[str, Any]]) -> str:
    """The alert's zones by name: the one a version 1 alert carried, else the city's."""
    n = city_tables.neighbourhoods
    pcodes = sorted({z["pcode"] for z in zones if not z.get("name_en")})
    city = dict(conn.execute(select(n.c.pcode, n.c.name_en).where(n.c.pcode.in_(pcodes))).all())
    return zone_list([z.get("name_en") or city.get(z["pcode"]) or z["pcode"] for z in zones])


def site_name(conn: Connection, incident_id: str) -> str:
    """The incident and the neighbourhood it lies in, by name."""
    i, n = intake_tables.incidents, city_tables.neighbourhoods
    name = conn.execute(
        select(n.c.name_en).join(i, i.c.pcode == n.c.pcode).where(i.c.incident_id == incident_id)
    ).scalar()
    return f"{incident_id} in {name}" if name else incident_id


def site_pcode(conn: Connection, incident_id: str) -> str | None:
    i = intake_tables.incidents
    pcode = conn.execute(select(i.c.pcode).where(i.c.incident_id == incident_id)).scalar()
    return str(pcode) if pcode else None


def order_parts(
    conn: Connection,
    task: Any,
    incident_id: str,
    threat: dict[str, Any],
    distance: float,
    until: str,
) -> ReasonParts:
    """The order's reason in parts (`order_text`'s words): the site, the threat, how near."""
    return {
        "code": "threat_covers_watched_site",
        "team_id": task.team_id,
        "state": task.state,
        "incident_id": incident_id,
        "pcode": site_pcode(conn, incident_id),
        "threat_id": threat["threat_id"],
        "threat": threat.get("reason_parts") or {"code": "manual", "text": threat["reason"]},
        "distance_m": round(distance),
        "until": until,
    }


def order_text(
    team: str, state: str, site: str, threat: dict[str, Any], where: str, until: str
) -> str:
    return (
        f"Pull back {team} ({state.replace('_', ' ')}) from {site}: threat "
        f"{threat['threat_id']} ({threat['reason']}) covers the site ({where}) while it is under "
        f"double-tap watch until {until}"
    )


@HANDLERS.reacts_to(TaskTransitioned.type)
def _task_moved(tx: Tx, event: RecordedEvent) -> None:
    d = event.data
    if d["state"] not in ENDED:
        return
    orders = tx.conn.execute(
        select(pullbacks.c.order_id, teams.c.name)
        .join(teams, teams.c.team_id == pullbacks.c.team_id)
        .where(pullbacks.c.task_id == d["task_id"], pullbacks.c.ended_at.is_(None))
        .order_by(pullbacks.c.number)
    ).all()
    why = "is free again" if d["state"] == "available" else "was withdrawn"
    code = "team_free" if d["state"] == "available" else "team_withdrawn"
    for order in orders:
        tx.append(
            DISPATCH_ACTOR,
            PullbackEnded(
                order_id=order.order_id,
                team_id=d["team_id"],
                task_id=d["task_id"],
                reason=(
                    f"{order.name} {why} (task {d['task_id']} {d['state']}): pull-back "
                    f"{order.order_id} no longer stands"
                ),
                reason_parts={
                    "code": code,
                    "team_id": d["team_id"],
                    "task_id": d["task_id"],
                    "order_id": order.order_id,
                },
            ),
        )


@HANDLERS.projects(PullbackEnded.type)
def _ended(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        pullbacks.update()
        .where(pullbacks.c.order_id == event.data["order_id"])
        .values(
            ended_at=event.time,
            ended_reason=event.data["reason"],
            ended_reason_ar=event.data.get("reason_ar") or None,
            ended_reason_parts=parts_text(event.data),
        )
    )
