"""Where an alert's zones are: their names and outlines, from the city model.

An `AlertIssued` event of version 2 names its zones by P-code; their names and outlines are the
city's, looked up when the alert is shown or sent (CAP, feeds, channels, the room). Version 1
events carried each zone's names and outline in the event, which made an alert over a whole city
a log entry too large for a mirror's tile: those keep what they carry, and only what they lack
is looked up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hanano.warning.zones import city_plane

# What a version 1 alert held of each zone that the city model holds: never written any more.
CITY_FIELDS = ("name_en", "name_ar", "polygon")


def known_zones(
    conn: Connection, zones: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The zones the city knows: as the event names them (without what the city holds), and
    with their names and outlines (for the alert's texts)."""
    plane = city_plane(conn)
    bare, named = [], []
    for z in zones:
        if z["pcode"] not in plane.zones:
            continue
        own = {k: v for k, v in z.items() if k not in CITY_FIELDS}
        bare.append(own)
        named.append(_with_place(own, plane.zones[z["pcode"]]))
    return bare, named


def placed(conn: Connection, alert: dict[str, Any]) -> dict[str, Any]:
    """The alert with each zone's names and outline, from the city model where it lacks them.
    A zone the city no longer knows keeps only its P-code."""
    plane = city_plane(conn)
    zones = []
    for z in alert.get("zones", []):
        zone = plane.zones.get(z["pcode"])
        missing = any(k not in z for k in CITY_FIELDS)
        zones.append(_with_place(z, zone) if zone is not None and missing else z)
    return {**alert, "zones": zones}


def _with_place(z: dict[str, Any], zone: Any) -> dict[str, Any]:
    place = {"name_en": zone.name_en, "name_ar": zone.name_ar, "polygon": zone.ring}
    return {**place, **z}
