"""How city events change the zones and aliases tables."""

from __future__ import annotations

import json
import math

from shapely.geometry import shape
from sqlalchemy import Connection, select

from hanano.city import tables
from hanano.city.events import AliasAdded, NeighbourhoodImported
from hanano.city.handlers import HANDLERS
from hanano.store.records import RecordedEvent


@HANDLERS.projects(NeighbourhoodImported)
def _neighbourhood_imported(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    polygon = shape(d["geometry"])
    centroid = (
        polygon.representative_point()
        if not polygon.contains(polygon.centroid)
        else (polygon.centroid)
    )
    # The radius of a disc of the same area: the uncertainty of a place known only by its zone.
    lat_scale = 111_320.0
    lon_scale = 111_320.0 * math.cos(math.radians(centroid.y))
    radius = math.sqrt(polygon.area * lat_scale * lon_scale / math.pi)
    conn.execute(tables.neighbourhoods.delete().where(tables.neighbourhoods.c.pcode == d["pcode"]))
    conn.execute(
        tables.neighbourhoods.insert().values(
            pcode=d["pcode"],
            name_en=d["name_en"],
            name_ar=d["name_ar"],
            geometry=json.dumps(d["geometry"], sort_keys=True),
            centroid_lat=centroid.y,
            centroid_lon=centroid.x,
            radius_m=radius,
        )
    )


@HANDLERS.projects(AliasAdded)
def _alias_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    exists = conn.execute(
        select(tables.aliases.c.alias).where(
            tables.aliases.c.alias == d["alias"], tables.aliases.c.pcode == d["pcode"]
        )
    ).first()
    if exists is None:
        conn.execute(tables.aliases.insert().values(alias=d["alias"], pcode=d["pcode"]))
