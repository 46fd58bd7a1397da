"""`hanano warn scenario` and `hanano warn evaluate`: the evaluation harness of early warning,
beside the simulations it replays (they merge into the `warn` group of the warning domain)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click
from shapely.geometry import shape

from hanano.city.model import City
from hanano.geo.gazetteer import aleppo_geojson
from hanano.sim.crews import CREW_ASSUMPTIONS, demo_teams
from hanano.sim.evaluate import replay
from hanano.sim.lead_cues import cue_line
from hanano.sim.sorties import FOLLOW_UP_SHARE, generate


@click.group()
def warn() -> None:
    """Early warning: posts, air bases, sightings, alerts."""


@warn.command("scenario")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.option("--sorties", default=40, show_default=True, type=int)
@click.option("--seed", default=2014, show_default=True, type=int)
@click.option("--day", default="2014-02-13", show_default=True, help="A day of 2014 (HRW sites).")
@click.option(
    "--follow-ups",
    "follow_up_share",
    default=FOLLOW_UP_SHARE,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of struck sites hit again 5-40 min later (double-tap).",
)
def scenario(out_path: str, sorties: int, seed: int, day: str, follow_up_share: float) -> None:
    """Write a scenario of sorties, strikes (real HRW sites), follow-up strikes at some struck
    sites, simulated sightings and the rescue teams that go to the sites."""
    city = _aleppo_city(City, aleppo_geojson())
    data = generate(
        city.locate, date.fromisoformat(day), sorties, seed, follow_up_share=follow_up_share
    )
    data["teams"] = demo_teams(city.neighbourhoods.values())
    data["assumptions"]["crews"] = CREW_ASSUMPTIONS
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    follow = sum(1 for s in data["strikes"] if s.get("follow_up_of"))
    click.echo(
        f"{out_path}: {len(data['sorties'])} sorties, {len(data['strikes'])} strikes "
        f"({follow} follow-ups), {len(data['sightings'])} sightings, {len(data['teams'])} teams"
    )


def _aleppo_city(city_class: type[City], geojson: dict[str, Any]) -> City:
    """The city index straight from the shipped zones, without a store."""
    rows = []
    for feature in geojson["features"]:
        props = feature["properties"]
        centre = shape(feature["geometry"]).representative_point()
        rows.append(
            {
                "pcode": props["PCODE"],
                "name_en": props["NAME_EN"],
                "name_ar": props["NAME_AR"],
                "geometry": json.dumps(feature["geometry"]),
                "centroid_lat": centre.y,
                "centroid_lon": centre.x,
                "radius_m": 0.0,
            }
        )
    return city_class(rows, [])


@warn.command("evaluate")
@click.argument("scenario_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write results.")
@click.option("--tick", "tick_s", default=30.0, show_default=True, type=float)
def evaluate(scenario_path: str, json_out: str | None, tick_s: float) -> None:
    """Replay a scenario through the real engine on a virtual clock; report, per strike, whether
    it was warned and the lead time, per zone the false alarms, and a summary line."""
    with open(scenario_path, encoding="utf-8") as handle:
        data = json.load(handle)
    result = replay(data, tick_s=tick_s, progress=lambda m: click.echo(m, err=True))
    for row in result.strikes:
        lead = "-" if row["lead_s"] is None else f"{row['lead_s']:.0f}s"
        watch = "-" if row["watch_lead_s"] is None else f"{row['watch_lead_s']:.0f}s"
        state = "warned" if row["warned"] else "missed"
        click.echo(
            f"strike {row['strike_id']:<7} {row['at']} {row['pcode'] or '?':<6} {state:<7} "
            f"lead {lead:<6} (watch {watch}) {row['alert_id'] or ''}"
        )
    for pcode, z in sorted(result.zones.items()):
        click.echo(
            f"zone {pcode}: {z['episodes']} alert episodes, {z['false_alarms']} false alarms, "
            f"{z['strikes']} strikes warned"
        )
    s = result.summary
    if result.calibration is not None:
        click.echo("calibration of the zones' probabilities, every zone each minute:")
        click.echo(result.calibration.table())
        click.echo(f"calibration: {result.calibration.line()}")
    click.echo(cue_line(s["lead_by_cue"]))
    click.echo(_cost_line(s))
    click.echo(
        f"strikes {s['strikes']} ({s['strikes_outside_zones']} outside every zone), "
        f"warned {s['warned']}, mean lead {s['mean_lead_s']:.0f}s, "
        f"watched {s['watched_pct']:.0f}%, alerts {s['alerts']} "
        f"({s['actionable_alerts']} warning/imminent, "
        f"{s['false_alarm_alerts_pct']:.0f}% with no strike in their zones within 30 min), "
        f"zone episodes {s['episodes']}, refused inputs {s['refused_inputs']}"
    )
    if json_out:
        with open(json_out, "w", encoding="utf-8") as handle:
            json.dump(
                {"summary": s, "strikes": result.strikes, "zones": result.zones}, handle, indent=1
            )
    click.echo(result.last_line)


def _cost_line(s: dict[str, Any]) -> str:
    return (
        f"cost: zones per warning alert median {s['zones_per_alert_median']:.1f} "
        f"p90 {s['zones_per_alert_p90']:.1f} ({s['warning_alerts']} warning alerts), "
        f"zone episodes per strike {s['episodes_per_strike']:.2f}, "
        f"zone-minutes under warning per strike {s['zone_minutes_per_strike']:.0f}, "
        f"{s['teams']} teams lost {s['pulled_back_team_min']:.0f} team-min to "
        f"{s['pull_backs_held']} pull-backs, exposure {s['exposure_rescuer_min']:.0f} "
        f"rescuer-min at {s['follow_ups']} follow-up strikes "
        f"(without a system {s['exposure_without_system_rescuer_min']:.0f}), "
        f"false alarms {s['false_alarm_pct']:.0f}% of zone episodes, "
        f"refused crew steps {s['refused_crew_steps']}"
    )
