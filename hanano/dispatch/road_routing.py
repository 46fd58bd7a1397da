"""Travel times over the current road graph that avoid every open closure.

Routing runs one Dijkstra from the incident over the reversed graph, which gives every team's
time to it at once; for a recommendation it is bounded to a travel-time horizon just wide
enough to rank the best teams exactly.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra
from sqlalchemy import Connection, func, select

from hanano.dispatch.road_graph import RoadGraph, haversine_array
from hanano.dispatch.tables import road_closures, road_graphs
from hanano.dispatch.travel import Leg, Router, StraightLine
from hanano.settings import Settings
from hanano.store.prepared import Prepared

OFF_ROAD_KMH = 10.0
MAX_SEARCH_S = 4 * 3600.0  # from a point to the nearest road node, on foot or crawling
MIN_SEARCH_S = 120.0


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
        straight = haversine_array(
            np.array([o[0] for o in origins]), np.array([o[1] for o in origins]), lat, lon
        )
        # Off the road at both ends, on foot.
        off_road = (offsets + target_off) / (OFF_ROAD_KMH / 3.6)
        extra = np.zeros(len(origins)) if penalties is None else np.asarray(penalties, float)
        between = haversine_array(
            graph.lat[nodes], graph.lon[nodes], float(graph.lat[target]), float(graph.lon[target])
        )
        if enough is None or enough >= len(origins):
            limit = float("inf")
            times = self._search(target, limit)
            road = times[nodes] + off_road
        else:
            limit, road = self._bounded_search(target, nodes, off_road, extra, between, enough)
        # Beyond the horizon: not reached within it, and no faster than the straight line at
        # the fastest road's speed.
        bounds = (np.maximum(limit, between / graph.max_speed_ms) + off_road).tolist()
        return self._legs(road.tolist(), straight.tolist(), bounds, limit)

    def _bounded_search(
        self,
        target: int,
        nodes: np.ndarray,
        off_road: np.ndarray,
        extra: np.ndarray,
        between: np.ndarray,
        enough: int,
    ) -> tuple[float, np.ndarray]:
        """The horizon searched and the road time from each origin (inf beyond it).

        One Dijkstra from the incident, bounded by a travel-time horizon. Every origin reached
        within it has its exact time; every other one needs longer than the horizon. So once
        `enough` origins reached have time + penalty within the horizon, they are exactly the
        best `enough` or more, in their exact order. The first horizon is a guess from
        straight-line distance at the graph's pace; when too few are in, the search is run
        again half as far again.
        """
        guess = self.graph.pace() * between + off_road + extra
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
        return limit, road

    def _legs(
        self, road: list[float], straight: list[float], bounds: list[float], limit: float
    ) -> list[Leg]:
        fallback_speed = self.settings.road_speed_kmh / 3.6
        legs = []
        for i, (seconds_by_road, metres) in enumerate(zip(road, straight, strict=True)):
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
