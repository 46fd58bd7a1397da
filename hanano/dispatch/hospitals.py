"""Hospitals and field hospitals, and the status their staff or dispatchers give them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from hanano.city.model import city_of
from hanano.dispatch.events import (
    HospitalKind,
    HospitalRegistered,
    HospitalStatus,
    HospitalStatusChanged,
)
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.tables import hospitals
from hanano.errors import conflict, invalid, not_found
from hanano.geo.position import check_position
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

RECEIVING: tuple[str, ...] = ("open",)


def register_hospital(
    tx: Tx,
    actor: str,
    *,
    name: str,
    kind: HospitalKind,
    lat: float,
    lon: float,
    status: HospitalStatus = "open",
) -> str:
    name = name.strip()
    if not name:
        raise invalid("name", "a hospital needs a name")
    check_position(city_of(tx), tx.settings.city_margin_km, lat, lon)
    if tx.conn.execute(select(hospitals.c.hospital_id).where(hospitals.c.name == name)).first():
        raise conflict(f"a hospital named {name!r} already exists")
    ids = tx.conn.execute(select(hospitals.c.hospital_id)).scalars().all()
    hospital_id = f"H-{max((int(i.split('-', 1)[1]) for i in ids), default=0) + 1}"
    tx.append(
        actor,
        HospitalRegistered(
            hospital_id=hospital_id, name=name, kind=kind, lat=lat, lon=lon, status=status
        ),
    )
    return hospital_id


def hospital_row(conn: Connection, hospital_id: str) -> Row[Any]:
    row = conn.execute(select(hospitals).where(hospitals.c.hospital_id == hospital_id)).first()
    if row is None:
        raise not_found(f"hospital {hospital_id}")
    return row


def set_status(tx: Tx, actor: str, hospital_id: str, status: HospitalStatus, reason: str) -> None:
    row = hospital_row(tx.conn, hospital_id)
    if row.status == "destroyed" and status != "destroyed":
        # A destroyed building does not reopen; a field hospital elsewhere is a new hospital.
        raise conflict(f"{row.name} was destroyed; register the new site as a new hospital")
    if row.status == status:
        raise conflict(f"{row.name} is already {status}")
    tx.append(
        actor,
        HospitalStatusChanged(
            hospital_id=hospital_id, status=status, previous=row.status, reason=reason
        ),
    )


@HANDLERS.projects(HospitalRegistered.type)
def _registered(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        hospitals.insert().values(
            hospital_id=d["hospital_id"],
            name=d["name"],
            kind=d["kind"],
            lat=d["lat"],
            lon=d["lon"],
            status=d["status"],
            updated_at=event.time,
        )
    )


@HANDLERS.projects(HospitalStatusChanged.type)
def _status(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        hospitals.update()
        .where(hospitals.c.hospital_id == d["hospital_id"])
        .values(status=d["status"], status_reason=d["reason"], updated_at=event.time)
    )


def hospital_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.hospital_id,
        "name": row.name,
        "kind": row.kind,
        "location": {"lat": row.lat, "lon": row.lon},
        "status": row.status,
        "status_reason": row.status_reason,
        "updated_at": row.updated_at,
    }


def list_hospitals(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(hospitals).order_by(hospitals.c.name)).all()
    return [hospital_view(r) for r in rows]
