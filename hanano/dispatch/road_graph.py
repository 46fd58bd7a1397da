"""The drivable road graph: read from OpenStreetMap, kept as arrays, searched by position.

Each directed edge joins two OSM nodes with its length and free-flow time at a typical speed
for its road class in a damaged city. The graph is stored as bytes beside the log and loaded
once per process.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from hanano.errors import invalid

# Typical speeds in a damaged city, km/h, by OSM highway class.
SPEEDS_KMH: dict[str, float] = {
    "motorway": 70,
    "motorway_link": 45,
    "trunk": 60,
    "trunk_link": 40,
    "primary": 45,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 30,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "service": 15,
    "road": 25,
}
ONEWAY_YES = {"yes", "1", "true"}
NO_ACCESS = {"no", "private"}
# A bounded search's first horizon assumes this quantile of the graph's road time per
# straight-line metre: high enough that a second, wider search is seldom needed, low enough not
# to search far past the teams that matter (the area searched grows with the horizon squared).
PACE_QUANTILE = 0.98
PACE_SAMPLES = 12
PACE_MIN_M = 300.0
METRES_PER_DEGREE = 111_320.0


# --- the graph ----------------------------------------------------------------------------


@dataclass
class RoadGraph:
    """Directed edges between OSM nodes, with lengths and free-flow times."""

    osm_ids: np.ndarray  # int64, per node
    lat: np.ndarray
    lon: np.ndarray
    src: np.ndarray  # int32, per edge
    dst: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray

    def __post_init__(self) -> None:
        self.lat0 = float(np.mean(self.lat)) if len(self.lat) else 0.0
        self._cos = float(np.cos(np.radians(self.lat0)))
        self.xy = self._xy(self.lat, self.lon)
        self.tree = cKDTree(self.xy)
        n = max(1, len(self.osm_ids))
        keys = self.src.astype(np.int64) * n + self.dst.astype(np.int64)
        self._pair_order = np.argsort(keys, kind="stable")
        self._pair_keys = keys[self._pair_order]
        self.typical_speed_ms = (
            float(np.median(self.length_m / self.time_s)) if len(self.time_s) else 8.0
        )
        mid_lat = (self.lat[self.src] + self.lat[self.dst]) / 2
        mid_lon = (self.lon[self.src] + self.lon[self.dst]) / 2
        self.edge_tree = cKDTree(self._xy(mid_lat, mid_lon))
        self.index = {int(osm): i for i, osm in enumerate(self.osm_ids)}
        self.max_edge_m = float(self.length_m.max()) if len(self.length_m) else 0.0
        # No route is faster than the straight line at the fastest road's speed.
        self.max_speed_ms = float(np.max(self.length_m / self.time_s)) if len(self.time_s) else 8.0
        self._csr: dict[frozenset[int], csr_matrix] = {}
        self._pace: float | None = None
        self._lock = threading.Lock()

    def _xy(self, lat: Any, lon: Any) -> np.ndarray:
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        return np.column_stack([lon * METRES_PER_DEGREE * self._cos, lat * METRES_PER_DEGREE])

    @property
    def node_count(self) -> int:
        return len(self.osm_ids)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            osm_ids=self.osm_ids,
            lat=self.lat,
            lon=self.lon,
            src=self.src,
            dst=self.dst,
            length_m=self.length_m,
            time_s=self.time_s,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadGraph:
        with np.load(io.BytesIO(data)) as arrays:
            return cls(**{name: arrays[name] for name in arrays.files})

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        distance, node = self.tree.query(self._xy([lat], [lon])[0])
        return int(node), float(distance)

    def nearest_nodes(self, points: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        xy = self._xy([p[0] for p in points], [p[1] for p in points])
        distance, nodes = self.tree.query(xy)
        return np.asarray(nodes), np.asarray(distance)

    def _edges_between(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Indices of the edges u→v and v→u for arrays of node pairs."""
        n = max(1, len(self.osm_ids))
        wanted = np.concatenate([u * n + v, v * n + u]).astype(np.int64)
        left = np.searchsorted(self._pair_keys, wanted, side="left")
        right = np.searchsorted(self._pair_keys, wanted, side="right")
        hits = [self._pair_order[a:b] for a, b in zip(left, right, strict=True) if b > a]
        return np.concatenate(hits) if hits else np.empty(0, dtype=np.int64)

    def nearest_edges(self, lat: float, lon: float, within_m: float) -> tuple[list[int], float]:
        """The segment nearest a point (both its directions), if within the distance."""
        point = self._xy([lat], [lon])[0]
        reach = within_m + self.max_edge_m / 2
        best, best_d = -1, float("inf")
        for e in self.edge_tree.query_ball_point(point, reach):
            d = _point_segment(point, self.xy[self.src[e]], self.xy[self.dst[e]])
            if d < best_d:
                best, best_d = e, d
        if best < 0 or best_d > within_m:
            return [], best_d
        both = self._edges_between(
            self.src[[best]].astype(np.int64), self.dst[[best]].astype(np.int64)
        )
        return sorted(int(e) for e in both), best_d

    def edges_of(self, segments: Sequence[Sequence[int]]) -> frozenset[int]:
        """The edges (both directions) of segments given as OSM node pairs."""
        pairs = [
            (self.index[int(a)], self.index[int(b)])
            for a, b in segments
            if int(a) in self.index and int(b) in self.index
        ]
        if not pairs:
            return frozenset()
        u = np.array([p[0] for p in pairs], dtype=np.int64)
        v = np.array([p[1] for p in pairs], dtype=np.int64)
        return frozenset(int(e) for e in self._edges_between(u, v))

    def reversed_csr(self, closed: frozenset[int]) -> csr_matrix:
        """Edge times with every edge turned round (to reach one target from all nodes), closed
        edges left out. Cached per set of closures."""
        with self._lock:
            cached = self._csr.get(closed)
            if cached is not None:
                return cached
            keep = np.ones(len(self.src), dtype=bool)
            if closed:
                keep[np.fromiter(closed, dtype=np.int64)] = False
            n = self.node_count
            matrix = csr_matrix(
                (self.time_s[keep].astype(np.float64), (self.dst[keep], self.src[keep])),
                shape=(n, n),
            )
            if len(self._csr) > 8:
                self._csr.clear()
            self._csr[closed] = matrix
            return matrix

    def pace(self) -> float:
        """Road seconds per straight-line metre that most journeys on this graph stay under,
        measured once from searches at a few fixed sample nodes. Only a first guess at how far
        a search must go: results never depend on it."""
        if self._pace is not None:
            return self._pace
        matrix = self.reversed_csr(frozenset())
        rng = np.random.default_rng(0)
        count = min(PACE_SAMPLES, self.node_count)
        ratios = []
        for node in rng.choice(self.node_count, size=count, replace=False):
            times = dijkstra(matrix, directed=True, indices=int(node), limit=1200.0)
            reached = np.flatnonzero(np.isfinite(times))
            metres = np.linalg.norm(self.xy[reached] - self.xy[node], axis=1)
            far = metres >= PACE_MIN_M
            ratios.append(times[reached][far] / metres[far])
        found = np.concatenate(ratios) if ratios else np.empty(0)
        pace = (
            float(np.quantile(found, PACE_QUANTILE))
            if len(found) >= 100
            else 1.3 / self.typical_speed_ms
        )
        self._pace = pace
        return pace


