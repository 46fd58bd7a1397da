"""Evaluation: replay a scenario's sightings and strikes on a virtual clock through the real
engine, then measure, per strike, whether it was warned and how far ahead, and per zone the
false alarms.

A strike is warned when its zone stood at warning or imminent (an alert episode: from the first
such alert to the zone's all-clear) at the moment of impact; its lead time runs from the start
of that episode to the impact. An episode during which no strike fell in the zone is a false
alarm. Watch alerts are counted apart: they say an aircraft is airborne, not where it goes.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hanano.access.tokens import Principal
from hanano.city.commands import import_neighbourhoods
from hanano.clock import ManualClock, parse_iso
from hanano.domain import finish
from hanano.errors import Problem
from hanano.geo.gazetteer import aleppo_geojson
from hanano.intake.api import submit_report
from hanano.intake.model import ReportIn
from hanano.service import Service
from hanano.settings import Settings
from hanano.sim.calibration import Calibration, of_replay
from hanano.sim.cost import alert_sizes, crew_costs, percentile, zone_load
from hanano.sim.crew_engine import EngineCrews
from hanano.sim.crews import Site, demo_teams, follow_ups, run_alone, sites
from hanano.sim.lead_cues import lead_by_cue
from hanano.store.records import read_events
from hanano.store.sequencer import Tx
from hanano.warning.api import report_sighting
from hanano.warning.events import AlertIssued
from hanano.warning.posts import register_aleppo_bases, register_post
from hanano.warning.sightings import SightingIn

ACTOR = "hanano:evaluate"
# The evaluation reports strikes as the dispatch room would.
EVALUATOR = Principal(ACTOR, "dispatcher")
ACTIONABLE = ("warning", "imminent")
# A strike is reported by the crews who hear it, a minute later.
REPORT_DELAY = timedelta(minutes=1)


@dataclass
class Episode:
    pcode: str
    start: datetime
    end: datetime | None
    alert_id: str
    strikes: list[str] = field(default_factory=list)


@dataclass
class Result:
    strikes: list[dict[str, Any]]
    zones: dict[str, dict[str, int]]
    summary: dict[str, Any]
    calibration: Calibration | None = None

    @property
    def last_line(self) -> str:
        s = self.summary
        return (
            f"warned={s['warned_pct']:.0f}% median_lead_s={s['median_lead_s']:.0f} "
            f"p10_lead_s={s['p10_lead_s']:.0f} ge5min={s['ge5min_pct']:.0f}% "
            f"false_alarm={s['false_alarm_pct']:.0f}% "
            f"zones_per_alert={s['zones_per_alert_median']:.0f} "
            f"episodes_per_strike={s['episodes_per_strike']:.0f} "
            f"pulled_back_team_min={s.get('pulled_back_team_min', 0.0):.0f} "
            f"exposure_cut={s.get('exposure_cut_pct', 0.0):.0f}%"
        )


def episodes(alerts: list[dict[str, Any]], levels: tuple[str, ...]) -> list[Episode]:
    """Per zone, the spans from its first alert at one of `levels` to the alert that brings it
    below them (an all-clear, or a step down to watch)."""
    open_: dict[str, Episode] = {}
    done: list[Episode] = []
    for alert in alerts:
        at = parse_iso(alert["sent"])
        for zone in alert["zones"]:
            pcode = zone["pcode"]
            if alert["level"] == "all_clear" or alert["level"] not in levels:
                if pcode in open_:
                    episode = open_.pop(pcode)
                    episode.end = at
                    done.append(episode)
            elif alert["level"] in levels and pcode not in open_:
                open_[pcode] = Episode(pcode, at, None, alert["alert_id"])
    return done + list(open_.values())


def _strike_rows(
    strikes: list[dict[str, Any]], actionable: list[Episode], any_level: list[Episode]
) -> list[dict[str, Any]]:
    """Each strike with the alert that warned of it and how long before; each warning episode
    takes the strikes it covered."""
    rows = []
    for strike in strikes:
        at = parse_iso(strike["at"])
        pcode = strike.get("pcode")

        def covering(eps: list[Episode], when: datetime = at, where: Any = pcode) -> Episode | None:
            found = [
                e
                for e in eps
                if e.pcode == where and e.start <= when and (e.end is None or when <= e.end)
            ]
            return min(found, key=lambda e: e.start) if found else None

        hit = covering(actionable)
        watched = covering(any_level)
        if hit is not None:
            hit.strikes.append(strike["strike_id"])
        rows.append(
            {
                "strike_id": strike["strike_id"],
                "at": strike["at"],
                "pcode": pcode,
                "warned": hit is not None,
                "lead_s": (at - hit.start).total_seconds() if hit else None,
                "alert_id": hit.alert_id if hit else None,
                "watch_lead_s": (at - watched.start).total_seconds() if watched else None,
            }
        )
    return rows


def _zone_counts(actionable: list[Episode]) -> dict[str, dict[str, int]]:
    zones: dict[str, dict[str, int]] = {}
    for e in actionable:
        z = zones.setdefault(e.pcode, {"episodes": 0, "false_alarms": 0, "strikes": 0})
        z["episodes"] += 1
        z["strikes"] += len(e.strikes)
        if not e.strikes:
            z["false_alarms"] += 1
    return zones


def measure(
    alerts: list[dict[str, Any]], strikes: list[dict[str, Any]], end: datetime | None = None
) -> Result:
    """Per strike its warning, per zone its episodes, and the summary; episodes still open
    count up to `end` (the end of the replay)."""
    actionable = episodes(alerts, ACTIONABLE)
    any_level = episodes(alerts, (*ACTIONABLE, "watch"))
    rows = _strike_rows(strikes, actionable, any_level)
    zones = _zone_counts(actionable)
    leads = [r["lead_s"] for r in rows if r["lead_s"] is not None]
    # A strike outside every zone cannot be warned by a zone's alert: counted apart.
    placed = [r for r in rows if r["pcode"]]
    total_eps = sum(z["episodes"] for z in zones.values())
    false_eps = sum(z["false_alarms"] for z in zones.values())
    summary = {
        "strikes": len(rows),
        "strikes_outside_zones": len(rows) - len(placed),
        "warned": len(leads),
        "warned_pct": 100.0 * len(leads) / len(placed) if placed else 0.0,
        "median_lead_s": statistics.median(leads) if leads else 0.0,
        "mean_lead_s": statistics.fmean(leads) if leads else 0.0,
        "p10_lead_s": percentile(leads, 0.10),
        "ge5min_pct": 100.0 * sum(1 for v in leads if v >= 300) / len(leads) if leads else 0.0,
        "watched_pct": 100.0 * sum(1 for r in placed if r["watch_lead_s"] is not None) / len(placed)
        if placed
        else 0.0,
        **_alert_false_alarms(alerts, strikes),
        "episodes": total_eps,
        "false_alarms": false_eps,
        "false_alarm_pct": 100.0 * false_eps / total_eps if total_eps else 0.0,
        **alert_sizes(alerts),
        **zone_load(((e.start, e.end) for e in actionable), len(placed), end),
    }
    return Result(rows, zones, summary)


def _alert_false_alarms(
    alerts: list[dict[str, Any]], strikes: list[dict[str, Any]], window_min: float = 30.0
) -> dict[str, float]:
    """Alerts at warning or imminent none of whose zones was struck within `window_min` after:
    a coarser measure than per zone, since one alert names every zone in a corridor."""
    struck = [(parse_iso(s["at"]), s.get("pcode")) for s in strikes]
    actionable = [a for a in alerts if a["level"] in ACTIONABLE]
    false = 0
    for a in actionable:
        sent = parse_iso(a["sent"])
        pcodes = {z["pcode"] for z in a["zones"]}
        end = sent + timedelta(minutes=window_min)
        if not any(p in pcodes and sent <= at <= end for at, p in struck):
            false += 1
    return {
        "actionable_alerts": len(actionable),
        "false_alarm_alerts_pct": 100.0 * false / len(actionable) if actionable else 0.0,
    }


def replay(
    scenario: dict[str, Any],
    db_url: str | None = None,
    tick_s: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Run the scenario through a fresh store on a virtual clock and measure it."""
    tmp = tempfile.TemporaryDirectory()
    url = db_url or f"sqlite:///{tmp.name}/evaluate.db"
    timeline = _timeline(scenario)
    firsts = [parse_iso(s["took_off"]) for s in scenario["sorties"]] + [timeline[0][0]]
    clock = ManualClock(min(firsts) - timedelta(minutes=5))
    settings = Settings(database_url=url, mqtt_url=None, city="evaluate")
    service = Service(settings, clock=clock).start()
    try:
        service.execute(lambda tx: import_neighbourhoods(tx, ACTOR, aleppo_geojson()))
        service.execute(lambda tx: register_aleppo_bases(tx, ACTOR))
        for post in scenario["posts"]:
            _post(service, post)
        # The strikes logged before the day: the history that ranks the zones (see sorties.py).
        for n, strike in enumerate(scenario.get("history", []), start=1):
            _strike(service, {**strike, "strike_id": f"history-{n}"})
        crews = EngineCrews(service, EVALUATOR)
        crews.register(scenario.get("teams") or demo_teams(service.city().neighbourhoods.values()))
        day = {site.key: site for site in sites(scenario, REPORT_DELAY)}
        refused = _play(service, clock, timeline, timedelta(seconds=tick_s), progress, crews, day)
        end = clock.now()
        crews.crews.finish(end)
        with service.engine.connect() as conn:
            events = list(read_events(conn))
        alerts = [e.data for e in events if e.type == AlertIssued.type]
        pcodes = sorted(service.city().neighbourhoods)
        horizon = timedelta(minutes=settings.warning_horizon_min)
        calibration = of_replay(events, scenario["strikes"], pcodes, horizon)
    finally:
        service.stop()
        tmp.cleanup()
    result = measure(alerts, scenario["strikes"], end)
    result.summary["lead_by_cue"] = lead_by_cue(result.strikes, events)
    alone = run_alone(crews.crews.teams, list(day.values()), end)
    result.summary.update(crew_costs(crews.crews, alone, follow_ups(scenario)))
    result.summary["alerts"] = len(alerts)
    result.summary["refused_inputs"] = refused
    result.summary["refused_crew_steps"] = crews.refused
    result.calibration = calibration
    return result


