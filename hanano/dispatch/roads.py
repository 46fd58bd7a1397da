"""Roads: a drivable graph imported from OpenStreetMap, closures from reports and strikes, and
travel times that avoid closed segments.

The graph is reference data kept beside the log; the log records which graph (by hash) and
every closure and reopening (by OSM node pairs, so closures survive a re-import of the same
roads). Routing runs one Dijkstra from the incident over the reversed graph, which gives every
team's time to it at once; for a recommendation it is bounded to a travel-time horizon just
wide enough to rank the best teams exactly.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from sqlalchemy import Connection, func, select

from hanano.clock import isoformat
from hanano.dispatch.common import DISPATCH_ACTOR, next_number
from hanano.dispatch.events import ClosureSource, RoadClosed, RoadReopened, RoadsImported
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.tables import road_closures, road_graphs
from hanano.dispatch.travel import Leg, Router, StraightLine
from hanano.errors import conflict, invalid, not_found
from hanano.settings import Settings
from hanano.store.prepared import Prepared
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

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
OFF_ROAD_KMH = 10.0
MAX_SEARCH_S = 4 * 3600.0  # from a point to the nearest road node, on foot or crawling
MIN_SEARCH_S = 120.0
# A bounded search's first horizon assumes this quantile of the graph's road time per
# straight-line metre: high enough that a second, wider search is seldom needed, low enough not
# to search far past the teams that matter (the area searched grows with the horizon squared).
PACE_QUANTILE = 0.98
PACE_SAMPLES = 12
PACE_MIN_M = 300.0
BLOCKED_REPORT_SNAP_M = 100.0
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


def _haversine(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
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


def read_osm(path: Path) -> RoadGraph:
    """The drivable roads of an .osm.pbf (or .osm) file as a directed graph."""
    ids: dict[int, int] = {}
    lats: list[float] = []
    lons: list[float] = []
    src: list[int] = []
    dst: list[int] = []
    speeds: list[float] = []
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
        speed = _speed(tags, highway)
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


# --- the current graph and its closures, for routing -------------------------------------

_GRAPHS: dict[str, RoadGraph] = {}
_GRAPHS_LOCK = threading.Lock()


_LATEST_GRAPH = Prepared(
    select(road_graphs.c.graph_id)
    .order_by(road_graphs.c.imported_at.desc(), road_graphs.c.graph_id)
    .limit(1)
)


def current_graph(conn: Connection) -> tuple[str, RoadGraph] | None:
    """The most recently imported road graph and its id, loaded once per process."""
    # Every strike report asks, so the question is a prepared statement.
    graph_id = _LATEST_GRAPH.run(conn).scalar()
    if graph_id is None:
        return None
    with _GRAPHS_LOCK:
        graph = _GRAPHS.get(graph_id)
    if graph is None:
        data = conn.execute(
            select(road_graphs.c.data).where(road_graphs.c.graph_id == graph_id)
        ).scalar_one()
        graph = RoadGraph.from_bytes(bytes(data))
        with _GRAPHS_LOCK:
            _GRAPHS.clear()
            _GRAPHS[graph_id] = graph
    return graph_id, graph


def open_closures(conn: Connection) -> list[list[list[int]]]:
    rows = conn.execute(
        select(road_closures.c.segments).where(road_closures.c.reopened_at.is_(None))
    ).scalars()
    return [json.loads(r) for r in rows]


_CLOSED: dict[tuple[Any, ...], frozenset[int]] = {}
# Asked by every recommendation: closures are only ever added or reopened, so these three
# numbers change exactly when the set of open closures does.
_CLOSURES_STATE = Prepared(
    select(
        func.count(),
        func.max(road_closures.c.number),
        func.count(road_closures.c.reopened_at),
    ).select_from(road_closures)
)


def closed_edges(conn: Connection, graph_id: str, graph: RoadGraph) -> frozenset[int]:
    """Edges of every open closure, recomputed only when a closure is added or reopened."""
    state = _CLOSURES_STATE.run(conn).first()
    key = (graph_id, *state)
    with _GRAPHS_LOCK:
        cached = _CLOSED.get(key)
    if cached is not None:
        return cached
    segments = [pair for closure in open_closures(conn) for pair in closure]
    closed = graph.edges_of(segments)
    with _GRAPHS_LOCK:
        _CLOSED.clear()
        _CLOSED[key] = closed
    return closed


class RoadRouter:
    """Travel times over the road graph avoiding closed segments; straight line × detour where
    no open road joins the two places."""

    def __init__(self, graph: RoadGraph, closed: frozenset[int], settings: Settings) -> None:
        self.graph = graph
        self.closed = closed
        self.settings = settings
        self.searches: list[float] = []  # the horizon of each search, for tests and profiling

    def _search(self, target: int, limit: float) -> np.ndarray:
        self.searches.append(limit)
        matrix = self.graph.reversed_csr(self.closed)
        return np.asarray(dijkstra(matrix, directed=True, indices=target, limit=limit))

    def _exhausted(self, times: np.ndarray) -> bool:
        """Whether a bounded search reached every node that can reach its target: no open edge
        leads from a node it did not reach to one it did."""
        matrix = self.graph.reversed_csr(self.closed)
        reached = np.isfinite(times)
        from_reached = np.repeat(reached, np.diff(matrix.indptr))
        return not bool(np.any(from_reached & ~reached[matrix.indices]))

    def legs_to(
        self,
        lat: float,
        lon: float,
        origins: Sequence[tuple[float, float]],
        *,
        penalties: Sequence[float] | None = None,
        enough: int | None = None,
    ) -> list[Leg]:
        if not origins:
            return []
        graph = self.graph
        target, target_off = graph.nearest_node(lat, lon)
        nodes, offsets = graph.nearest_nodes(origins)
        straight = _haversine(
            np.array([o[0] for o in origins]), np.array([o[1] for o in origins]), lat, lon
        )
        # Off the road at both ends, on foot.
        off_road = (offsets + target_off) / (OFF_ROAD_KMH / 3.6)
        extra = np.zeros(len(origins)) if penalties is None else np.asarray(penalties, float)
        between = _haversine(
            graph.lat[nodes], graph.lon[nodes], float(graph.lat[target]), float(graph.lon[target])
        )
        if enough is None or enough >= len(origins):
            limit = float("inf")
            times = self._search(target, limit)
            road = times[nodes] + off_road
        else:
            # One Dijkstra from the incident, bounded by a travel-time horizon. Every origin
            # reached within it has its exact time; every other one needs longer than the
            # horizon. So once `enough` origins reached have time + penalty within the horizon,
            # they are exactly the best `enough` or more, in their exact order. The first
            # horizon is a guess from straight-line distance at the graph's pace; when too few
            # are in, the search is run again half as far again.
            guess = graph.pace() * between + off_road + extra
            limit = max(MIN_SEARCH_S, float(np.partition(guess, enough - 1)[enough - 1]))
            while True:
                times = self._search(target, limit)
                road = times[nodes] + off_road
                settled = np.isfinite(road) & (road + extra <= limit)
                if settled.sum() >= enough or limit >= MAX_SEARCH_S:
                    break
                if self._exhausted(times):
                    # Every node that can reach the incident was reached: a wider search
                    # would find no one else.
                    limit = float("inf")
                    break
                limit = min(limit * 1.5, MAX_SEARCH_S)
        fallback_speed = self.settings.road_speed_kmh / 3.6
        # Beyond the horizon: not reached within it, and no faster than the straight line at
        # the fastest road's speed.
        bounds = (np.maximum(limit, between / graph.max_speed_ms) + off_road).tolist()
        legs = []
        for i, (seconds_by_road, metres) in enumerate(
            zip(road.tolist(), straight.tolist(), strict=True)
        ):
            if math.isfinite(seconds_by_road):
                legs.append(Leg(seconds_by_road, metres, "by road"))
            elif limit < MAX_SEARCH_S:
                legs.append(Leg(bounds[i], metres, "by road", at_least=True))
            else:
                # No open road (within the longest search): the straight line stretched by the
                # detour factor, and never counted as nearer than the longest search, so that
                # a team cut off by closures ranks after every team that has a road.
                detour = metres * self.settings.detour_factor
                seconds = max(detour / fallback_speed, MAX_SEARCH_S)
                beyond = (
                    "no open road"
                    if not np.isfinite(limit)
                    else f"no open road within {limit / 60:.0f} min"
                )
                legs.append(Leg(seconds, detour, f"by straight line ({beyond})"))
        return legs

    def route(
        self, start: tuple[float, float], end: tuple[float, float]
    ) -> tuple[float, list[tuple[float, float]]] | None:
        """Fastest open route: seconds and the points along it, or None if none is open."""
        target, _ = self.graph.nearest_node(*end)
        source, _ = self.graph.nearest_node(*start)
        matrix = self.graph.reversed_csr(self.closed)
        dist, pred = dijkstra(matrix, directed=True, indices=target, return_predecessors=True)
        if not np.isfinite(dist[source]):
            return None
        path = [source]
        while path[-1] != target:
            path.append(int(pred[path[-1]]))
        points = [(float(self.graph.lat[i]), float(self.graph.lon[i])) for i in path]
        return float(dist[source]), points


def road_router(conn: Connection, settings: Settings) -> RoadRouter | None:
    found = current_graph(conn)
    if found is None:
        return None
    graph_id, graph = found
    return RoadRouter(graph, closed_edges(conn, graph_id, graph), settings)


def router_for(conn: Connection, settings: Settings) -> Router:
    """The road graph with its current closures, or the straight line when none is imported."""
    road = road_router(conn, settings)
    return road if road is not None else StraightLine.from_settings(settings)


# --- commands -----------------------------------------------------------------------------


def import_roads(tx: Tx, actor: str, path: Path) -> RoadsImported:
    """Read an OpenStreetMap extract and make its drivable roads the current graph."""
    raw = path.read_bytes()
    return store_graph(tx, actor, read_osm(path), hashlib.sha256(raw).hexdigest(), path.name)


def store_graph(
    tx: Tx, actor: str, graph: RoadGraph, source_sha256: str, source: str
) -> RoadsImported:
    data = graph.to_bytes()
    graph_id = hashlib.sha256(data).hexdigest()
    if tx.conn.execute(
        select(road_graphs.c.graph_id).where(road_graphs.c.graph_id == graph_id)
    ).first():
        raise conflict(f"this road graph ({graph_id[:12]}) is already imported")
    tx.conn.execute(
        road_graphs.insert().values(
            graph_id=graph_id,
            source_sha256=source_sha256,
            nodes=graph.node_count,
            edges=len(graph.src),
            data=data,
            imported_at=isoformat(tx.now()),
        )
    )
    event = RoadsImported(
        graph_id=graph_id,
        source_sha256=source_sha256,
        nodes=graph.node_count,
        edges=len(graph.src),
        source=source,
    )
    tx.append(actor, event)
    return event


def close_road(
    tx: Tx,
    actor: str,
    lat: float,
    lon: float,
    reason: str,
    *,
    source: ClosureSource = "manual",
    report_id: str | None = None,
    within_m: float = BLOCKED_REPORT_SNAP_M,
) -> str | None:
    """Close the road segment nearest the point; None when no road is that close."""
    found = current_graph(tx.conn)
    graph = found[1] if found is not None else None
    segments: list[list[int]] = []
    if graph is None:
        if source != "manual":
            return None
        reason = f"{reason} (no road graph: recorded at the point)"
    else:
        edges, distance = graph.nearest_edges(lat, lon, within_m)
        if not edges:
            if source == "manual":
                raise invalid("lat", f"no road within {within_m:.0f} m of the point")
            return None
        u, v = int(graph.src[edges[0]]), int(graph.dst[edges[0]])
        segments = [[int(graph.osm_ids[u]), int(graph.osm_ids[v])]]
        reason = f"{reason} ({distance:.0f} m from the segment)"
    number = next_number(tx.conn, road_closures.c.number)
    closure_id = f"RC-{number}"
    tx.append(
        actor,
        RoadClosed(
            closure_id=closure_id,
            lat=lat,
            lon=lon,
            segments=segments,
            source=source,
            report_id=report_id,
            reason=reason,
        ),
    )
    return closure_id


def reopen_road(tx: Tx, actor: str, closure_id: str, reason: str) -> None:
    row = tx.conn.execute(
        select(road_closures.c.reopened_at).where(road_closures.c.closure_id == closure_id)
    ).first()
    if row is None:
        raise not_found(f"road closure {closure_id}")
    if row.reopened_at is not None:
        raise conflict(f"{closure_id} was reopened at {row.reopened_at}")
    tx.append(actor, RoadReopened(closure_id=closure_id, reason=reason))


@HANDLERS.reacts_to("intake.report_received")
def _blocked_or_struck(tx: Tx, event: RecordedEvent) -> None:
    d = event.data
    if d["kind"] not in ("blocked_road", "strike") or d["lat"] is None:
        return
    if d["kind"] == "blocked_road":
        within, why = BLOCKED_REPORT_SNAP_M, "road reported blocked"
    else:
        within, why = tx.settings.road_snap_m, "strike on the road"
    close_road(
        tx,
        DISPATCH_ACTOR,
        d["lat"],
        d["lon"],
        why,
        source="report" if d["kind"] == "blocked_road" else "strike",
        report_id=d["report_id"],
        within_m=within,
    )


@HANDLERS.projects(RoadClosed.type)
def _closed(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        road_closures.insert().values(
            closure_id=d["closure_id"],
            number=int(d["closure_id"].split("-", 1)[1]),
            lat=d["lat"],
            lon=d["lon"],
            segments=json.dumps(d["segments"]),
            source=d["source"],
            report_id=d["report_id"],
            reason=d["reason"],
            closed_at=event.time,
        )
    )


@HANDLERS.projects(RoadReopened.type)
def _reopened(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        road_closures.update()
        .where(road_closures.c.closure_id == event.data["closure_id"])
        .values(reopened_at=event.time)
    )


def list_closures(conn: Connection, open_only: bool = True) -> list[dict[str, Any]]:
    query = select(road_closures).order_by(road_closures.c.number)
    if open_only:
        query = query.where(road_closures.c.reopened_at.is_(None))
    return [
        {
            "id": r.closure_id,
            "location": {"lat": r.lat, "lon": r.lon},
            "segments": json.loads(r.segments),
            "source": r.source,
            "report_id": r.report_id,
            "reason": r.reason,
            "closed_at": r.closed_at,
            "reopened_at": r.reopened_at,
        }
        for r in conn.execute(query).all()
    ]


def graph_info(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(
        select(
            road_graphs.c.graph_id,
            road_graphs.c.source_sha256,
            road_graphs.c.nodes,
            road_graphs.c.edges,
            road_graphs.c.imported_at,
        )
        .order_by(road_graphs.c.imported_at.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)
