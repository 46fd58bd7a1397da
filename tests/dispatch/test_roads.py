"""Roads on the real Helsinki extract (© OpenStreetMap contributors, ODbL 1.0): import, routes
and rankings that change when a segment closes, closures from reports and strikes."""

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.dispatch.candidates import Candidate
from hanano.dispatch.recommend import rank
from hanano.dispatch.road_graph import RoadGraph, read_osm
from hanano.dispatch.road_routing import MAX_SEARCH_S, OFF_ROAD_KMH, RoadRouter, current_graph
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.rebuild import rebuild, snapshot
from tests.dispatch.support import make_incident, make_team
from tests.helpers import HELSINKI, auth

STATION = (60.1699, 24.9384)
SOUTH = (60.1640, 24.9500)


def test_reader_builds_a_drivable_directed_graph() -> None:
    graph = read_osm(HELSINKI)
    assert graph.node_count > 1500
    assert len(graph.src) > graph.node_count
    assert graph.lat.min() > 60.16 and graph.lat.max() < 60.18
    # One-way streets make some segments one-directional.
    pairs = set(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
    assert any((v, u) not in pairs for u, v in pairs)


def test_import_roads_from_the_cli_once(db_url: str, clock: ManualClock) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["--db", db_url, "city", "import-roads", str(HELSINKI)])
    assert first.exit_code == 0, first.output
    assert "road nodes" in first.output
    again = runner.invoke(main, ["--db", db_url, "city", "import-roads", str(HELSINKI)])
    assert again.exit_code != 0 and "already imported" in again.output
    listed = runner.invoke(main, ["--db", db_url, "roads"])
    assert "road graph" in listed.output


