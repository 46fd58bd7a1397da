"""Dispatch benchmark: recommendation latency on real and generated road graphs.

For each graph it builds a store (SQLite, WAL) with the graph imported, 100 teams on duty at
random places, 1,000 closed road segments and 200 open incidents, then times the whole
recommendation for an incident (reading teams and closures from the store, a Dijkstra from the
incident over the road graph with the closures removed, bounded to the travel-time horizon
that ranks the best three teams exactly, ranking with reasons).

In the same run it asks networkx the same question on the same graph and closures: a
single-source Dijkstra from the incident over the reversed graph
(`nx.single_source_dijkstra_path_length`) with `cutoff=` the horizon hanano's search ended
with, then the teams sorted by it. Every exact travel time hanano gave is checked against
networkx's. Only the search and the sort are timed for networkx (no store reads, no reasons,
and never a second, wider search), so the ratio is conservative. For scale it also times the
unbounded networkx search (every team's time), the way most Python users would write it.

    .venv/bin/python bench/dispatch.py [--nodes 250000] [--samples 200]

The last line is machine-readable, for the generated city:
    p99_ms=N nodes=N speedup_vs_networkx=N
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import text

from hanano.access.tokens import Principal
from hanano.clock import ManualClock
from hanano.dispatch.recommend import recommend
from hanano.dispatch.road_graph import RoadGraph, build_graph, read_osm
from hanano.dispatch.road_routing import OFF_ROAD_KMH, RoadRouter, road_router, router_for
from hanano.dispatch.roads import store_graph
from hanano.dispatch.teams import register_team
from hanano.domain import finish
from hanano.intake.api import submit_report
from hanano.intake.model import ReportIn
from hanano.service import Service
from hanano.settings import Settings

HELSINKI = Path(__file__).parent.parent / "tests" / "data" / "osm" / "helsinki.osm.pbf"
ALEPPO = (36.20, 37.15)
INCIDENTS = 200
BENCH = Principal("bench", "dispatcher")


def generated_city(nodes: int, seed: int = 7) -> RoadGraph:
    """A jittered grid city: arterials every tenth street, some one-way streets, some missing."""
    rng = np.random.default_rng(seed)
    side = math.isqrt(nodes)
    spacing = 80.0
    rows, cols = np.divmod(np.arange(side * side), side)
    lat = ALEPPO[0] + (rows * spacing + rng.normal(0, 8, side * side)) / 111_320.0
    lon = ALEPPO[1] + (cols * spacing + rng.normal(0, 8, side * side)) / (
        111_320.0 * math.cos(math.radians(ALEPPO[0]))
    )
    index = np.arange(side * side).reshape(side, side)
    pairs = [
        (index[:, :-1].ravel(), index[:, 1:].ravel(), rows.reshape(side, side)[:, :-1].ravel()),
        (index[:-1, :].ravel(), index[1:, :].ravel(), cols.reshape(side, side)[:-1, :].ravel()),
    ]
    src, dst, speed = [], [], []
    for first, second, line in pairs:
        major = line % 10 == 0
        keep = major | (rng.random(len(first)) > 0.08)
        a, b, arterial = first[keep], second[keep], major[keep]
        kmh = np.where(arterial, 45.0, 25.0)
        oneway = (~arterial) & (rng.random(len(a)) < 0.1)
        src += [a, b[~oneway]]
        dst += [b, a[~oneway]]
        speed += [kmh, kmh[~oneway]]
    return build_graph(
        np.arange(1, side * side + 1, dtype=np.int64),
        lat,
        lon,
        np.concatenate(src).astype(np.int32),
        np.concatenate(dst).astype(np.int32),
        np.concatenate(speed),
    )


def build_store(
    graph: RoadGraph, name: str, folder: Path, teams: int, closures: int
) -> tuple[Service, list[str], int]:
    rng = np.random.default_rng(11)
    clock = ManualClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    settings = Settings(database_url=f"sqlite:///{folder / (name + '.db')}")
    service = Service(settings, clock=clock).start()
    service.execute(lambda tx: store_graph(tx, "bench", graph, "generated", name))
    picks = rng.choice(graph.node_count, size=teams + INCIDENTS, replace=False)
    for i, node in enumerate(picks[:teams]):
        lat, lon = float(graph.lat[node]), float(graph.lon[node])
        service.execute(
            lambda tx, i=i, lat=lat, lon=lon: register_team(
                tx,
                "bench",
                name=f"Team-{i}",
                base_name="centre",
                base_lat=lat,
                base_lon=lon,
                sector=f"S{i % 12}",
                crew=6,
                min_crew=4,
                capabilities=["light_rescue", "heavy_rescue", "medical"],
                vehicle="pickup",
            )
        )
    from hanano.dispatch.roads import close_road

    edges = rng.choice(len(graph.src), size=closures * 3, replace=False)
    closed = 0

    def close_some(tx: Any, batch: list[int]) -> int:
        done = 0
        for e in batch:
            a, b = graph.src[e], graph.dst[e]
            lat = float(graph.lat[a] + graph.lat[b]) / 2
            lon = float(graph.lon[a] + graph.lon[b]) / 2
            if close_road(tx, "bench", lat, lon, "rubble", within_m=30.0):
                done += 1
        return done

    for start in range(0, len(edges), 100):
        if closed >= closures:
            break
        batch = [int(e) for e in edges[start : start + min(100, closures - closed)]]
        closed += service.execute(lambda tx, b=batch: close_some(tx, b))
    incident_ids: list[str] = []
    for node in picks[teams:]:
        report = ReportIn.model_validate_json(
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "kind": "collapse",
                    "observed_at": clock.now().isoformat(),
                    "source": "spotter",
                    "lat": float(graph.lat[node]),
                    "lon": float(graph.lon[node]),
                    "trapped": 2,
                }
            )
        )
        result = finish(submit_report(service, BENCH, report))
        incident_ids.append(result.incident_id)
    return service, sorted(set(incident_ids)), closed


Answer = tuple[str, float, list[dict[str, Any]]]  # incident, final search horizon, ranking


def time_recommendations(
    service: Service, incident_ids: list[str], samples: int
) -> tuple[list[float], list[float], list[Answer]]:
    """Wall-clock and this thread's CPU time per recommendation, in ms, and what each answered.
    On a shared machine the gap between the two times is time spent waiting for a core."""
    timings = []
    cpu = []
    answers: list[Answer] = []
    with service.engine.connect() as conn:
        recommend(
            conn,
            incident_ids[0],
            router_for(conn, service.settings),
            service.clock.now(),
            service.settings,
        )
        for i in range(samples):
            incident = incident_ids[i % len(incident_ids)]
            start = time.perf_counter()
            start_cpu = time.thread_time()
            router = router_for(conn, service.settings)
            result = recommend(conn, incident, router, service.clock.now(), service.settings)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            assert result["recommendations"], result["summary"]
            assert isinstance(router, RoadRouter)
            answers.append((incident, router.searches[-1], result["recommendations"]))
    return timings, cpu, answers


def time_networkx(
    service: Service, answers: list[Answer], full_samples: int
) -> tuple[list[float], list[float]]:
    """networkx asked the same question as each recommendation (bounded by its horizon), and
    unbounded for scale; ms per search."""
    with service.engine.connect() as conn:
        router = road_router(conn, service.settings)
        assert router is not None
        teams = conn.execute(text("SELECT team_id, base_lat, base_lon FROM dispatch_teams")).all()
        places = conn.execute(text("SELECT incident_id, lat, lon FROM incidents")).all()
    graph = router.graph
    keep = np.ones(len(graph.src), dtype=bool)
    keep[list(router.closed)] = False
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.node_count))
    g.add_weighted_edges_from(
        zip(
            graph.src[keep].tolist(),
            graph.dst[keep].tolist(),
            graph.time_s[keep].tolist(),
            strict=True,
        ),
        weight="time",
    )
    reverse = g.reverse(copy=False)
    walk = OFF_ROAD_KMH / 3.6
    located = {t.team_id: graph.nearest_node(t.base_lat, t.base_lon) for t in teams}
    team_nodes = [node for node, _ in located.values()]
    where = {p.incident_id: (p.lat, p.lon) for p in places}
    bounded, checked = [], 0
    for incident, horizon, ranking in answers:
        lat, lon = where[incident]
        start = time.perf_counter()
        target, target_off = graph.nearest_node(lat, lon)
        lengths = nx.single_source_dijkstra_path_length(
            reverse, target, cutoff=horizon, weight="time"
        )
        sorted((lengths.get(n, math.inf), n) for n in team_nodes)
        bounded.append((time.perf_counter() - start) * 1000)
        for rec in ranking:
            node, off = located[rec["team_id"]]
            if rec["travel_at_least"] or rec["via"].startswith("by straight line"):
                assert node not in lengths, (incident, rec)
                continue
            expected = lengths[node] + (off + target_off) / walk
            assert abs(rec["travel_s"] - expected) <= 0.051, (incident, rec, expected)
            checked += 1
    print(f"  {checked} exact travel times checked against networkx's", flush=True)
    full = []
    for incident, _, _ in answers[:full_samples]:
        lat, lon = where[incident]
        start = time.perf_counter()
        target, _ = graph.nearest_node(lat, lon)
        lengths = nx.single_source_dijkstra_path_length(reverse, target, weight="time")
        sorted((lengths.get(n, math.inf), n) for n in team_nodes)
        full.append((time.perf_counter() - start) * 1000)
    return bounded, full


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def run(
    name: str,
    graph: RoadGraph,
    teams: int,
    closures: int,
    samples: int,
    nx_samples: int,
    folder: Path,
) -> tuple[float, int, float]:
    build = time.perf_counter()
    service, incidents, closed = build_store(graph, name, folder, teams, closures)
    print(
        f"{name}: {graph.node_count} nodes, {len(graph.src)} directed segments, {teams} teams, "
        f"{closed} closed segments, {len(incidents)} incidents "
        f"(store built in {time.perf_counter() - build:.0f} s)",
        flush=True,
    )
    try:
        ours, ours_cpu, answers = time_recommendations(service, incidents, samples)
        same, full = time_networkx(service, answers, nx_samples)
    finally:
        service.stop()
    p50, p99 = statistics.median(ours), pct(ours, 99)
    nx50, full50 = statistics.median(same), statistics.median(full)
    exact = sum(1 for _, _, ranking in answers for r in ranking if not r["travel_at_least"])
    print(
        f"  hanano recommendation: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({samples} samples; "
        f"CPU time p50 {statistics.median(ours_cpu):.1f} ms, p99 {pct(ours_cpu, 99):.1f} ms; "
        f"{exact / len(answers):.1f} teams with exact times per recommendation)\n"
        f"  networkx, same question (search bounded by the same horizon): p50 {nx50:.1f} ms, "
        f"p99 {pct(same, 99):.1f} ms ({len(same)} samples); speedup {nx50 / p50:.1f}x\n"
        f"  networkx, every team's time (unbounded search): p50 {full50:.1f} ms "
        f"({len(full)} samples); {full50 / p50:.0f}x hanano's p50",
        flush=True,
    )
    return p99, graph.node_count, nx50 / p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=250_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--nx-samples", type=int, default=20, help="unbounded networkx searches per graph"
    )
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"python {sys.version.split()[0]}, networkx {nx.__version__}, "
        f"load average at start {' '.join(load)}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Helsinki's extract is small (about 2,000 nodes): 20 teams and 20 closures leave it a
        # city rather than islands.
        run("helsinki", read_osm(HELSINKI), 20, 20, args.samples, args.nx_samples, folder)
        p99, nodes, speedup = run(
            "generated",
            generated_city(args.nodes),
            100,
            1000,
            args.samples,
            args.nx_samples,
            folder,
        )
    print(f"p99_ms={p99:.1f} nodes={nodes} speedup_vs_networkx={speedup:.0f}")


if __name__ == "__main__":
    main()
