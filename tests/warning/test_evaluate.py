"""Evaluation: lead times and false alarms from alert episodes; a scenario replayed through the
real engine; the CLI's last line."""

import json
import re
from pathlib import Path

from click.testing import CliRunner

from hanano.city.model import City
from hanano.cli import main
from hanano.geo.gazetteer import aleppo_geojson
from hanano.sim.cli import _aleppo_city
from hanano.sim.evaluate import measure, replay
from hanano.sim.sorties import generate

LAST_LINE = re.compile(
    r"^warned=\d+% median_lead_s=\d+ p10_lead_s=\d+ ge5min=\d+% false_alarm=\d+% "
    r"zones_per_alert=\d+ episodes_per_strike=\d+ pulled_back_team_min=\d+ exposure_cut=\d+%$"
)


def alert(alert_id: str, level: str, sent: str, *pcodes: str) -> dict[str, object]:
    return {
        "alert_id": alert_id,
        "level": level,
        "sent": sent,
        "zones": [{"pcode": p} for p in pcodes],
    }


def test_lead_time_runs_from_the_first_alert_of_the_episode() -> None:
    alerts = [
        alert("AL-1", "watch", "2014-02-13T10:00:00Z", "A", "B", "C"),
        alert("AL-2", "warning", "2014-02-13T10:02:00Z", "A", "B"),
        alert("AL-3", "imminent", "2014-02-13T10:07:00Z", "A"),
        alert("AL-4", "all_clear", "2014-02-13T10:30:00Z", "A", "B", "C"),
        alert("AL-5", "warning", "2014-02-13T11:00:00Z", "B"),
    ]
    strikes = [
        {"strike_id": "1", "at": "2014-02-13T10:08:00+00:00", "pcode": "A"},
        {"strike_id": "2", "at": "2014-02-13T10:09:00+00:00", "pcode": "C"},
        {"strike_id": "3", "at": "2014-02-13T10:45:00+00:00", "pcode": "A"},
    ]
    result = measure(alerts, strikes)
    by_id = {r["strike_id"]: r for r in result.strikes}
    assert by_id["1"]["warned"] and by_id["1"]["lead_s"] == 360
    assert by_id["1"]["watch_lead_s"] == 480
    assert not by_id["2"]["warned"] and by_id["2"]["watch_lead_s"] == 540
    assert not by_id["3"]["warned"] and by_id["3"]["watch_lead_s"] is None
    assert result.zones == {
        "A": {"episodes": 1, "false_alarms": 0, "strikes": 1},
        "B": {"episodes": 2, "false_alarms": 2, "strikes": 0},
    }
    assert result.summary["false_alarm_pct"] == 200 / 3
    # Warning-level alerts AL-2 (2 zones) and AL-5 (1); A and B 28 min each, B's open one 0.
    assert result.summary["zones_per_alert_median"] == 1.5
    assert result.summary["zones_per_alert_p90"] == 1.9
    assert result.summary["episodes_per_strike"] == 1.0
    assert result.summary["zone_minutes_per_strike"] == 56 / 3
    assert result.last_line == (
        "warned=33% median_lead_s=360 p10_lead_s=360 ge5min=100% false_alarm=67% "
        "zones_per_alert=2 episodes_per_strike=1 pulled_back_team_min=0 exposure_cut=0%"
    )


def city() -> City:
    city_index: City = _aleppo_city(City, aleppo_geojson())
    return city_index


def test_scenario_is_reproducible_and_states_its_assumptions() -> None:
    one = generate(city().locate, sorties=3, seed=7, span_hours=1)
    two = generate(city().locate, sorties=3, seed=7, span_hours=1)
    assert one == two
    assert one["assumptions"]["bearing_error_sd_deg"] > 0
    assert "simulated" in one["assumptions"]["note"].lower()
    assert len(one["sorties"]) == 3 and len(one["strikes"]) >= 3
    assert all(s["pcode"] for s in one["strikes"])
    times = [s["at"] for s in one["sightings"]]
    assert times == sorted(times)


def test_replay_through_the_engine_warns_before_impact(db_url: str) -> None:
    scenario = generate(city().locate, sorties=3, seed=11, span_hours=1)
    result = replay(scenario, db_url=db_url, tick_s=60)
    assert result.summary["strikes"] == len(scenario["strikes"])
    assert result.summary["alerts"] > 0
    assert result.summary["refused_inputs"] == 0
    warned = [r for r in result.strikes if r["warned"]]
    assert warned and all(r["lead_s"] > 0 for r in warned)
    assert LAST_LINE.match(result.last_line)


def test_cli_writes_a_scenario_and_evaluates_it(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "scenario.json"
    made = runner.invoke(
        main, ["warn", "scenario", "--out", str(path), "--sorties", "2", "--seed", "3"]
    )
    assert made.exit_code == 0, made.output
    data = json.loads(path.read_text(encoding="utf-8"))
    data["sightings"] = data["sightings"][:40]
    path.write_text(json.dumps(data), encoding="utf-8")
    ran = runner.invoke(main, ["warn", "evaluate", str(path), "--tick", "120"])
    assert ran.exit_code == 0, ran.output
    lines = ran.output.strip().splitlines()
    assert LAST_LINE.match(lines[-1]), lines[-1]
    assert any(line.startswith("strike S") for line in lines)


def test_scenario_carries_the_strikes_logged_before_the_day() -> None:
    scenario = generate(city().locate, sorties=3, seed=7, span_hours=1)
    history = scenario["history"]
    assert len(history) > 100
    assert all(h["at"] < scenario["day"] and h["pcode"] for h in history)
    day_sites = {(s["lat"], s["lon"]) for s in scenario["strikes"]}
    assert not day_sites & {(round(h["lat"], 6), round(h["lon"], 6)) for h in history}