Timeline = list[tuple[datetime, str, dict[str, Any]]]


def _timeline(scenario: dict[str, Any]) -> Timeline:
    """The sightings and strike reports of a scenario in the order they arrive."""
    timeline: Timeline = [
        (parse_iso(s["at"]), "sighting", s["body"]) for s in scenario["sightings"]
    ]
    # A strike is reported by the crews who hear it, a minute later: the history later sorties'
    # zones are ranked by.
    timeline += [(parse_iso(s["at"]) + REPORT_DELAY, "strike", s) for s in scenario["strikes"]]
    timeline.sort(key=lambda item: (item[0], item[1]))
    return timeline


def _play(
    service: Service,
    clock: ManualClock,
    timeline: Timeline,
    step: timedelta,
    progress: Callable[[str], None] | None,
    crews: EngineCrews,
    day: dict[str, Site],
) -> int:
    """Send the timeline, ticking the service every step and moving the crews; returns how
    many inputs it refused."""
    refused = 0
    next_tick = clock.now() + step
    for n, (at, kind, item) in enumerate(timeline):
        next_tick = _advance(service, clock, crews, next_tick, step, at)
        clock.set(max(at, clock.now()))
        try:
            if kind == "sighting":
                _sight(service, item)
            else:
                incident_id = _strike(service, item)
                site = day.get(item["strike_id"])
                if site is not None:
                    site.incident_id = incident_id
                    crews.report(site, clock.now())
        except Problem:
            refused += 1
        crews.sync(clock.now())
        if progress is not None and n % 200 == 0:
            progress(f"{n}/{len(timeline)} at {at.isoformat()}")
    _advance(service, clock, crews, next_tick, step, clock.now() + timedelta(minutes=40))
    return refused


