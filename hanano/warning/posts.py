"""Observation posts (where spotters watch from) and known air bases (where sorties start)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from hanano.city.model import city_of
from hanano.errors import FieldError, conflict, invalid
from hanano.geo.position import check_position, coordinate_faults
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.events import AirBaseRegistered, ObservationPostRegistered
from hanano.warning.handlers import HANDLERS
from hanano.warning.tables import posts

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")

# Bases from which aircraft bombed Aleppo, as widely reported; positions to about a kilometre.
ALEPPO_AIR_BASES: tuple[tuple[str, str, str, float, float], ...] = (
    ("kuweires", "Kuweires air base", "مطار كويرس العسكري", 36.1867, 37.5833),
    ("nayrab", "Nayrab air base (Aleppo airport)", "مطار النيرب العسكري", 36.1807, 37.2244),
    ("hama", "Hama air base", "مطار حماة العسكري", 35.1183, 36.7111),
    ("jirah", "Jirah air base", "مطار الجراح", 36.0967, 37.9364),
)


@dataclass(frozen=True)
class Place:
    place_id: str
    kind: str
    name: str | None
    lat: float
    lon: float


def _check(place_id: str, lat: float, lon: float) -> None:
    if not ID_PATTERN.match(place_id):
        raise invalid("id", "letters, digits, '.', '_' or '-', at most 40")
    errors = coordinate_faults(lat, lon)
    if not errors and lat == 0 and lon == 0:
        errors = [FieldError("lat", "0,0 is what a device sends without a fix, not a place")]
    if errors:
        raise invalid(errors[0].field, errors[0].message)


def register_post(tx: Tx, actor: str, post_id: str, name: str, lat: float, lon: float) -> None:
    """Register an observation post; its name and position are sealed in the log. Posts are in
    the city (on its roofs and hills); air bases, far outside it, are not held to that."""
    _check(post_id, lat, lon)
    check_position(city_of(tx), tx.settings.city_margin_km, lat, lon)
    if get_place(tx.conn, post_id) is not None:
        raise conflict(f"{post_id} is already registered")
    tx.append(actor, ObservationPostRegistered(post_id=post_id, name=name, lat=lat, lon=lon))


def register_base(
    tx: Tx, actor: str, base_id: str, name: str, name_ar: str, lat: float, lon: float
) -> None:
    _check(base_id, lat, lon)
    if get_place(tx.conn, base_id) is not None:
        raise conflict(f"{base_id} is already registered")
    tx.append(
        actor, AirBaseRegistered(base_id=base_id, name=name, name_ar=name_ar, lat=lat, lon=lon)
    )


def register_aleppo_bases(tx: Tx, actor: str) -> int:
    """The air bases of ALEPPO_AIR_BASES not yet registered; returns how many were added."""
    added = 0
    for base_id, name, name_ar, lat, lon in ALEPPO_AIR_BASES:
        if get_place(tx.conn, base_id) is None:
            register_base(tx, actor, base_id, name, name_ar, lat, lon)
            added += 1
    return added


def get_place(conn: Connection, place_id: str) -> Place | None:
    row = conn.execute(select(posts).where(posts.c.post_id == place_id)).first()
    if row is None or row.lat is None or row.lon is None:
        return None
    return Place(row.post_id, row.kind, row.name, row.lat, row.lon)


def list_places(conn: Connection, kind: str) -> list[Place]:
    rows = conn.execute(select(posts).where(posts.c.kind == kind).order_by(posts.c.post_id))
    return [Place(r.post_id, r.kind, r.name, r.lat, r.lon) for r in rows if r.lat is not None]


@HANDLERS.projects(ObservationPostRegistered.type)
def _post_registered(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        posts.insert().values(
            post_id=d["post_id"],
            kind="post",
            name=d["name"],
            lat=d["lat"],
            lon=d["lon"],
            registered_at=event.time,
        )
    )


@HANDLERS.projects(AirBaseRegistered.type)
def _base_registered(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        posts.insert().values(
            post_id=d["base_id"],
            kind="base",
            name=d["name"],
            name_ar=d["name_ar"],
            lat=d["lat"],
            lon=d["lon"],
            registered_at=event.time,
        )
    )


def posts_view(conn: Connection, with_places: bool) -> list[dict[str, Any]]:
    """Observation posts; their names and positions only `with_places` (they are targets)."""
    rows = conn.execute(select(posts).where(posts.c.kind == "post").order_by(posts.c.post_id))
    out = []
    for r in rows:
        item: dict[str, Any] = {"id": r.post_id, "registered_at": r.registered_at}
        if with_places:
            item.update(name=r.name, location={"lat": r.lat, "lon": r.lon})
        else:
            item.update(name=None, location=None, sealed=True)
        out.append(item)
    return out


def bases_view(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(posts).where(posts.c.kind == "base").order_by(posts.c.post_id))
    return [
        {
            "id": r.post_id,
            "name": r.name,
            "name_ar": r.name_ar,
            "location": {"lat": r.lat, "lon": r.lon},
            "registered_at": r.registered_at,
        }
        for r in rows
    ]
