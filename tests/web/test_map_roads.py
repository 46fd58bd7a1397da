"""The map's road layer over HTTP, on the real Helsinki extract (© OpenStreetMap contributors,
ODbL 1.0): compact lines that follow the roads, revalidated by ETag, and closed segments that
come and go with closures."""

from __future__ import annotations

import math

import numpy as np
from fastapi.testclient import TestClient

from hanano.dispatch.road_routing import current_graph
from hanano.service import Service
from hanano.web.map_routes import decode_polyline, encode_polyline
from tests.helpers import auth

# On Mannerheimintie, a few metres off the carriageway.
ON_A_ROAD = (60.1699, 24.9384)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def test_polyline_encoding_round_trips() -> None:
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    # The example of the format's own description.
    assert encode_polyline(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert decode_polyline(encode_polyline(points)) == points


def test_geometry_is_compact_follows_every_road_and_revalidates(
    hclient: TestClient, helsinki: Service, tokens: dict[str, str]
) -> None:
    headers = auth(tokens["dispatcher"])
    response = hclient.get("/api/v1/roads/geometry", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-encoding"] == "gzip"
    body = response.json()
    with helsinki.engine.connect() as conn:
        found = current_graph(conn)
    assert found is not None
    graph_id, graph = found
    assert body["graph_id"] == graph_id and body["format"] == "polyline"
    lines = [decode_polyline(line) for line in body["lines"]]
    assert body["count"] == len(lines) > 100
    points = np.array([p for line in lines for p in line])
    # Merged and simplified: far fewer points than the graph has nodes, and far fewer bytes on
    # the wire than the nodes alone would take as JSON numbers.
    assert len(points) < 0.8 * graph.node_count
    assert int(response.headers["content-length"]) < 8_000
    # Every point drawn lies on the graph (within the simplification and rounding) ...
    near = graph.tree.query(graph._xy(points[:, 0], points[:, 1]))[0]
    assert near.max() < 3.0
    # ... and every junction of the graph is drawn: no road is left out.
    degree = np.bincount(np.concatenate([graph.src, graph.dst]), minlength=graph.node_count)
    junctions = np.flatnonzero(degree >= 6)
    drawn = {(round(lat, 5), round(lon, 5)) for lat, lon in points}
    missing = [
        j
        for j in junctions
        if (round(float(graph.lat[j]), 5), round(float(graph.lon[j]), 5)) not in drawn
    ]
    assert len(junctions) > 50 and not missing
    # The same graph again: 304 with no body, until another graph is imported.
    etag = response.headers["etag"]
    assert graph_id[:16] in etag and "no-cache" in response.headers["cache-control"]
    again = hclient.get("/api/v1/roads/geometry", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_without_gzip_the_same_lines_come_plain(
    hclient: TestClient, tokens: dict[str, str]
) -> None:
    plain = hclient.get(
        "/api/v1/roads/geometry",
        headers={**auth(tokens["admin"]), "Accept-Encoding": "identity"},
    )
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    packed = hclient.get("/api/v1/roads/geometry", headers=auth(tokens["admin"]))
    assert plain.json() == packed.json()


def test_no_graph_no_lines(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/roads/geometry", headers=auth(tokens["dispatcher"]))
    assert response.status_code == 200
    assert response.json()["graph_id"] is None and response.json()["lines"] == []
    closed = client.get("/api/v1/roads/geometry/closed", headers=auth(tokens["dispatcher"]))
    assert closed.json() == {"graph_id": None, "closed": [], "count": 0}


def test_closed_segments_appear_and_go_with_closures(
    hclient: TestClient, tokens: dict[str, str]
) -> None:
    d = auth(tokens["dispatcher"])
    empty = hclient.get("/api/v1/roads/geometry/closed", headers=d)
    assert empty.json()["closed"] == []
    made = hclient.post(
        "/api/v1/roads/closures",
        json={"lat": ON_A_ROAD[0], "lon": ON_A_ROAD[1], "reason": "crater"},
        headers=auth(tokens["team_leader"]),
    )
    assert made.status_code == 201, made.text
    response = hclient.get(
        "/api/v1/roads/geometry/closed", headers={**d, "If-None-Match": empty.headers["etag"]}
    )
    assert response.status_code == 200
    [closed] = response.json()["closed"]
    assert closed["id"] == made.json()["id"] and closed["reason"].startswith("crater")
    [[start, end]] = closed["lines"]
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    assert _metres(middle, ON_A_ROAD) < 120
    assert (
        hclient.get(
            "/api/v1/roads/geometry/closed",
            headers={**d, "If-None-Match": response.headers["etag"]},
        ).status_code
        == 304
    )
    hclient.post(
        f"/api/v1/roads/closures/{closed['id']}/reopen", json={"reason": "filled"}, headers=d
    )
    assert hclient.get("/api/v1/roads/geometry/closed", headers=d).json()["closed"] == []


def test_only_operations_roles_read_the_roads(hclient: TestClient, tokens: dict[str, str]) -> None:
    for role in ("public", "reporter", "spotter"):
        for path in ("/api/v1/roads/geometry", "/api/v1/roads/geometry/closed"):
            response = hclient.get(path, headers=auth(tokens[role]))
            assert response.status_code == 403, (role, path)
    assert hclient.get("/api/v1/roads/geometry").status_code == 403
