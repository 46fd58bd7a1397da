"""The city: its neighbourhoods (OCHA P-codes, names, polygons) and the names people use."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, select

from hanano.errors import invalid, not_found
from hanano.events import AliasAdded, NeighbourhoodImported
from hanano.geo.distance import haversine_m
from hanano.geo.gazetteer import Gazetteer, Match
from hanano.store import schema
from hanano.store.projections import projects
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx


@dataclass(frozen=True)
class Neighbourhood:
    pcode: str
    name_en: str
    name_ar: str
    centroid_lat: float
    centroid_lon: float
    radius_m: float


class City:
    """An in-memory index of the zones: point-in-polygon, names, and the city's extent."""

    def __init__(self, rows: Iterable[Mapping[Any, Any]], aliases: Iterable[tuple[str, str]]):
        self.neighbourhoods: dict[str, Neighbourhood] = {}
        features: list[dict[str, Any]] = []
        geometries: list[BaseGeometry] = []
        codes: list[str] = []
        for row in rows:
            geometry = json.loads(row["geometry"])
            self.neighbourhoods[row["pcode"]] = Neighbourhood(
                row["pcode"],
                row["name_en"],
                row["name_ar"],
                row["centroid_lat"],
                row["centroid_lon"],
                row["radius_m"],
            )
            geometries.append(shape(geometry))
            codes.append(row["pcode"])
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "PCODE": row["pcode"],
                        "NAME_EN": row["name_en"],
                        "NAME_AR": row["name_ar"],
                        "LATITUDE": row["centroid_lat"],
                        "LONGITUDE": row["centroid_lon"],
                    },
                }
            )
        self._codes = codes
        self._geometries = geometries
        self._tree = STRtree(geometries) if geometries else None
        self.gazetteer = Gazetteer.from_geojson(
            {"type": "FeatureCollection", "features": features},
            [(a, p) for a, p in aliases if p in self.neighbourhoods],
        )
        if geometries:
            bounds = [g.bounds for g in geometries]
            self.bounds: tuple[float, float, float, float] | None = (
                min(b[0] for b in bounds),
                min(b[1] for b in bounds),
                max(b[2] for b in bounds),
                max(b[3] for b in bounds),
            )
        else:
            self.bounds = None

    @property
    def empty(self) -> bool:
        return not self.neighbourhoods

    def locate(self, lat: float, lon: float) -> str | None:
        """The P-code of the neighbourhood containing the point, if any."""
        if self._tree is None:
            return None
        point = Point(lon, lat)
        for index in self._tree.query(point, predicate="intersects"):
            return self._codes[int(index)]
        return None

    def distance_outside_m(self, lat: float, lon: float) -> float:
        """How far a point lies outside the city's extent (0 inside it, or with no zones)."""
        if self.bounds is None:
            return 0.0
        west, south, east, north = self.bounds
        clamped_lat = min(max(lat, south), north)
        clamped_lon = min(max(lon, west), east)
        return haversine_m(lat, lon, clamped_lat, clamped_lon)

    def place_text(self, text: str) -> Match | None:
        """The neighbourhood a free-text report names, if the gazetteer is confident."""
        return self.gazetteer.best(text)


def load_city(conn: Connection, builtin_aliases: Iterable[tuple[str, str]] = ()) -> City:
    """The city from the store; `builtin_aliases` are names shipped with hanano for this city."""
    rows = conn.execute(select(schema.neighbourhoods)).mappings().all()
    alias_rows = conn.execute(select(schema.aliases.c.alias, schema.aliases.c.pcode)).all()
    return City(rows, [*builtin_aliases, *((a.alias, a.pcode) for a in alias_rows)])


class CityCache:
    """The loaded city, reloaded when a city event commits."""

    def __init__(self, engine: Engine, builtin_aliases: Iterable[tuple[str, str]] = ()) -> None:
        self._engine = engine
        self._builtin = list(builtin_aliases)
        self._city: City | None = None
        self._lock = threading.Lock()

    def get(self, conn: Connection | None = None) -> City:
        with self._lock:
            if self._city is None:
                if conn is not None:
                    self._city = load_city(conn, self._builtin)
                else:
                    with self._engine.connect() as own:
                        self._city = load_city(own, self._builtin)
            return self._city

    def invalidate(self) -> None:
        with self._lock:
            self._city = None

    def on_events(self, events: list[RecordedEvent]) -> None:
        if any(e.type.startswith("city.") for e in events):
            self.invalidate()


# --- commands -----------------------------------------------------------------------------


def import_neighbourhoods(tx: Tx, actor: str, geojson: Mapping[str, Any]) -> int:
    """Load zones from a GeoJSON FeatureCollection with PCODE, NAME_EN and NAME_AR properties.

    A zone already present with the same P-code is replaced by the newer event.
    """
    features = geojson.get("features")
    if geojson.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise invalid("geojson", "must be a GeoJSON FeatureCollection")
    count = 0
    for number, feature in enumerate(features):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        missing = [k for k in ("PCODE", "NAME_EN", "NAME_AR") if not props.get(k)]
        if missing:
            raise invalid(f"features[{number}].properties", f"missing {', '.join(missing)}")
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise invalid(f"features[{number}].geometry", "must be a Polygon or MultiPolygon")
        try:
            polygon = shape(geometry)
        except Exception as exc:
            raise invalid(f"features[{number}].geometry", f"not a valid geometry: {exc}") from exc
        if polygon.is_empty:
            raise invalid(f"features[{number}].geometry", "is empty")
        tx.append(
            actor,
            NeighbourhoodImported(
                pcode=str(props["PCODE"]).strip(),
                name_en=str(props["NAME_EN"]).strip(),
                # Some official names carry the same name repeated on several lines.
                name_ar=str(props["NAME_AR"]).splitlines()[0].strip(),
                geometry=geometry,
            ),
        )
        count += 1
    return count


def add_alias(tx: Tx, actor: str, alias: str, pcode: str) -> None:
    alias = alias.strip()
    if not any(ch.isalpha() for ch in alias):
        raise invalid("alias", "must contain letters")
    exists = tx.conn.execute(
        select(schema.neighbourhoods.c.pcode).where(schema.neighbourhoods.c.pcode == pcode)
    ).first()
    if exists is None:
        raise not_found(f"neighbourhood {pcode}")
    tx.append(actor, AliasAdded(alias=alias, pcode=pcode))


# --- projections --------------------------------------------------------------------------


@projects(NeighbourhoodImported.type)
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
    conn.execute(schema.neighbourhoods.delete().where(schema.neighbourhoods.c.pcode == d["pcode"]))
    conn.execute(
        schema.neighbourhoods.insert().values(
            pcode=d["pcode"],
            name_en=d["name_en"],
            name_ar=d["name_ar"],
            geometry=json.dumps(d["geometry"], sort_keys=True),
            centroid_lat=centroid.y,
            centroid_lon=centroid.x,
            radius_m=radius,
        )
    )


@projects(AliasAdded.type)
def _alias_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    exists = conn.execute(
        select(schema.aliases.c.alias).where(
            schema.aliases.c.alias == d["alias"], schema.aliases.c.pcode == d["pcode"]
        )
    ).first()
    if exists is None:
        conn.execute(schema.aliases.insert().values(alias=d["alias"], pcode=d["pcode"]))
