"""The cost of warnings on small hand-built days whose answers are known: zones per alert,
zone-minutes, team-minutes lost to pull-backs and the exposure of crews to follow-up strikes,
with the crews alone and driven through the real engine."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hanano.city.model import City
from hanano.geo.gazetteer import aleppo_geojson
from hanano.sim.cli import _aleppo_city
from hanano.sim.cost import alert_sizes, crew_costs, zone_load
from hanano.sim.crews import Crews, CrewTeam, Site, exposure, follow_ups, run_alone, sites
from hanano.sim.evaluate import replay
from hanano.sim.sorties import generate

T0 = datetime(2014, 2, 13, 10, 0, tzinfo=UTC)
SITE = (36.2160, 37.1700)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def team(crew: int = 6) -> CrewTeam:
    # Based on the site itself, so that the crew is there as soon as it rolls.
    return CrewTeam("T-1", "Hanano", SITE[0], SITE[1], crew)


def site() -> Site:
    return Site("S1.1", SITE[0], SITE[1], "N1", minutes(1), timedelta(minutes=30))


def test_zones_per_warning_alert_and_zone_minutes() -> None:
    alerts = [
        {"level": "warning", "zones": [{"pcode": p} for p in "ABC"]},
        {"level": "warning", "zones": [{"pcode": "A"}]},
        {"level": "imminent", "zones": [{"pcode": p} for p in "ABCDEFGH"]},
        {"level": "warning", "zones": [{"pcode": p} for p in "ABCDEFGHIJ"]},
        {"level": "watch", "zones": [{"pcode": p} for p in "ABCDEFGHIJKL"]},
    ]
    sizes = alert_sizes(alerts)
    assert sizes["warning_alerts"] == 3
    assert sizes["zones_per_alert_median"] == 3
    assert sizes["zones_per_alert_p90"] == 3 + 0.8 * 7
    load = zone_load([(minutes(0), minutes(10)), (minutes(5), None)], strikes=2, end=minutes(25))
    assert load == {"episodes_per_strike": 1.0, "zone_minutes_per_strike": 15.0}
    assert zone_load([], strikes=0, end=None) == {
        "episodes_per_strike": 0.0,
        "zone_minutes_per_strike": 0.0,
    }


def test_without_a_system_the_follow_up_finds_the_crew_on_site() -> None:
    # Reported 10:01, rolling 10:02 after a minute's turnout, on site at once; the follow-up
    # strikes at 10:10: 6 rescuers on site for 8 minutes.
    crews = run_alone([team()], [site()], minutes(120))
    assert [(p.start, p.end) for p in crews.presence] == [(minutes(2), minutes(32))]
    assert exposure(crews.presence, [("S1.1", minutes(10))]) == 6 * 8
    assert exposure(crews.presence, [("S1.1", minutes(40))]) == 0
    assert exposure(crews.presence, [("S9.1", minutes(10))]) == 0
    assert crews.lost_minutes() == 0


def test_a_pull_back_before_the_follow_up_cuts_the_exposure_and_costs_its_minutes() -> None:
    crews = Crews([team()])
    crews.report(site(), minutes(1))
    crews.step(minutes(5))
    assert crews.hold("T-1", minutes(5))
    assert crews.due() is None
    crews.resume("T-1", minutes(20))
    # 27 of its 30 minutes' work were left: it leaves at 10:47, the rescue 15 minutes late.
    crews.step(minutes(120))
    crews.finish(minutes(120))
    assert [(p.start, p.end) for p in crews.presence] == [
        (minutes(2), minutes(5)),
        (minutes(20), minutes(47)),
    ]
    hits = [("S1.1", minutes(10))]
    alone = run_alone([team()], [site()], minutes(120))
    costs = crew_costs(crews, alone, hits)
    assert costs["exposure_rescuer_min"] == 0
    assert costs["exposure_without_system_rescuer_min"] == 48
    assert costs["exposure_cut_pct"] == 100
    assert costs["pulled_back_team_min"] == 15
    assert costs["pull_backs_held"] == 1


def test_a_crew_back_on_site_before_the_follow_up_is_exposed_since_its_return() -> None:
    crews = Crews([team(crew=8)])
    crews.report(site(), minutes(1))
    crews.step(minutes(5))
    crews.hold("T-1", minutes(5))
    crews.resume("T-1", minutes(7))
    crews.step(minutes(12))
    alone = run_alone([team(crew=8)], [site()], minutes(120))
    costs = crew_costs(crews, alone, [("S1.1", minutes(10))])
    assert costs["exposure_rescuer_min"] == 8 * 3
    assert costs["exposure_cut_pct"] == 100 * (1 - 24 / 64)
    assert costs["pulled_back_team_min"] == 2


def test_a_team_on_its_way_waits_and_a_returning_team_is_not_held() -> None:
    far = CrewTeam("T-2", "Far", SITE[0] + 0.03, SITE[1], 6)  # about 3.3 km north
    crews = Crews([far])
    crews.report(site(), minutes(1))
    crews.step(minutes(3))
    assert crews.jobs["T-2"].state == "en_route"
    arrive = crews.due()
    assert arrive is not None
    crews.hold("T-2", minutes(3))
    crews.resume("T-2", minutes(13))
    assert crews.due() == arrive + timedelta(minutes=10)
    crews.step(minutes(200))
    assert not crews.jobs
    assert not crews.hold("T-2", minutes(201))


def test_sites_wait_for_a_free_team_and_the_nearest_goes() -> None:
    near, far = team(), CrewTeam("T-2", "Far", SITE[0] + 0.03, SITE[1], 6)
    crews = Crews([far, near])
    moves = crews.report(site(), minutes(1))
    assert [(state, job.team.key) for state, job in moves] == [("assigned", "T-1")]
    second = Site("S2.1", SITE[0], SITE[1], "N1", minutes(2), timedelta(minutes=30))
    third = Site("S3.1", SITE[0], SITE[1], "N1", minutes(3), timedelta(minutes=30))
    assert [job.team.key for _, job in crews.report(second, minutes(2))] == ["T-2"]
    assert crews.report(third, minutes(3)) == []
    moves = crews.step(minutes(40))
    assert ("available", "T-1") in [(state, job.team.key) for state, job in moves]
    assert crews.jobs["T-1"].site.key == "S3.1"


def city() -> City:
    index: City = _aleppo_city(City, aleppo_geojson())
    return index


def test_follow_ups_strike_the_same_site_later_and_leave_the_first_sorties_alone() -> None:
    none = generate(city().locate, sorties=6, seed=7, span_hours=2, follow_up_share=0.0)
    every = generate(city().locate, sorties=6, seed=7, span_hours=2, follow_up_share=1.0)
    assert generate(city().locate, sorties=6, seed=7, span_hours=2, follow_up_share=1.0) == every
    firsts = [s for s in every["strikes"] if s["sortie_id"].startswith("S")]
    assert firsts == none["strikes"]
    assert [s for s in every["sightings"] if s in none["sightings"]] == none["sightings"]
    by_id = {s["strike_id"]: s for s in every["strikes"]}
    hits = follow_ups(every)
    assert len(hits) == 6
    for strike in every["strikes"]:
        if strike.get("follow_up_of"):
            first = by_id[strike["follow_up_of"]]
            assert (strike["lat"], strike["lon"]) == (first["lat"], first["lon"])
            gap = datetime.fromisoformat(strike["at"]) - datetime.fromisoformat(first["at"])
            assert timedelta(minutes=5) <= gap <= timedelta(minutes=40)
    # Teams go to every strike but the follow-ups: those hit a site already worked.
    worked = {s.key for s in sites(every, timedelta(minutes=1))}
    assert worked == {s["strike_id"] for s in every["strikes"] if not s.get("follow_up_of")}
    assert {s["strike_id"] for s in firsts} <= worked


def hand_built(circling: bool) -> dict[str, Any]:
    """One strike, its follow-up 15 min later, one team based at the site; a helicopter seen
    circling over the site's zone at 10:10 when `circling`."""
    pcode = city().locate(*SITE)
    strike = {"strike_id": "S1.1", "at": T0.isoformat(), "lat": SITE[0], "lon": SITE[1]}
    sightings = []
    if circling:
        body = {
            "id": "6f1c3f9e-5b6d-4d8e-9a51-0c7a3d1b2e41",
            "observed_at": minutes(10).isoformat(),
            "aircraft": "helicopter",
            "activity": "circling",
            "pcode": pcode,
        }
        sightings.append({"at": (minutes(10) + timedelta(seconds=5)).isoformat(), "body": body})
    return {
        "assumptions": {"seed": 1},
        "posts": [],
        "sorties": [],
        "sightings": sightings,
        "strikes": [
            {**strike, "pcode": pcode},
            {
                **strike,
                "strike_id": "F1.1",
                "at": minutes(15).isoformat(),
                "pcode": pcode,
                "follow_up_of": "S1.1",
            },
        ],
        "teams": [{"name": "Hanano", "lat": SITE[0], "lon": SITE[1], "crew": 6}],
    }


