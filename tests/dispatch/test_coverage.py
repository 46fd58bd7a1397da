"""Coverage: each Aleppo zone's nearest available team, the zones too far from any, and moves of
idle teams that cover them without uncovering another zone."""

import itertools
import re
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.city import tables as city_tables
from hanano.city.commands import import_neighbourhoods
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.dispatch.coverage import coverage, suggest_moves
from hanano.dispatch.roads import import_roads
from hanano.dispatch.teams import register_team
from hanano.geo.distance import haversine_m
from hanano.service import Service
from tests.dispatch.support import assign, make_incident, make_team
from tests.helpers import HANANO, HELSINKI, auth, offset


def _centroids(service: Service) -> dict[str, tuple[str, float, float]]:
    n = city_tables.neighbourhoods
    with service.engine.connect() as conn:
        rows = conn.execute(select(n.c.pcode, n.c.name_en, n.c.centroid_lat, n.c.centroid_lon))
        return {r.pcode: (r.name_en, r.centroid_lat, r.centroid_lon) for r in rows}


def _straight_s(service: Service, a: tuple[float, float], b: tuple[float, float]) -> float:
    settings = service.settings
    return haversine_m(*a, *b) * settings.detour_factor / (settings.road_speed_kmh / 3.6)


def _over(service: Service, places: list[tuple[float, float]], zones: dict[str, Any]) -> set[str]:
    """Zones farther than the threshold from every place, computed here independently."""
    limit = service.settings.coverage_threshold_min * 60
    return {
        pcode
        for pcode, (_, lat, lon) in zones.items()
        if min(_straight_s(service, p, (lat, lon)) for p in places) > limit
    }