def _route(client: TestClient, token: str) -> dict:  # type: ignore[type-arg]
    response = client.get(
        "/api/v1/roads/route",
        params={"from": f"{STATION[0]},{STATION[1]}", "to": f"{SOUTH[0]},{SOUTH[1]}"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_route_avoids_a_closed_segment_and_returns_when_reopened(
    hclient: TestClient, tokens: dict[str, str]
) -> None:
    d = tokens["dispatcher"]
    before = _route(hclient, d)
    assert before["via"] == "by road" and 60 < before["seconds"] < 600
    points = before["points"]
    middle = len(points) // 2
    lat = (points[middle][0] + points[middle + 1][0]) / 2
    lon = (points[middle][1] + points[middle + 1][1]) / 2
    closed = hclient.post(
        "/api/v1/roads/closures",
        json={"lat": lat, "lon": lon, "reason": "crater"},
        headers=auth(tokens["team_leader"]),
    )
    assert closed.status_code == 201, closed.text
    assert closed.json()["segments"] and "m from the segment" in closed.json()["reason"]
    after = _route(hclient, d)
    assert after["points"] != points
    assert after["seconds"] > before["seconds"]
    reopened = hclient.post(
        f"/api/v1/roads/closures/{closed.json()['id']}/reopen",
        json={"reason": "filled"},
        headers=auth(d),
    )
    assert reopened.status_code == 200
    assert _route(hclient, d)["points"] == points


def test_ranking_changes_when_a_segment_on_the_fastest_route_closes(
    hclient: TestClient, tokens: dict[str, str], clock: ManualClock, helsinki: Service
) -> None:
    d = tokens["dispatcher"]
    with helsinki.engine.connect() as conn:
        found = current_graph(conn)
    assert found is not None
    router = RoadRouter(found[1], frozenset(), helsinki.settings)
    a_at, b_at = (60.1720, 24.9420), (60.1660, 24.9440)
    incident_at = (60.1690, 24.9470)
    make_team(hclient, d, "Kallio-1", at=a_at)
    make_team(hclient, d, "Punavuori-1", at=b_at, sector="B")
    incident = make_incident(hclient, d, clock, at=incident_at, kind="collapse")
    url = f"/api/v1/incidents/{incident}/recommendations"
    first = hclient.get(url, headers=auth(d)).json()["recommendations"]
    assert all(r["via"] == "by road" for r in first)
    leader, runner_up = first[0], first[1]
    start = a_at if leader["name"] == "Kallio-1" else b_at
    found = router.route(start, incident_at)
    assert found is not None
    # Close the leader's route one segment at a time until the order flips.
    for (lat1, lon1), (lat2, lon2) in zip(found[1], found[1][1:], strict=False):
        closed = hclient.post(
            "/api/v1/roads/closures",
            json={"lat": (lat1 + lat2) / 2, "lon": (lon1 + lon2) / 2, "reason": "rubble"},
            headers=auth(d),
        ).json()
        ranked = hclient.get(url, headers=auth(d)).json()["recommendations"]
        if ranked[0]["name"] == runner_up["name"]:
            break
        hclient.post(
            f"/api/v1/roads/closures/{closed['id']}/reopen",
            json={"reason": "try the next"},
            headers=auth(d),
        )
    else:
        pytest.fail("no single closure on the leader's route changed the ranking")
    moved = next(r for r in ranked if r["name"] == leader["name"])
    assert moved["travel_s"] > leader["travel_s"]
    assert ranked[0]["reason"].startswith(f"{runner_up['name']}: ")
    assert "by road" in ranked[0]["reason"]
    with helsinki.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(helsinki.engine, REGISTRY)
    with helsinki.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_blocked_road_and_strike_reports_close_the_nearest_segment(
    hclient: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    route = _route(hclient, d)["points"]
    on_road = route[len(route) // 2]
    make_incident(hclient, d, clock, at=(on_road[0], on_road[1]), kind="blocked_road")
    make_incident(hclient, d, clock, at=(route[1][0], route[1][1]), kind="strike")
    closures = hclient.get("/api/v1/roads/closures", headers=auth(d)).json()["closures"]
    assert sorted(c["source"] for c in closures) == ["report", "strike"]
    assert all(c["report_id"] for c in closures)


def test_without_a_graph_travel_is_straight_line_times_detour(
    service: Service, tokens: dict[str, str]
) -> None:
    settings = Settings(database_url="sqlite://", road_speed_kmh=36.0, detour_factor=1.4)
    from hanano.dispatch.travel import StraightLine

    leg = StraightLine.from_settings(settings).legs_to(60.0, 25.0, [(60.0 + 1 / 111.32, 25.0)])[0]
    assert leg.metres == pytest.approx(1400, rel=0.01)
    assert leg.seconds == pytest.approx(140, rel=0.01)
    assert leg.via == "by straight line"


def _plain_times_to(graph: RoadGraph, closed: frozenset[int], origin: int) -> np.ndarray:
    """Fastest times from one node to every node: a plain, unbounded Dijkstra over the graph as
    driven (not turned round), closed edges left out."""
    keep = np.ones(len(graph.src), dtype=bool)
    keep[list(closed)] = False
    n = graph.node_count
    forward = csr_matrix((graph.time_s[keep], (graph.src[keep], graph.dst[keep])), shape=(n, n))
    return np.asarray(dijkstra(forward, directed=True, indices=origin))


@pytest.mark.parametrize("enough", [1, 3, 6])
def test_bounded_search_ranks_as_a_plain_full_dijkstra_does(enough: int) -> None:
    graph = read_osm(HELSINKI)
    rng = np.random.default_rng(enough)
    closed_at = rng.choice(len(graph.src), size=60, replace=False)
    closed = graph.edges_of(
        [[graph.osm_ids[graph.src[e]], graph.osm_ids[graph.dst[e]]] for e in closed_at]
    )
    assert len(closed) >= 60
    settings = Settings(database_url="sqlite://")
    # Teams a few metres off random road nodes; some with what ranking adds to their time.
    team_nodes = rng.choice(graph.node_count, size=30, replace=False)
    origins = [
        (float(graph.lat[v]) + rng.normal(0, 1e-4), float(graph.lon[v]) + rng.normal(0, 1e-4))
        for v in team_nodes
    ]
    penalties = rng.choice([0.0, 0.0, 60.0, 120.0, 600.0], size=len(origins))
    nodes, offsets = graph.nearest_nodes(origins)
    plain = {int(v): _plain_times_to(graph, closed, int(v)) for v in set(nodes.tolist())}
    walk = OFF_ROAD_KMH / 3.6
    one_search = cut_off = 0
    for place in rng.choice(graph.node_count, size=25, replace=False):
        lat, lon = float(graph.lat[place]) + 2e-4, float(graph.lon[place])
        target, target_off = graph.nearest_node(lat, lon)
        exact = np.array(
            [
                plain[int(v)][target] + (off + target_off) / walk
                for v, off in zip(nodes, offsets, strict=True)
            ]
        )
        # Without a bound, every time is the plain search's; a team with no open road at all
        # is put after every team with one.
        every = RoadRouter(graph, closed, settings).legs_to(lat, lon, origins)
        full = np.array([leg.seconds for leg in every])
        reachable = np.isfinite(exact)
        assert full[reachable] == pytest.approx(exact[reachable])
        assert not any(leg.at_least for leg in every)
        assert all(
            every[i].via == "by straight line (no open road)" for i in np.flatnonzero(~reachable)
        )
        assert np.all(full[~reachable] >= MAX_SEARCH_S)
        truth_s = np.where(reachable, exact, full)

        router = RoadRouter(graph, closed, settings)
        legs = router.legs_to(lat, lon, origins, penalties=penalties.tolist(), enough=enough)
        limit = router.searches[-1]
        one_search += len(router.searches) == 1
        seconds = np.array([leg.seconds for leg in legs])
        beyond = np.array([leg.at_least for leg in legs])
        # Every team reached has its exact time; every other one a true lower bound.
        assert seconds[~beyond] == pytest.approx(truth_s[~beyond])
        assert np.all(seconds[beyond] <= truth_s[beyond] + 1e-9)
        assert np.all(truth_s[beyond] > limit)
        # The best teams, counted with what ranking adds, come out in the same order.
        order = np.lexsort((np.arange(len(origins)), seconds + penalties))[:enough]
        truth = np.lexsort((np.arange(len(origins)), truth_s + penalties))[:enough]
        assert order.tolist() == truth.tolist()
        assert not beyond[order].any()
        if not reachable.any():
            # Cut off from every team: the search stops once it has run out of roads.
            assert len(router.searches) < 4
            cut_off += 1
    # Most places need one bounded search only, and at least one is an island.
    assert one_search >= 15 and cut_off >= 1


def test_teams_beyond_the_search_rank_last_with_a_lower_bound_in_words() -> None:
    graph = read_osm(HELSINKI)
    router = RoadRouter(graph, frozenset(), Settings(database_url="sqlite://"))
    target, _ = graph.nearest_node(*STATION)
    site = (float(graph.lat[target]), float(graph.lon[target]))
    times = dijkstra(graph.reversed_csr(frozenset()), directed=True, indices=target)
    by_time = np.argsort(times)
    finite = by_time[np.isfinite(times[by_time])]
    # The nearest team a few streets away, four from the far edge of the reachable city.
    chosen = [int(finite[40]), *(int(v) for v in finite[-4:])]
    free = [
        Candidate(
            team_id=f"T-{i}",
            name=f"Team-{i}",
            sector="A",
            capabilities={"light_rescue", "heavy_rescue", "medical"},
            origin=(float(graph.lat[v]), float(graph.lon[v])),
            origin_words="",
            duty_hours=2.0,
            rested_min=None,
        )
        for i, v in enumerate(chosen)
    ]
    ranked = rank(free, site, ["heavy_rescue"], router, enough=1)
    assert ranked[0].name == "Team-0"
    assert ranked[0].leg is not None and not ranked[0].leg.at_least
    assert ranked[0].leg.seconds == pytest.approx(float(times[chosen[0]]))
    far = ranked[1:]
    assert all(c.leg is not None and c.leg.at_least for c in far)
    for cand in far:
        assert cand.leg is not None
        assert cand.leg.seconds <= float(times[chosen[int(cand.team_id[2:])]])
        assert cand.reason().startswith(
            f"{cand.name}: more than {int(cand.leg.seconds // 60)} min by road"
        )
        assert cand.view()["travel_at_least"] is True
    assert ranked[0].view()["travel_at_least"] is False
    assert len(router.searches) == 1 and router.searches[0] < float(times[chosen[1]])