def test_the_engine_pulls_the_team_back_before_the_follow_up(db_url: str) -> None:
    result = replay(hand_built(circling=True), db_url=db_url, tick_s=30)
    s = result.summary
    assert s["refused_inputs"] == 0 and s["refused_crew_steps"] == 0
    assert s["follow_ups"] == 1 and s["teams"] == 1
    # On site from 10:02 until the follow-up at 10:15 without a system.
    assert s["exposure_without_system_rescuer_min"] == 6 * 13
    assert s["pull_backs_held"] >= 1
    assert s["exposure_rescuer_min"] == 0
    assert s["exposure_cut_pct"] == 100
    assert s["pulled_back_team_min"] >= 5
    assert result.last_line.endswith("exposure_cut=100%")
    # The replay's own calibration: the circled zone, struck 5 min later, is a positive sample.
    calibration = result.calibration
    assert calibration is not None and calibration.samples > 0 and calibration.positives >= 1
    assert "brier=" in calibration.line() and calibration.table().count("\n") == 10


def test_the_team_returns_when_the_engine_ends_its_order(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The circling helicopter gives the site 6.9 %, then 3 % as its fix ages: with the watched
    threshold at 5 % and the end's at 2 %, the team is ordered back at 10:10, before the
    follow-up; the engine ends the order 3 min after the track is lost (10:20) and the team
    goes back to work: held about 13 min, not all day."""
    monkeypatch.setenv("HANANO_PULLBACK_WATCHED_PROBABILITY", "0.05")
    monkeypatch.setenv("HANANO_PULLBACK_END_PROBABILITY", "0.02")
    result = replay(hand_built(circling=True), db_url=db_url, tick_s=30)
    s = result.summary
    assert s["pull_backs_held"] == 1 and s["exposure_rescuer_min"] == 0
    assert 12 <= s["pulled_back_team_min"] <= 15


def test_with_no_threat_the_team_stays_and_is_exposed(db_url: str) -> None:
    s = replay(hand_built(circling=False), db_url=db_url, tick_s=30).summary
    assert s["pull_backs_held"] == 0 and s["pulled_back_team_min"] == 0
    assert s["exposure_rescuer_min"] == s["exposure_without_system_rescuer_min"] == 6 * 13
    assert s["exposure_cut_pct"] == 0