def haversine_array(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lat0)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon0 - lon) / 2) ** 2
    )
    return np.asarray(2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(h))))


def _point_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    denom = float(ab @ ab)
    t = 0.0 if denom == 0 else max(0.0, min(1.0, float((p - a) @ ab) / denom))
    return float(np.linalg.norm(p - (a + t * ab)))


def _speed(tags: Any, highway: str) -> float:
    raw = tags.get("maxspeed", "")
    default = SPEEDS_KMH[highway]
    if raw.isdigit():
        return min(float(raw), default * 1.5)
    return default


def _directions(tags: Any, highway: str) -> tuple[bool, bool] | None:
    """Whether a way may be driven along and against its node order; None if not at all."""
    if highway not in SPEEDS_KMH or tags.get("area") == "yes":
        return None
    if tags.get("access") in NO_ACCESS or tags.get("motor_vehicle") in NO_ACCESS:
        return None
    oneway = tags.get("oneway", "")
    if oneway == "-1":
        return False, True
    one = (
        oneway in ONEWAY_YES
        or tags.get("junction") in ("roundabout", "circular")
        or (highway.startswith("motorway") and oneway != "no")
    )
    return True, not one


def _drivable_ways(path: Path) -> Iterator[tuple[Any, bool, bool, float]]:
    """Each drivable way of the file: the way, whether it runs forward, backward, its speed."""
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        if not isinstance(way, osmium.osm.Way):
            continue
        tags = way.tags
        highway = tags.get("highway") or ""
        directions = _directions(tags, highway)
        if directions is None:
            continue
        forward, backward = directions
        yield way, forward, backward, _speed(tags, highway)


def read_osm(path: Path) -> RoadGraph:
    """The drivable roads of an .osm.pbf (or .osm) file as a directed graph."""
    ids: dict[int, int] = {}
    lats: list[float] = []
    lons: list[float] = []
    src: list[int] = []
    dst: list[int] = []
    speeds: list[float] = []
    for way, forward, backward, speed in _drivable_ways(path):
        previous: int | None = None
        for node in way.nodes:
            if not node.location.valid():
                previous = None
                continue
            index = ids.get(node.ref)
            if index is None:
                index = ids[node.ref] = len(lats)
                lats.append(node.lat)
                lons.append(node.lon)
            if previous is not None and previous != index:
                if forward:
                    src.append(previous)
                    dst.append(index)
                    speeds.append(speed)
                if backward:
                    src.append(index)
                    dst.append(previous)
                    speeds.append(speed)
            previous = index
    if not src:
        raise invalid("file", f"{path.name} holds no drivable roads")
    return build_graph(
        np.fromiter(ids.keys(), dtype=np.int64, count=len(ids)),
        np.array(lats),
        np.array(lons),
        np.array(src, dtype=np.int32),
        np.array(dst, dtype=np.int32),
        np.array(speeds, dtype=np.float64),
    )


def build_graph(
    osm_ids: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    speed_kmh: np.ndarray,
) -> RoadGraph:
    phi1, phi2 = np.radians(lat[src]), np.radians(lat[dst])
    dphi = phi2 - phi1
    dlmb = np.radians(lon[dst] - lon[src])
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    length = 2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    # A zero weight would read as "no edge" in a sparse matrix.
    time = np.maximum(length / (speed_kmh / 3.6), 0.01)
    return RoadGraph(osm_ids, lat, lon, src, dst, length.astype(np.float64), time)
