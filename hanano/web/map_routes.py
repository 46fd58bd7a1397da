"""The map's road layer: the imported road graph drawn as lines, and the segments now closed.

The roads are sent once per graph as encoded polylines (the Google polyline algorithm at five
decimals, about a metre: a tenth of the size of the same lines as GeoJSON), each chain of
segments between two junctions merged into one line and simplified by a couple of metres.
The response carries an ETag made of the graph's hash, so a page that has it already is
answered 304 with no body; only a new import changes it.

Closed segments change with every strike near a road, so they are a second, small route the
page reads again when a closure is made or lifted, rather than a reason to resend every road.

Who may read them: the roads themselves are public OpenStreetMap data, but closures follow
strikes and blocked-road reports, which sit beside the incidents and so beside rescuers at
work; both routes are for the operations roles that already read closures (not the public, not
reporters or spotters).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import threading
from typing import Annotated, Any

import numpy as np
import orjson
import shapely
from fastapi import APIRouter, Depends, Request, Response
from shapely.ops import linemerge

from hanano.access.tokens import Principal
from hanano.dispatch import api as dispatch_api
from hanano.dispatch import road_graph
from hanano.web.deps import ServiceDep, allow

OPS = ("admin", "dispatcher", "team_leader", "auditor")
PRECISION = 5
# Simplification tolerance in metres: well under a lane's width, so no bend moves visibly, while
# the long straight runs that OSM draws with many nodes shrink to their two ends.
SIMPLIFY_M = 2.0
METRES_PER_DEGREE = 111_320.0

router = APIRouter(prefix="/api/v1", tags=["map"])

_CACHE: dict[str, tuple[bytes, bytes, int]] = {}
_LOCK = threading.Lock()


def _encode_number(value: int, out: list[str]) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def encode_polyline(points: list[tuple[float, float]]) -> str:
    """Points as (lat, lon), in the encoded polyline format."""
    scale = 10**PRECISION
    out: list[str] = []
    last_lat = last_lon = 0
    for lat, lon in points:
        ilat, ilon = round(lat * scale), round(lon * scale)
        _encode_number(ilat - last_lat, out)
        _encode_number(ilon - last_lon, out)
        last_lat, last_lon = ilat, ilon
    return "".join(out)


def decode_polyline(text: str) -> list[tuple[float, float]]:
    """The inverse of encode_polyline, for tests and for anyone reading the route elsewhere."""
    values: list[int] = []
    shift = result = 0
    for char in text:
        byte = ord(char) - 63
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    points: list[tuple[float, float]] = []
    lat = lon = 0
    scale = 10**PRECISION
    for i in range(0, len(values) - 1, 2):
        lat += values[i]
        lon += values[i + 1]
        points.append((lat / scale, lon / scale))
    return points


def road_lines(graph: road_graph.RoadGraph) -> list[str]:
    """Every drivable segment once (whichever directions it may be driven), merged into chains
    and simplified, as encoded polylines."""
    n = max(1, graph.node_count)
    a = np.minimum(graph.src, graph.dst).astype(np.int64)
    b = np.maximum(graph.src, graph.dst).astype(np.int64)
    pairs = np.unique(a * n + b)
    u, v = pairs // n, pairs % n
    # Work in metres east and north of the graph's mean latitude, so the tolerance is the same
    # along both axes.
    cos = math.cos(math.radians(graph.lat0))
    x = graph.lon * METRES_PER_DEGREE * cos
    y = graph.lat * METRES_PER_DEGREE
    segments = shapely.linestrings(
        np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    )
    merged = linemerge(shapely.MultiLineString(list(segments)))
    parts = list(getattr(merged, "geoms", [merged]))
    lines: list[str] = []
    for part in shapely.simplify(np.array(parts, dtype=object), SIMPLIFY_M):
        coords = shapely.get_coordinates(part)
        if len(coords) < 2:
            continue
        lats = coords[:, 1] / METRES_PER_DEGREE
        lons = coords[:, 0] / (METRES_PER_DEGREE * cos)
        lines.append(encode_polyline(list(zip(lats.tolist(), lons.tolist(), strict=True))))
    return lines


def _geometry(graph_id: str, graph: road_graph.RoadGraph) -> tuple[bytes, bytes, int]:
    """The body (plain and gzipped) and line count for a graph, computed once per process."""
    with _LOCK:
        cached = _CACHE.get(graph_id)
    if cached is not None:
        return cached
    lines = road_lines(graph)
    south, north = float(graph.lat.min()), float(graph.lat.max())
    west, east = float(graph.lon.min()), float(graph.lon.max())
    body = orjson.dumps(
        {
            "graph_id": graph_id,
            "format": "polyline",
            "precision": PRECISION,
            "bbox": [west, south, east, north],
            "count": len(lines),
            "lines": lines,
        }
    )
    made = (body, gzip.compress(body, 6, mtime=0), len(lines))
    with _LOCK:
        _CACHE.clear()
        _CACHE[graph_id] = made
    return made


def _matches(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return any(tag.strip() in (etag, "W/" + etag, "*") for tag in sent.split(","))


@router.get("/roads/geometry", response_class=Response)
def roads_geometry(
    request: Request, service: ServiceDep, _: Annotated[Principal, Depends(allow(*OPS))]
) -> Response:
    """The imported roads as encoded polylines (`lines`, lat/lon at `precision` decimals), or
    `graph_id: null` and no lines when none is imported. Revalidate with If-None-Match."""
    found = dispatch_api.road_graph_now(service)
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Cookie"}
    if found is None:
        body = orjson.dumps(
            {
                "graph_id": None,
                "format": "polyline",
                "precision": PRECISION,
                "count": 0,
                "lines": [],
            }
        )
        return Response(body, media_type="application/json", headers=headers)
    graph_id, graph = found
    etag = f'"roads-{graph_id[:32]}"'
    headers["ETag"] = etag
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    plain, packed, _count = _geometry(graph_id, graph)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/json", headers=headers)
    return Response(plain, media_type="application/json", headers=headers)


@router.get("/roads/geometry/closed")
def roads_geometry_closed(
    request: Request,
    response: Response,
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*OPS))],
) -> Any:
    """The open closures' segments as lines of [lat, lon] points, to draw over the roads."""
    found, closures, state = dispatch_api.closed_roads(service)
    graph_id = found[0] if found else None
    tag = hashlib.sha256(repr((graph_id, sorted(map(tuple, state)))).encode()).hexdigest()[:32]
    etag = f'"closed-{tag}"'
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    if _matches(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    closed: list[dict[str, Any]] = []
    if found is not None:
        graph = found[1]
        for closure in closures:
            lines = []
            for a, b in closure["segments"]:
                i, j = graph.index.get(int(a)), graph.index.get(int(b))
                if i is None or j is None:
                    continue
                lines.append(
                    [
                        [round(float(graph.lat[i]), 6), round(float(graph.lon[i]), 6)],
                        [round(float(graph.lat[j]), 6), round(float(graph.lon[j]), 6)],
                    ]
                )
            if lines:
                closed.append(
                    {
                        "id": closure["id"],
                        "reason": closure["reason"],
                        "source": closure["source"],
                        "lines": lines,
                    }
                )
    return {"graph_id": graph_id, "closed": closed, "count": len(closed)}