def test_two_teams_in_hanano_leave_far_zones_uncovered_and_moves_cover_them(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    first = make_team(client, d, "Hanano-1", at=HANANO)
    near = offset(*HANANO, east_m=250)
    make_team(client, d, "Hanano-2", at=near)
    result = client.get("/api/v1/coverage", headers=auth(d)).json()
    zones = _centroids(aleppo)
    assert len(result["zones"]) == len(zones) == 109
    assert result["threshold_min"] == 8 and result["via"] == "by straight line"

    # Each zone's time is the straight line × 1.4 at 30 km/h from the nearer team.
    for view in result["zones"]:
        _, lat, lon = zones[view["pcode"]]
        expected = min(_straight_s(aleppo, p, (lat, lon)) for p in (HANANO, near))
        assert view["travel_s"] == pytest.approx(expected, abs=0.1)
    times = [v["travel_s"] for v in result["zones"]]
    assert times == sorted(times, reverse=True)  # worst covered first
    hanano = next(v for v in result["zones"] if v["pcode"] == "N0129")
    assert hanano["team"] in {"Hanano-1", "Hanano-2"} and hanano["over"] is False

    before = _over(aleppo, [HANANO, near], zones)
    assert set(result["over_threshold"]) == before and len(before) > 20

    moves = result["suggestions"]
    assert moves
    assert re.fullmatch(
        r"Move Hanano-[12] to .+: covers \d+ zones? now over 8 min \(.+\); "
        r"Hanano still covered by Hanano-[12] in \d+ min",
        moves[0]["reason"],
    ), moves[0]["reason"]
    # Replayed one by one, each move covers the zones it names and uncovers none.
    places = {"Hanano-1": HANANO, "Hanano-2": near}
    over = before
    for move in moves:
        assert move["from_pcode"] == "N0129"
        places[move["team"]] = (move["lat"], move["lon"])
        now = _over(aleppo, list(places.values()), zones)
        assert now < over and set(move["covers"]) == over - now
        over = now
    assert set(result["over_after_suggestions"]) == over
    assert "Suggestions only" in result["note"]
    # Only the first move is made: the coverage then is what it promised.
    move = moves[0]
    first_only = {"Hanano-1": HANANO, "Hanano-2": near, move["team"]: (move["lat"], move["lon"])}
    after = _over(aleppo, list(first_only.values()), zones)

    # Nothing moved; once the dispatcher moves the team by its position, coverage follows.
    again = client.get("/api/v1/coverage", headers=auth(d)).json()
    assert again["over_threshold"] == result["over_threshold"]
    sent = client.post(
        f"/api/v1/teams/{move['team_id']}/position",
        json={"lat": move["lat"], "lon": move["lon"]},
        headers=auth(d),
    )
    assert sent.status_code == 200, sent.text
    moved = client.get("/api/v1/coverage", headers=auth(d)).json()
    assert set(moved["over_threshold"]) == after
    assert first["id"] in {v["team_id"] for v in moved["zones"]}


def test_busy_and_off_duty_teams_do_not_cover(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    none = client.get("/api/v1/coverage", headers=auth(d)).json()
    assert none["summary"].startswith("No team is available")
    assert len(none["over_threshold"]) == 109 and none["suggestions"] == []
    assert all(v["travel_s"] is None for v in none["zones"])
    busy = make_team(client, d, "Hanano-1", at=HANANO)
    make_team(client, d, "Hanano-2", at=HANANO, on_duty=False)
    assign(client, d, make_incident(client, d, clock), busy["id"])
    result = client.get("/api/v1/coverage", headers=auth(d)).json()
    assert result["teams_available"] == 0
    assert "Hanano-1: busy on task" in result["summary"]
    assert "Hanano-2: off duty" in result["summary"]


def test_a_lone_team_moves_only_where_it_keeps_every_zone_it_covers(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Hanano-1", at=HANANO)
    result = client.get("/api/v1/coverage", headers=auth(d)).json()
    zones = _centroids(aleppo)
    before = _over(aleppo, [HANANO], zones)
    assert set(result["over_threshold"]) == before
    for move in result["suggestions"]:
        after = _over(aleppo, [(move["lat"], move["lon"])], zones)
        assert after < before
    aleppo.settings.coverage_threshold_min = 60
    wide = client.get("/api/v1/coverage", headers=auth(d)).json()
    assert wide["over_threshold"] == [] and wide["suggestions"] == []
    assert wide["summary"] == "Every zone is within 60 min of an available team"


def _valid_single_moves(
    times: np.ndarray, zone_times: np.ndarray, limit: float
) -> dict[tuple[int, int], int]:
    """Brute force: every (team, destination) that uncovers nothing, with the zones it covers."""
    covered = times.min(axis=1) <= limit
    found = {}
    for t, k in itertools.product(range(times.shape[1]), range(zone_times.shape[1])):
        trial = times.copy()
        trial[:, t] = zone_times[:, k]
        now = trial.min(axis=1) <= limit
        if (covered & ~now).any():
            continue
        gained = int((now & ~covered).sum())
        if gained:
            found[(t, k)] = gained
    return found


@pytest.mark.parametrize("seed", range(40))
def test_greedy_moves_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_zones, n_teams = int(rng.integers(3, 8)), int(rng.integers(1, 4))
    points = rng.uniform(0, 10, size=(n_zones, 2))
    teams = rng.uniform(0, 10, size=(n_teams, 2))
    zone_times = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    times = np.linalg.norm(points[:, None, :] - teams[None, :, :], axis=2)
    limit = 3.0
    moves = suggest_moves(times, zone_times, limit)
    options = _valid_single_moves(times, zone_times, limit)
    if not options or (times.min(axis=1) <= limit).all():
        assert moves == []
        return
    # The first move covers as many zones as the best single move found by brute force.
    assert moves and options.get(moves[0]) == max(options.values())
    current = times.copy()
    teams_moved = [t for t, _ in moves]
    assert len(set(teams_moved)) == len(teams_moved)
    for t, k in moves:
        before = current.min(axis=1) <= limit
        current[:, t] = zone_times[:, k]
        after = current.min(axis=1) <= limit
        assert not (before & ~after).any() and (after & ~before).any()


def test_coverage_from_the_cli(db_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--db", db_url, *args])
        assert result.exit_code == 0, (args, result.output)
        return result.output

    run("init", "--aleppo")
    for name, place in (("Hanano-1", HANANO), ("Hanano-2", offset(*HANANO, east_m=250))):
        run(
            *("teams", "add", "--name", name, "--base-name", "Hanano centre"),
            *("--base-lat", str(place[0]), "--base-lon", str(place[1]), "--sector", "A"),
            *("--crew", "6", "--capability", "light_rescue"),
        )
    out = run("coverage")
    assert "zones are over 8 min" in out and "OVER " in out
    assert re.search(r"^Move Hanano-[12] to .+: covers \d+ zones", out, re.M)
    assert "Suggestions only" in out
    assert '"suggestions"' in run("coverage", "--json")


def test_hundred_bunched_teams_spread_to_cover_more_zones(aleppo: Service) -> None:
    rng = np.random.default_rng(7)
    zones = list(_centroids(aleppo).values())

    def register(tx: Any) -> None:
        for i in range(100):
            # Teams bunched around a few zones, so that many zones are uncovered.
            _, lat, lon = zones[int(rng.integers(0, 6))]
            register_team(
                tx,
                "test",
                name=f"Team-{i}",
                base_name="base",
                base_lat=lat + float(rng.normal(0, 0.002)),
                base_lon=lon + float(rng.normal(0, 0.002)),
                sector="A",
                crew=6,
                min_crew=4,
                capabilities=["light_rescue"],
                vehicle="",
            )

    aleppo.execute(register)
    aleppo.settings.coverage_threshold_min = 4
    with aleppo.engine.connect() as conn:
        result = coverage(conn, aleppo.clock.now(), aleppo.settings)
    assert result["teams_available"] == 100 and result["suggestions"]
    assert len(result["over_after_suggestions"]) < len(result["over_threshold"])
    moved = [s["team_id"] for s in result["suggestions"]]
    assert len(moved) == len(set(moved))  # each team is asked to move once at most


def _square(pcode: str, name: str, lat: float, lon: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"PCODE": pcode, "NAME_EN": name, "NAME_AR": name},
    }


def test_coverage_on_the_helsinki_roads(
    service: Service, clock: ManualClock, tokens: dict[str, str]
) -> None:
    service.execute(lambda tx: import_roads(tx, "test", HELSINKI))
    # Six zones tiling the extract's centre, 2 × 3, each about 300 m across.
    features = [
        _square(
            f"H{row}{col}", f"Block {row}{col}", 60.1665 + row * 0.003, 24.938 + col * 0.005, 0.0014
        )
        for row in range(2)
        for col in range(3)
    ]
    service.execute(
        lambda tx: import_neighbourhoods(
            tx, "test", {"type": "FeatureCollection", "features": features}
        )
    )
    for name, (lat, lon) in (("West-1", (60.1665, 24.938)), ("West-2", (60.1668, 24.9385))):
        service.execute(
            lambda tx, n=name, a=lat, o=lon: register_team(
                tx,
                "test",
                name=n,
                base_name="west",
                base_lat=a,
                base_lon=o,
                sector="A",
                crew=6,
                min_crew=4,
                capabilities=["light_rescue"],
                vehicle="",
            )
        )
    service.settings.coverage_threshold_min = 1.5
    with service.engine.connect() as conn:
        result = coverage(conn, clock.now(), service.settings)
    assert result["via"] == "by road"
    assert result["over_threshold"], result["zones"]
    assert result["suggestions"], result["summary"]
    assert set(result["over_after_suggestions"]) < set(result["over_threshold"])
    assert "still covered by West-" in result["suggestions"][0]["reason"]
