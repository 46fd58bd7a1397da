"""Sirens: each sounds for a set of zones; the MQTT channel turns it on and off."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hanano.city import tables as city_tables
from hanano.errors import invalid
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.events import SirenRegistered
from hanano.warning.handlers import HANDLERS
from hanano.warning.posts import ID_PATTERN
from hanano.warning.tables import sirens, zone_state

# The levels at which a siren sounds; the MQTT channel applies the same rule.
SOUNDING = ("warning", "imminent")


def register_siren(tx: Tx, actor: str, siren_id: str, pcodes: list[str]) -> None:
    """Map a siren to the zones it sounds for (again: replace its zones)."""
    if not ID_PATTERN.match(siren_id):
        raise invalid("siren_id", "letters, digits, '.', '_' or '-', at most 40")
    wanted = sorted(set(pcodes))
    if not wanted:
        raise invalid("pcodes", "name at least one zone")
    known = set(
        tx.conn.execute(
            select(city_tables.neighbourhoods.c.pcode).where(
                city_tables.neighbourhoods.c.pcode.in_(wanted)
            )
        ).scalars()
    )
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise invalid("pcodes", f"no such neighbourhood: {', '.join(unknown)}")
    tx.append(actor, SirenRegistered(siren_id=siren_id, pcodes=wanted))


@HANDLERS.projects(SirenRegistered.type)
def _siren_registered(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(sirens.delete().where(sirens.c.siren_id == d["siren_id"]))
    conn.execute(
        sirens.insert().values(
            siren_id=d["siren_id"], pcodes=json.dumps(d["pcodes"]), registered_at=event.time
        )
    )


def sirens_view(conn: Connection) -> list[dict[str, Any]]:
    """Each siren, its zones, and whether it sounds now (any zone at warning or imminent)."""
    levels = {r.pcode: r.level for r in conn.execute(select(zone_state))}
    out = []
    for r in conn.execute(select(sirens).order_by(sirens.c.siren_id)):
        pcodes = json.loads(r.pcodes)
        out.append(
            {
                "id": r.siren_id,
                "pcodes": pcodes,
                "sounding": sounds(pcodes, levels),
                "registered_at": r.registered_at,
            }
        )
    return out


def sounds(pcodes: list[str], levels: dict[str, str]) -> bool:
    """A siren sounds while any of its zones stands at warning or imminent."""
    return any(levels.get(p) in SOUNDING for p in pcodes)


def siren_exists(conn: Connection, siren_id: str) -> bool:
    return (
        conn.execute(select(sirens.c.siren_id).where(sirens.c.siren_id == siren_id)).first()
        is not None
    )
