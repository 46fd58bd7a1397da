"""Roads: a drivable graph imported from OpenStreetMap, closures from reports and strikes, and
travel times that avoid closed segments.

The graph is reference data kept beside the log; the log records which graph (by hash) and
every closure and reopening (by OSM node pairs, so closures survive a re-import of the same
roads). The graph itself is in road_graph.py, routing over it in road_routing.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from hanano.clock import isoformat
from hanano.dispatch.common import DISPATCH_ACTOR, next_number
from hanano.dispatch.events import ClosureSource, RoadClosed, RoadReopened, RoadsImported
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.road_graph import RoadGraph, read_osm
from hanano.dispatch.road_routing import current_graph

# Re-exported: routes.py reaches the router through this module.
from hanano.dispatch.tables import road_closures, road_graphs
from hanano.errors import conflict, invalid, not_found
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

BLOCKED_REPORT_SNAP_M = 100.0


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
