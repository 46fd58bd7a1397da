"""Recommendations with reasons, run cards, crew, fatigue and coverage; the assignment optimiser
against brute force; accepting and overriding."""

import itertools
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.dispatch.candidates import Candidate
from hanano.dispatch.common import CAPABILITY_WORDS
from hanano.dispatch.recommend import (
    UNSERVED_S,
    nearest_first,
    optimal_assignment,
    rank,
    total_cost,
)
from hanano.dispatch.travel import Leg
from tests.dispatch.support import assign, make_incident, make_team, move
from tests.helpers import HANANO, SAKHOUR, auth, offset, post, report_body


# The reason's parts worded back into English, part by part, the way the operations room words
# them: equal to the server's sentence, every note has its part with the same numbers.
def _caps(names: list[str], joiner: str) -> str:
    return joiner.join(CAPABILITY_WORDS[c] for c in names)


def _part(p: dict[str, Any]) -> str:
    code = p["code"]
    if code == "travel":
        via = str(
            {"road": "by road", "straight_line": "by straight line"}.get(p["via"], p.get("words"))
        )
        if p.get("no_open_road"):
            within = p.get("within_min")
            via += f" (no open road within {within} min)" if within else " (no open road)"
        return f"{'more than ' if p['at_least'] else ''}{p['minutes']} min {via}"
    if code == "origin":
        if p["place"] == "position":
            return ""
        age = p.get("position_age_min")
        return " from its base" + (f" (position {age} min old)" if age is not None else "")
    words: dict[str, Callable[[], str]] = {
        "crew_short": lambda: (
            f"not for heavy rescue: {p['crew']} of its minimum {p['min_crew']} crew"
        ),
        "matches": lambda: _caps(p["capabilities"], " + "),
        "offers": lambda: _caps(p["capabilities"], ", ") or "no capability",
        "lacks": lambda: f"lacks {_caps(p['capabilities'], ' or ')}",
        "tired": lambda: f"tired: on duty {p['duty_hours']} h",
        "rested": lambda: f"rested {p['value']} {p['unit']}",
        "no_task_yet": lambda: f"on duty {p['value']} {p['unit']}, no task yet",
        "last_in_sector": lambda: (
            f"last free team in sector {p['sector']}; {p['rival']} is almost as close"
        ),
    }
    return words[code]()


def _worded(name: str, parts: list[dict[str, Any]]) -> str:
    assert [p["code"] for p in parts[:2]] == ["travel", "origin"]
    travel = _part(parts[0]) + _part(parts[1])
    return f"{name}: " + ", ".join([travel, *(_part(p) for p in parts[2:])])


def _summary_worded(result: dict[str, Any]) -> str:
    head, *rest = result["summary_parts"]
    incident = head.get("incident_id")
    if head["code"] == "send":
        return f"Send {_worded(head['team'], rest)}"
    if head["code"] == "enough_teams":
        best, *parts = rest
        return (
            f"{incident} already has the {head['teams']} team(s) its run card asks for; "
            f"best extra: {_worded(best['team'], parts)}"
        )
    if head["code"] == "not_needed":
        return f"{incident} is {head['status']}; no team is needed"
    if head["code"] == "no_place":
        return f"{incident} has no known place, so no travel time can be given"
    assert head["code"] == "no_team_available"
    why = [
        f"{e['team']}: busy on task {e['task_id']}"
        if e["code"] == "busy"
        else f"{e['team']}: {e['duty'].replace('_', ' ')}"
        if e["code"] == "duty"
        else "no teams are registered"
        for e in rest
    ]
    return f"No team available for {incident}: {'; '.join(why)}"


SEEN: set[str] = set()


def _recs(client: TestClient, token: str, incident: str) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/incidents/{incident}/recommendations", headers=auth(token))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    for rec in result["recommendations"]:
        assert _worded(rec["name"], rec["reason_parts"]) == rec["reason"]
        SEEN.update(p["code"] for p in rec["reason_parts"])
    assert _summary_worded(result) == result["summary"]
    SEEN.update(p["code"] for p in result["summary_parts"])
    return result