def _advance(
    service: Service,
    clock: ManualClock,
    crews: EngineCrews,
    next_tick: datetime,
    step: timedelta,
    until: datetime,
) -> datetime:
    """Tick the service every step and move the crews, in time order, up to `until`; returns
    when the next tick falls due."""
    while True:
        due = crews.due()
        if due is not None and due <= until and due < next_tick:
            clock.set(max(due, clock.now()))
            crews.step(clock.now())
        elif next_tick <= until:
            clock.set(next_tick)
            service.tick()
            next_tick += step
        else:
            return next_tick
        crews.sync(clock.now())


def _post(service: Service, post: dict[str, Any]) -> None:
    def command(tx: Tx) -> None:
        register_post(tx, ACTOR, post["post_id"], post["post_id"], post["lat"], post["lon"])

    service.execute(command)


def _sight(service: Service, body: dict[str, Any]) -> None:
    sighting = SightingIn.model_validate_json(json.dumps(body))
    finish(report_sighting(service, EVALUATOR, sighting))


def _strike(service: Service, strike: dict[str, Any]) -> str:
    """Report a strike as a crew would; returns its incident."""
    report = ReportIn.model_validate_json(
        json.dumps(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hanano-strike:{strike['strike_id']}")),
                "kind": "strike",
                "observed_at": strike["at"],
                "lat": strike["lat"],
                "lon": strike["lon"],
                "accuracy_m": 50.0,
                "source": "team",
            }
        )
    )
    return finish(submit_report(service, EVALUATOR, report)).incident_id
