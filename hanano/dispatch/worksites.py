"""Worksites and victims in INSARAG's vocabulary.

A worksite is named by sector letter and number ("C-6") and triaged A–F: A and B have live
victims confirmed (big and small voids), C and D possibly live victims (big and small voids),
E only the dead, F nobody left to find. Victims are marked L-n while alive and D-n when dead.
Names and identities enter the log only as commitments and are kept apart from every other
table; only admin and dispatcher read them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Row, func, select

from hanano.city.model import city_of
from hanano.dispatch import client_records
from hanano.dispatch.client_records import Recorded
from hanano.dispatch.common import next_number
from hanano.dispatch.events import (
    Category,
    Triage,
    VictimRecorded,
    VictimStatus,
    VictimUpdated,
    WorksiteOpened,
    WorksiteUpdated,
)
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.hospitals import RECEIVING, hospital_row
from hanano.dispatch.tables import victim_identities, victims, worksites
from hanano.dispatch.tasks import incident_row
from hanano.errors import conflict, invalid, not_found
from hanano.geo.position import check_position
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

CATEGORY_WORDS = {
    "A": "live victims confirmed, big voids",
    "B": "live victims confirmed, small voids",
    "C": "live victims possible, big voids",
    "D": "live victims possible, small voids",
    "E": "only the dead expected",
    "F": "no victims expected",
}
VICTIM_STEPS: dict[str, frozenset[str]] = {
    "trapped": frozenset({"extracted_alive", "dead"}),
    "extracted_alive": frozenset({"dead"}),
    "dead": frozenset(),
}
WORKSITE_ID = re.compile(r"^[A-Z]-[1-9][0-9]{0,2}$")


def _worksite(conn: Connection, incident_id: str, worksite_id: str) -> Row[Any] | None:
    return conn.execute(
        select(worksites).where(
            worksites.c.incident_id == incident_id, worksites.c.worksite_id == worksite_id
        )
    ).first()


def open_worksite(
    tx: Tx,
    actor: str,
    incident_id: str,
    *,
    worksite_id: str,
    category: Category,
    hazards: list[str],
    operations: list[str],
    lat: float | None = None,
    lon: float | None = None,
    note: str = "",
    client_id: str | None = None,
    body_hash: str | None = None,
) -> Recorded:
    incident_row(tx.conn, incident_id)
    if (lat is None) != (lon is None):
        raise invalid("lat", "lat and lon must be given together")
    if lat is not None and lon is not None:
        check_position(city_of(tx), tx.settings.city_margin_km, lat, lon)
    if not WORKSITE_ID.match(worksite_id):
        raise invalid("worksite_id", "must be a sector letter and a number, e.g. C-6")
    if _worksite(tx.conn, incident_id, worksite_id) is not None:
        raise conflict(f"{incident_id} already has worksite {worksite_id}")
    seq = tx.append(
        actor,
        WorksiteOpened(
            incident_id=incident_id,
            worksite_id=worksite_id,
            category=category,
            hazards=hazards,
            operations=operations,
            lat=lat,
            lon=lon,
            note=note,
            client_id=client_id,
            body_hash=body_hash,
        ),
    ).seq
    return Recorded(worksite_id, seq)


def update_worksite(
    tx: Tx,
    actor: str,
    incident_id: str,
    worksite_id: str,
    *,
    category: Category | None,
    hazards: list[str] | None,
    operations: list[str] | None,
    reason: str,
) -> None:
    if _worksite(tx.conn, incident_id, worksite_id) is None:
        raise not_found(f"worksite {worksite_id} of {incident_id}")
    if category is None and hazards is None and operations is None:
        raise invalid("body", "nothing to change")
    tx.append(
        actor,
        WorksiteUpdated(
            incident_id=incident_id,
            worksite_id=worksite_id,
            category=category,
            hazards=hazards,
            operations=operations,
            reason=reason,
        ),
    )


def _receiving(conn: Connection, hospital_id: str | None, status: str) -> None:
    if hospital_id is None:
        return
    if status != "extracted_alive":
        raise invalid("hospital_id", "only a victim extracted alive goes to a hospital")
    hospital = hospital_row(conn, hospital_id)
    if hospital.status not in RECEIVING:
        raise conflict(f"{hospital.name} is {hospital.status}; choose another hospital")


def record_victim(
    tx: Tx,
    actor: str,
    incident_id: str,
    *,
    status: VictimStatus,
    worksite_id: str | None = None,
    triage: Triage | None = None,
    hospital_id: str | None = None,
    name: str | None = None,
    identity: str | None = None,
    note: str | None = None,
    client_id: str | None = None,
    body_hash: str | None = None,
) -> Recorded:
    incident_row(tx.conn, incident_id)
    if worksite_id is not None and _worksite(tx.conn, incident_id, worksite_id) is None:
        raise not_found(f"worksite {worksite_id} of {incident_id}")
    _receiving(tx.conn, hospital_id, status)
    victim_id = f"V-{next_number(tx.conn, victims.c.number)}"
    seq = tx.append(
        actor,
        VictimRecorded(
            victim_id=victim_id,
            incident_id=incident_id,
            worksite_id=worksite_id,
            status=status,
            triage=triage,
            hospital_id=hospital_id,
            name=name,
            identity=identity,
            note=note,
            client_id=client_id,
            body_hash=body_hash,
        ),
    ).seq
    return Recorded(victim_id, seq)


def update_victim(
    tx: Tx,
    actor: str,
    victim_id: str,
    *,
    status: VictimStatus | None = None,
    triage: Triage | None = None,
    hospital_id: str | None = None,
    name: str | None = None,
    identity: str | None = None,
) -> None:
    row = tx.conn.execute(select(victims).where(victims.c.victim_id == victim_id)).first()
    if row is None:
        raise not_found(f"victim {victim_id}")
    new_status = status or row.status
    if new_status != row.status and new_status not in VICTIM_STEPS[row.status]:
        raise conflict(f"victim {victim_id} cannot go from {row.status} to {new_status}")
    _receiving(tx.conn, hospital_id, new_status)
    tx.append(
        actor,
        VictimUpdated(
            victim_id=victim_id,
            status=new_status,
            previous=row.status,
            triage=triage,
            hospital_id=hospital_id,
            name=name,
            identity=identity,
        ),
    )


# --- projection ---------------------------------------------------------------------------


@HANDLERS.projects(WorksiteOpened.type)
def _opened(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        worksites.insert().values(
            incident_id=d["incident_id"],
            worksite_id=d["worksite_id"],
            category=d["category"],
            hazards=",".join(d["hazards"]),
            operations=",".join(d["operations"]),
            lat=d["lat"],
            lon=d["lon"],
            note=d["note"],
            created_at=event.time,
            updated_at=event.time,
        )
    )
    client_records.remember(conn, event, "worksite", d["worksite_id"])


@HANDLERS.projects(WorksiteUpdated.type)
def _updated(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    values: dict[str, Any] = {"updated_at": event.time}
    if d["category"] is not None:
        values["category"] = d["category"]
    for key in ("hazards", "operations"):
        if d[key] is not None:
            values[key] = ",".join(d[key])
    conn.execute(
        worksites.update()
        .where(
            worksites.c.incident_id == d["incident_id"],
            worksites.c.worksite_id == d["worksite_id"],
        )
        .values(values)
    )


def _mark(conn: Connection, incident_id: str, status: str) -> str:
    prefix = "D" if status == "dead" else "L"
    count = conn.execute(
        select(func.count())
        .select_from(victims)
        .where(victims.c.incident_id == incident_id, victims.c.mark.like(f"{prefix}-%"))
    ).scalar()
    return f"{prefix}-{int(count or 0) + 1}"


@HANDLERS.projects(VictimRecorded.type)
def _victim(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        victims.insert().values(
            victim_id=d["victim_id"],
            number=int(d["victim_id"].split("-", 1)[1]),
            incident_id=d["incident_id"],
            worksite_id=d["worksite_id"],
            status=d["status"],
            triage=d["triage"],
            hospital_id=d["hospital_id"],
            mark=_mark(conn, d["incident_id"], d["status"]),
            created_at=event.time,
            updated_at=event.time,
        )
    )
    conn.execute(
        victim_identities.insert().values(
            victim_id=d["victim_id"],
            name=d["name"],
            identity=d["identity"],
            note=d.get("note"),
        )
    )
    client_records.remember(conn, event, "victim", d["victim_id"])


@HANDLERS.projects(VictimUpdated.type)
def _victim_updated(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    row = conn.execute(select(victims).where(victims.c.victim_id == d["victim_id"])).one()
    values: dict[str, Any] = {"status": d["status"], "updated_at": event.time}
    if d["status"] == "dead" and d["previous"] != "dead":
        values["mark"] = _mark(conn, row.incident_id, "dead")
    for key in ("triage", "hospital_id"):
        if d[key] is not None:
            values[key] = d[key]
    conn.execute(victims.update().where(victims.c.victim_id == d["victim_id"]).values(values))
    names = {k: d[k] for k in ("name", "identity") if d[k] is not None}
    if names:
        conn.execute(
            victim_identities.update()
            .where(victim_identities.c.victim_id == d["victim_id"])
            .values(names)
        )


# --- views --------------------------------------------------------------------------------


def list_worksites(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(worksites)
        .where(worksites.c.incident_id == incident_id)
        .order_by(worksites.c.worksite_id)
    ).all()
    return [
        {
            "id": r.worksite_id,
            "incident_id": r.incident_id,
            "category": r.category,
            "category_meaning": CATEGORY_WORDS[r.category],
            "hazards": [h for h in r.hazards.split(",") if h],
            "operations": [o for o in r.operations.split(",") if o],
            "location": None if r.lat is None else {"lat": r.lat, "lon": r.lon},
            "note": r.note,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def list_victims(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    """Victims without names or identities."""
    rows = conn.execute(
        select(victims).where(victims.c.incident_id == incident_id).order_by(victims.c.number)
    ).all()
    return [
        {
            "id": r.victim_id,
            "mark": r.mark,
            "worksite_id": r.worksite_id,
            "status": r.status,
            "triage": r.triage,
            "hospital_id": r.hospital_id,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def victim_identity(conn: Connection, victim_id: str) -> dict[str, Any]:
    row = conn.execute(
        select(victim_identities).where(victim_identities.c.victim_id == victim_id)
    ).first()
    if row is None:
        raise not_found(f"victim {victim_id}")
    return {"id": victim_id, "name": row.name, "identity": row.identity, "note": row.note}