def test_ranked_by_travel_with_reasons_in_words(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    near = make_team(client, d, "Hanano-2", at=offset(*HANANO, north_m=800))
    make_team(client, d, "Far-1", at=offset(*HANANO, north_m=3000), sector="B")
    make_team(
        client, d, "Fire-1", at=offset(*HANANO, north_m=400), capabilities=["fire"], sector="C"
    )
    incident = make_incident(client, d, clock, kind="collapse", trapped=3)
    result = _recs(client, d, incident)
    assert result["needs"]["capabilities"] == ["heavy_rescue", "medical"]
    names = [r["name"] for r in result["recommendations"]]
    assert names == ["Hanano-2", "Far-1", "Fire-1"]
    top = result["recommendations"][0]
    assert top["team_id"] == near["id"]
    assert top["reason"].startswith("Hanano-2: 2 min by straight line from its base")
    assert "heavy rescue + medical" in top["reason"]
    assert "lacks heavy rescue or medical" in result["recommendations"][2]["reason"]
    assert result["summary"].startswith("Send Hanano-2")


def test_fresh_position_is_used_and_stale_one_falls_back_to_base(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1", at=offset(*HANANO, north_m=5000))
    client.post(
        f"/api/v1/teams/{team['id']}/position",
        json={"lat": HANANO[0], "lon": HANANO[1]},
        headers=auth(d),
    )
    incident = make_incident(client, d, clock)
    top = _recs(client, d, incident)["recommendations"][0]
    assert top["travel_m"] < 10
    clock.advance(timedelta(minutes=31))
    top = _recs(client, d, incident)["recommendations"][0]
    assert top["travel_m"] > 6000
    assert "from its base (position 31 min old)" in top["reason"]


def test_under_crewed_team_is_not_for_heavy_rescue(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Short-1", at=offset(*HANANO, north_m=300), crew=2, min_crew=4)
    make_team(client, d, "Full-1", at=offset(*HANANO, north_m=1500), sector="B")
    incident = make_incident(client, d, clock, kind="collapse")
    recs = _recs(client, d, incident)["recommendations"]
    assert [r["name"] for r in recs] == ["Full-1", "Short-1"]
    assert "not for heavy rescue: 2 of its minimum 4 crew" in recs[1]["reason"]


def test_coverage_keeps_the_last_team_of_a_sector_when_another_is_almost_as_close(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Alone-B", at=offset(*HANANO, north_m=500), sector="B")
    make_team(client, d, "A-1", at=offset(*HANANO, north_m=700), sector="A")
    make_team(client, d, "A-2", at=offset(*HANANO, north_m=9000), sector="A")
    incident = make_incident(client, d, clock)
    recs = _recs(client, d, incident)["recommendations"]
    assert recs[0]["name"] == "A-1"
    assert "last free team in sector B; A-1 is almost as close" in recs[1]["reason"]


def test_fatigue_and_rest_are_stated(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    tired = make_team(client, d, "Tired-1", at=offset(*HANANO, north_m=500))
    clock.advance(timedelta(hours=14))
    rested = make_team(client, d, "Rested-1", at=offset(*HANANO, north_m=900), sector="B")
    first = make_incident(client, d, clock, at=SAKHOUR)
    task = assign(client, d, first, rested["id"], "earlier job")
    for state in ("en_route", "on_scene", "returning", "available"):
        move(client, d, task["id"], state)
    clock.advance(timedelta(hours=3))
    incident = make_incident(client, d, clock)
    recs = _recs(client, d, incident)["recommendations"]
    by_name = {r["name"]: r for r in recs}
    assert "tired: on duty 17 h" in by_name["Tired-1"]["reason"]
    assert "rested 3 h" in by_name["Rested-1"]["reason"]
    assert recs[0]["team_id"] == rested["id"]
    assert tired["id"] != rested["id"]


def test_no_team_fits_says_why(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    busy = make_team(client, d, "Busy-1")
    off = make_team(client, d, "Off-1", on_duty=False)
    first = make_incident(client, d, clock, at=SAKHOUR)
    assign(client, d, first, busy["id"])
    incident = make_incident(client, d, clock)
    result = _recs(client, d, incident)
    assert result["recommendations"] == []
    assert result["summary"] == (
        f"No team available for {incident}: Busy-1: busy on task K-1; Off-1: off duty"
    )
    assert off["duty"] == "off_duty"


def test_accept_and_override_are_events(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    best = make_team(client, d, "Best", at=offset(*HANANO, north_m=300))
    other = make_team(client, d, "Other", at=offset(*HANANO, north_m=2000), sector="B")
    incident = make_incident(client, d, clock, kind="collapse", trapped=5)
    refused = client.post(
        f"/api/v1/incidents/{incident}/assign", json={"team_id": other["id"]}, headers=auth(d)
    )
    assert refused.status_code == 422 and "needs a reason" in refused.json()["detail"]
    first = client.post(
        f"/api/v1/incidents/{incident}/assign", json={"team_id": best["id"]}, headers=auth(d)
    )
    assert first.json()["decision"] == "accepted"
    second = client.post(
        f"/api/v1/incidents/{incident}/assign",
        json={"team_id": other["id"], "reason": "knows the building"},
        headers=auth(d),
    )
    assert second.status_code == 201 and second.json()["decision"] == "accepted"
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    types = [json.loads(e["entry"])["type"] for e in events]
    assert types.count("dispatch.recommendation_accepted") == 2
    third_team = make_team(client, d, "Third", at=offset(*HANANO, north_m=200), sector="C")
    make_team(client, d, "Fourth", at=offset(*HANANO, north_m=9000), sector="C")
    overridden = client.post(
        f"/api/v1/incidents/{incident}/assign",
        json={"team_id": "T-4", "reason": "Third is needed elsewhere"},
        headers=auth(d),
    )
    assert overridden.json()["decision"] == "overridden"
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    entries = [json.loads(e["entry"]) for e in events]
    override = next(e for e in entries if e["type"] == "dispatch.recommendation_overridden")
    assert override["data"]["recommended_team_id"] == third_team["id"]
    assert override["data"]["reason"] == "Third is needed elsewhere"


def _brute(cost: np.ndarray, weights: np.ndarray) -> float:
    n_teams, n_inc = cost.shape
    best = float("inf")
    rows: list[int | None] = [*range(n_teams), *([None] * n_inc)]
    for perm in itertools.permutations(rows, n_inc):
        if len({p for p in perm if p is not None}) != sum(p is not None for p in perm):
            continue
        best = min(best, total_cost(cost, weights, list(perm)))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_optimiser_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_teams = int(rng.integers(1, 5))
    n_inc = int(rng.integers(1, 5))
    cost = rng.uniform(60, 1800, size=(n_teams, n_inc))
    weights = rng.integers(1, 6, size=n_inc).astype(float)
    chosen = optimal_assignment(cost, weights)
    assert total_cost(cost, weights, chosen) == pytest.approx(_brute(cost, weights))
    greedy = nearest_first(cost, list(np.argsort(-weights, kind="stable")))
    assert total_cost(cost, weights, chosen) <= total_cost(cost, weights, greedy) + 1e-6
    served = [c for c in chosen if c is not None]
    assert len(served) == min(n_teams, n_inc) and len(set(served)) == len(served)
    assert cost.max() < UNSERVED_S


def test_plan_differs_from_nearest_first_over_http(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    # Team X sits between both incidents but slightly nearer the severe one; team Y is near
    # only the severe one. Nearest-first sends X to the severe one and Y far to the other.
    severe_at = HANANO
    minor_at = offset(*HANANO, north_m=2000)
    make_team(client, d, "X", at=offset(*HANANO, north_m=900), sector="A")
    make_team(client, d, "Y", at=offset(*HANANO, north_m=-1000), sector="B")
    severe = make_incident(client, d, clock, at=severe_at, kind="collapse", trapped=4)
    minor = make_incident(client, d, clock, at=minor_at, kind="fire")
    plan = client.post("/api/v1/recommendations/plan", json={}, headers=auth(d)).json()
    optimal = {p["incident_id"]: p["team"] for p in plan["optimal"]}
    greedy = {p["incident_id"]: p["team"] for p in plan["nearest_first"]}
    assert greedy == {severe: "X", minor: "Y"}
    assert optimal == {severe: "Y", minor: "X"}
    assert plan["weighted_travel_s"]["optimal"] < plan["weighted_travel_s"]["nearest_first"]
    assert plan["differs_at"] == [severe, minor]
    assert "saves" in plan["summary"]


def test_every_note_of_a_reason_has_its_part_with_the_same_numbers(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """The parts of each reason, worded back, are the reason (checked in `_recs` for every
    response); here every kind of note and summary is produced at least once."""
    d = tokens["dispatcher"]
    SEEN.clear()
    gone = make_incident(client, d, clock, at=SAKHOUR)
    client.post(
        f"/api/v1/incidents/{gone}/status",
        json={"status": "closed", "reason": "false alarm"},
        headers=auth(d),
    )
    _recs(client, d, gone)  # not needed
    nowhere = post(client, d, report_body(clock.now(), text="a blast somewhere east"))
    assert nowhere.status_code == 201, nowhere.text
    _recs(client, d, nowhere.json()["incident"]["id"])  # no place
    _recs(client, d, make_incident(client, d, clock))  # no team registered
    short = make_team(client, d, "Short-1", at=offset(*HANANO, north_m=300), crew=2)
    fire = make_team(
        client, d, "Fire-1", at=offset(*HANANO, north_m=600), sector="C", capabilities=["fire"]
    )
    bare = make_team(
        client,
        d,
        "Bare-1",
        at=offset(*HANANO, north_m=-700),
        sector="D",
        crew=2,
        capabilities=["heavy_rescue"],
    )
    client.post(
        f"/api/v1/teams/{bare['id']}/position",
        json={"lat": HANANO[0], "lon": HANANO[1] + 0.01},
        headers=auth(d),
    )
    collapse = make_incident(client, d, clock, kind="collapse", trapped=2)
    recs = _recs(client, d, collapse)["recommendations"]
    by_name = {r["name"]: r["reason_parts"] for r in recs}
    crew = next(p for p in by_name["Short-1"] if p["code"] == "crew_short")
    assert (crew["crew"], crew["min_crew"]) == (2, 4)
    assert by_name["Bare-1"][1] == {"code": "origin", "place": "position"}
    # Its run card met by one team, the others are offered as extras, with all they can do.
    casualties = make_incident(client, d, clock, at=offset(*HANANO, north_m=100), kind="casualties")
    assign(client, d, casualties, short["id"])
    assign(client, d, casualties, fire["id"])
    result = _recs(client, d, casualties)
    assert result["needs"]["assigned"] >= result["needs"]["teams"]
    recs = result["recommendations"]
    bare_parts = next(r["reason_parts"] for r in recs if r["team_id"] == bare["id"])
    assert {"code": "offers", "capabilities": []} in bare_parts
    clock.advance(timedelta(hours=13))
    make_team(client, d, "Rested-1", at=offset(*HANANO, north_m=900), sector="B")
    _recs(client, d, make_incident(client, d, clock, at=offset(*HANANO, east_m=300)))
    for code in (
        "travel", "origin", "crew_short", "matches", "offers", "lacks", "tired",
        "no_task_yet", "send", "enough_teams", "best_extra", "not_needed", "no_place",
        "no_team_available", "no_teams_registered",
    ):  # fmt: skip
        assert code in SEEN, code


class FakeRouter:
    """The same leg for every team: stands in for the road graph's search."""

    def __init__(self, leg: Leg) -> None:
        self.leg = leg

    def legs_to(self, *_: Any, **__: Any) -> list[Leg]:
        return [self.leg]


def test_travel_parts_say_how_the_time_was_measured() -> None:
    """Lower bounds and the straight line when no road is open carry their numbers too."""
    words = {
        Leg(1000.0, 5000.0, "by road", at_least=True): "more than 16 min by road",
        Leg(1900.0, 9000.0, "by straight line (no open road)"): "32 min by straight line "
        "(no open road)",
        Leg(1900.0, 9000.0, "by straight line (no open road within 30 min)"): "32 min by "
        "straight line (no open road within 30 min)",
        Leg(20.0, 100.0, "by straight line"): "1 min by straight line",
    }
    for leg, travel in words.items():
        cand = Candidate("T-1", "Hanano-2", "A", {"medical"}, HANANO, " from its base", 2.0, 200)
        cand.origin_part = {"code": "origin", "place": "base"}

        (ranked,) = rank([cand], SAKHOUR, ["medical"], FakeRouter(leg))
        assert ranked.reason() == f"Hanano-2: {travel} from its base, medical, rested 3 h"
        assert _worded("Hanano-2", ranked.reason_parts()) == ranked.reason()
