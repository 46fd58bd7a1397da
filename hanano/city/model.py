"""The city: its neighbourhoods (OCHA P-codes, names, polygons) and the names people use."""

from __future__ import annotations

import functools
import json
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, select

from hanano.city import tables as city_tables
from hanano.geo.distance import haversine_m
from hanano.geo.gazetteer import Gazetteer, Match
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
    rows = conn.execute(select(city_tables.neighbourhoods)).mappings().all()
    alias_rows = conn.execute(
        select(city_tables.aliases.c.alias, city_tables.aliases.c.pcode)
    ).all()
    return City(rows, [*builtin_aliases, *((a.alias, a.pcode) for a in alias_rows)])


class CityCache:
    """The loaded city, reloaded when a city event commits. Commands on the same store find it
    through `city_of`."""

    def __init__(self, engine: Engine, builtin_aliases: Iterable[tuple[str, str]] = ()) -> None:
        self._engine = engine
        self._builtin = list(builtin_aliases)
        self._city: City | None = None
        self._lock = threading.Lock()
        _CACHES[engine] = self

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


# The cache of each store's service, so a command finds the city without the store knowing it.
_CACHES: weakref.WeakKeyDictionary[Engine, CityCache] = weakref.WeakKeyDictionary()


def city_of(tx: Tx) -> City:
    """The city's zones for a command: from its service's cache when there is one."""
    cache = _CACHES.get(tx.conn.engine)
    return cache.get(tx.conn) if cache is not None else load_city(tx.conn)


# Served outlines to five decimals, about a metre: the outlines are drawn and read by eye, and
# the sixth decimal and beyond only lengthened the map's first load on a slow link. The store
# keeps them as imported, and every placement is computed from those.
SERVED_DECIMALS = 5


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, list):
        return [_rounded(c) for c in coordinates]
    return round(coordinates, SERVED_DECIMALS)


def zone_features(conn: Connection) -> list[dict[str, Any]]:
    """The zones as GeoJSON features, by P-code, their outlines to about a metre."""
    zones = city_tables.neighbourhoods
    return [
        {
            "type": "Feature",
            "id": r.pcode,
            "geometry": _served_text(r.geometry),
            "properties": {"pcode": r.pcode, "name_en": r.name_en, "name_ar": r.name_ar},
        }
        for r in conn.execute(select(zones).order_by(zones.c.pcode))
    ]


# An outline is read, parsed and rounded once per stored text: the room asks for every zone each
# time it opens, and the outlines change only when the city is imported again. The answer is
# shared, so it is only ever serialised, never changed.
@lru_cache(maxsize=4096)
def _served_text(text: str) -> dict[str, Any]:
    return _served(json.loads(text))


def _served(geometry: dict[str, Any]) -> dict[str, Any]:
    if "coordinates" not in geometry:  # a collection: served as stored
        return geometry
    return {**geometry, "coordinates": _rounded(geometry["coordinates"])}


# An alert names each of its zones by P-code; its messages draw each zone by this outline,
# short enough for a CAP <polygon> that sirens and phones parse.
MAX_OUTLINE_POINTS = 60


def alert_outline(geometry: BaseGeometry) -> list[list[float]]:
    """The zone's outline (its largest part), simplified to at most MAX_OUTLINE_POINTS points,
    as a closed ring of [lon, lat]."""
    if geometry.geom_type == "MultiPolygon":
        geometry = max(geometry.geoms, key=lambda g: g.area)
    outline: BaseGeometry = geometry
    tolerance = 0.00005
    while len(outline.exterior.coords) > MAX_OUTLINE_POINTS:
        outline = geometry.simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    return [[round(x, 6), round(y, 6)] for x, y in outline.exterior.coords]


def alert_outlines(conn: Connection, pcodes: Iterable[str]) -> dict[str, list[list[float]]]:
    """The alert outline of each of these zones the city knows, by P-code."""
    zones = city_tables.neighbourhoods
    wanted = sorted(set(pcodes))
    if not wanted:
        return {}
    rows = conn.execute(select(zones.c.pcode, zones.c.geometry).where(zones.c.pcode.in_(wanted)))
    return {r.pcode: [list(point) for point in _outline_of(r.geometry)] for r in rows}


@functools.lru_cache(maxsize=1024)
def _outline_of(geometry: str) -> tuple[tuple[float, ...], ...]:
    # By the outline's own text, so a re-imported zone gets its new outline: simplifying a
    # whole city's outlines takes tens of milliseconds, in the writer, at each city-wide alert.
    return tuple(tuple(point) for point in alert_outline(shape(json.loads(geometry))))
