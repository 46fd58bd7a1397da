"""CLI twins of the dispatch API for operators: `hanano teams`, `hanano assign`, ..."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hanano.access.tokens import CONSOLE
from hanano.console import call, service_for
from hanano.dispatch import api
from hanano.errors import Problem

T = TypeVar("T")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def answer(read: Callable[[], T]) -> T:
    """What a read answers; a refusal (an unknown incident) becomes the CLI's error."""
    try:
        return read()
    except Problem as problem:
        raise click.ClickException(str(problem)) from None


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def teams(ctx: click.Context, as_json: bool) -> None:
    """List rescue teams (duty, task, position age); subcommands change them."""
    if ctx.invoked_subcommand is not None:
        return

    items = api.list_teams(service_for(ctx))
    if as_json:
        _echo_json(items)
        return
    for t in items:
        pos = t["position"]
        where = "no position" if pos is None else f"position {pos['age_min']:.0f} min old"
        if pos is not None and pos["stale"]:
            where += " (stale)"
        click.echo(
            f"{t['id']:<6} {t['name']:<20} {t['duty']:<12} crew {t['crew']:<3} "
            f"{','.join(t['capabilities']):<40} task {t['task_id'] or '-':<7} {where}"
        )


@teams.command("add")
@click.option("--name", required=True)
@click.option("--base-name", required=True)
@click.option("--base-lat", required=True, type=float)
@click.option("--base-lon", required=True, type=float)
@click.option("--sector", required=True)
@click.option("--crew", required=True, type=int)
@click.option("--min-crew", default=4, show_default=True, type=int)
@click.option(
    "--capability",
    "capabilities",
    multiple=True,
    required=True,
    type=click.Choice(["light_rescue", "heavy_rescue", "medical", "fire"]),
)
@click.option("--vehicle", default="")
@click.option("--off-duty", is_flag=True, help="Register the team off duty.")
@click.pass_context
def teams_add(ctx: click.Context, /, **fields: Any) -> None:
    """Register a team (on duty unless --off-duty); its base must lie in the city (not 0,0)."""
    fields["capabilities"] = list(fields["capabilities"])
    on_duty = not fields.pop("off_duty")
    team = call(api.register_team(service_for(ctx), CONSOLE, on_duty=on_duty, **fields))
    click.echo(f"team {team['id']} {fields['name']}")


@teams.command("duty")
@click.argument("team_id")
@click.argument("duty", type=click.Choice(["on_duty", "off_duty", "unavailable"]))
@click.option("--reason", default="")
@click.pass_context
def teams_duty(ctx: click.Context, team_id: str, duty: str, reason: str) -> None:
    """Put a team on or off duty."""

    call(api.set_duty(service_for(ctx), CONSOLE, team_id, duty, reason))  # type: ignore[arg-type]
    click.echo(f"{team_id} {duty}")


@teams.command("position")
@click.argument("team_id")
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.option("--accuracy", type=float)
@click.pass_context
def teams_position(
    ctx: click.Context, team_id: str, lat: float, lon: float, accuracy: float | None
) -> None:
    """Record where a team is now, in the city (counts as a check-in)."""

    call(api.report_position(service_for(ctx), CONSOLE, team_id, lat, lon, accuracy))
    click.echo(f"{team_id} position recorded")


@click.group(invoke_without_command=True)
@click.pass_context
def hospitals(ctx: click.Context) -> None:
    """List hospitals and field hospitals with their status."""
    if ctx.invoked_subcommand is not None:
        return

    for h in api.list_hospitals(service_for(ctx)):
        click.echo(f"{h['id']:<6} {h['name']:<30} {h['kind']:<15} {h['status']}")


@hospitals.command("add")
@click.option("--name", required=True)
@click.option("--kind", default="hospital", type=click.Choice(["hospital", "field_hospital"]))
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.pass_context
def hospitals_add(ctx: click.Context, name: str, kind: str, lat: float, lon: float) -> None:
    """Register a hospital; it must lie in the city (not 0,0)."""

    hospital_id = call(
        api.register_hospital(service_for(ctx), CONSOLE, name=name, kind=kind, lat=lat, lon=lon)
    )
    click.echo(f"hospital {hospital_id} {name}")


@hospitals.command("status")
@click.argument("hospital_id")
@click.argument("status", type=click.Choice(["open", "full", "closed", "destroyed"]))
@click.option("--reason", default="")
@click.pass_context
def hospitals_status(ctx: click.Context, hospital_id: str, status: str, reason: str) -> None:
    """Set a hospital's status."""

    call(api.set_hospital_status(service_for(ctx), CONSOLE, hospital_id, status, reason))  # type: ignore[arg-type]
    click.echo(f"{hospital_id} {status}")


@click.command()
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def recommend(ctx: click.Context, incident_id: str, as_json: bool) -> None:
    """Rank the free teams for an incident, with reasons."""

    result = answer(lambda: api.recommend_teams(service_for(ctx), incident_id))
    if as_json:
        _echo_json(result)
        return
    click.echo(result["summary"])
    for i, rec in enumerate(result["recommendations"], 1):
        click.echo(f"{i:>2}. {rec['reason']}")
    for ex in result["excluded"]:
        click.echo(f"    - {ex['reason']}")


@click.command()
@click.argument("incident_id")
@click.argument("team_id")
@click.option("--reason", default="", help="Required when overriding the recommendation.")
@click.pass_context
def assign(ctx: click.Context, incident_id: str, team_id: str, reason: str) -> None:
    """Send a team to an incident (accepting or overriding the recommendation)."""

    task = call(api.assign(service_for(ctx), CONSOLE, incident_id, team_id, reason))
    click.echo(f"task {task['id']}: {team_id} → {incident_id} (recommendation {task['decision']})")


@click.command()
@click.argument("task_id")
@click.argument(
    "state",
    type=click.Choice(
        [
            "en_route",
            "on_scene",
            "transporting",
            "at_hospital",
            "returning",
            "available",
            "withdrawn",
        ]
    ),
)
@click.option("--hospital", "hospital_id", help="Destination hospital when transporting.")
@click.option("--reason", default="")
@click.pass_context
def task(
    ctx: click.Context, task_id: str, state: str, hospital_id: str | None, reason: str
) -> None:
    """Move a task to its next state."""

    call(api.move_task(service_for(ctx), CONSOLE, task_id, state, reason, hospital_id))
    click.echo(f"task {task_id} {state}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tasks(ctx: click.Context, as_json: bool) -> None:
    """List live tasks."""

    items = api.list_tasks(service_for(ctx), active=True)
    if as_json:
        _echo_json(items)
        return
    for t in items:
        click.echo(f"{t['id']:<7} {t['team_id']:<6} {t['incident_id']:<10} {t['state']}")


@click.command("response-times")
@click.pass_context
def response_times(ctx: click.Context) -> None:
    """Response-time segments: 50th and 90th percentiles in seconds."""

    result = api.response_segments(service_for(ctx))
    for name, seg in result["segments"].items():
        click.echo(f"{name:<22} n={seg['count']:<4} p50={seg['p50_s']} p90={seg['p90_s']}")


@click.command()
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--radius", "radius_m", default=0.0, type=float, help="Metres around the point.")
@click.option("--reason", required=True)
@click.pass_context
def threat(
    ctx: click.Context, lat: float | None, lon: float | None, radius_m: float, reason: str
) -> None:
    """Report a threat at a point: teams at watched sites it covers are pulled back."""

    service = service_for(ctx)
    threat_id = call(
        api.report_threat(
            service, CONSOLE, lat=lat, lon=lon, radius_m=radius_m, polygon=None, reason=reason
        )
    )
    click.echo(f"threat {threat_id}")
    for order in api.threat_pullbacks(service, threat_id):
        click.echo(f"  {order['id']}: {order['reason']}")


@click.command()
@click.argument("order_id")
@click.option("--note", default="")
@click.pass_context
def acknowledge(ctx: click.Context, order_id: str, note: str) -> None:
    """Acknowledge a pull-back order for the team."""

    call(api.acknowledge(service_for(ctx), CONSOLE, order_id, note))
    click.echo(f"{order_id} acknowledged")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def board(ctx: click.Context, as_json: bool) -> None:
    """The safety board: escalated and open pull-backs, check-in alarms, watches."""

    result = api.safety_board(service_for(ctx))
    if as_json:
        _echo_json(result)
        return
    for order in result["pullbacks"]:
        flag = "ESCALATED " if order["escalated_at"] else ""
        click.echo(f"{flag}{order['id']}: {order['reason']}")
    for alarm in result["checkin_alarms"]:
        click.echo(f"CHECK-IN {alarm['team']} at {alarm['incident_id']} since {alarm['alarm_at']}")
    for watch in result["watches"]:
        click.echo(f"watch {watch['incident_id']} until {watch['until']}")


@click.command("import-roads")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_roads(ctx: click.Context, path: Path) -> None:
    """Build the drivable road graph from an OpenStreetMap extract (.osm.pbf)."""

    event = call(api.import_roads(service_for(ctx), CONSOLE, path))
    click.echo(
        f"imported {event.nodes} road nodes and {event.edges} directed segments from {path.name} "
        f"(graph {event.graph_id[:12]})"
    )


@click.group(invoke_without_command=True)
@click.pass_context
def roads(ctx: click.Context) -> None:
    """Open road closures; subcommands close and reopen segments."""
    if ctx.invoked_subcommand is not None:
        return

    network = api.road_network(service_for(ctx))
    info, closures = network["graph"], network["closures"]
    if info is None:
        click.echo("no road graph: travel times are straight line x detour factor")
    else:
        click.echo(
            f"road graph {info['graph_id'][:12]}: {info['nodes']} nodes, {info['edges']} segments"
        )
    for c in closures:
        click.echo(f"{c['id']:<7} {c['source']:<7} {c['reason']}")


@roads.command("close")
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.option("--reason", required=True)
@click.pass_context
def roads_close(ctx: click.Context, lat: float, lon: float, reason: str) -> None:
    """Close the road segment nearest a point."""

    closure = call(api.close_road(service_for(ctx), CONSOLE, lat, lon, reason))
    click.echo(f"closed {closure['id']}")


@roads.command("reopen")
@click.argument("closure_id")
@click.option("--reason", required=True)
@click.pass_context
def roads_reopen(ctx: click.Context, closure_id: str, reason: str) -> None:
    """Reopen a closed segment."""

    call(api.reopen_road(service_for(ctx), CONSOLE, closure_id, reason))
    click.echo(f"reopened {closure_id}")


@click.command()
@click.argument("incident_id")
@click.argument("worksite_id")
@click.option("--category", required=True, type=click.Choice(list("ABCDEF")))
@click.option("--hazard", "hazards", multiple=True)
@click.option("--operation", "operations", multiple=True)
@click.pass_context
def worksite(
    ctx: click.Context,
    incident_id: str,
    worksite_id: str,
    category: str,
    hazards: tuple[str, ...],
    operations: tuple[str, ...],
) -> None:
    """Open a worksite at an incident (INSARAG ID such as C-6, category A-F)."""

    call(
        api.open_worksite(
            service_for(ctx),
            CONSOLE,
            incident_id,
            worksite_id=worksite_id,
            category=category,
            hazards=list(hazards),
            operations=list(operations),
        )
    )
    click.echo(f"worksite {worksite_id} at {incident_id}")


@click.command()
@click.argument("incident_id")
@click.option("--status", required=True, type=click.Choice(["trapped", "extracted_alive", "dead"]))
@click.option("--worksite", "worksite_id")
@click.option("--triage", type=click.Choice(["red", "yellow", "green", "black"]))
@click.option("--hospital", "hospital_id")
@click.option("--name", help="Kept sealed; only admin and dispatcher can read it.")
@click.pass_context
def victim(
    ctx: click.Context,
    incident_id: str,
    status: str,
    worksite_id: str | None,
    triage: str | None,
    hospital_id: str | None,
    name: str | None,
) -> None:
    """Record a victim at an incident."""

    victim_id = call(
        api.record_victim(
            service_for(ctx),
            CONSOLE,
            incident_id,
            status=status,
            worksite_id=worksite_id,
            triage=triage,
            hospital_id=hospital_id,
            name=name,
        )
    ).id
    click.echo(f"victim {victim_id} at {incident_id}")


@click.command()
@click.argument("incident_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def plan(ctx: click.Context, incident_ids: tuple[str, ...], as_json: bool) -> None:
    """One team per waiting incident, minimising severity-weighted travel, beside nearest-first."""

    result = api.plan(service_for(ctx), list(incident_ids) or None)
    if as_json:
        _echo_json(result)
        return
    click.echo(result["summary"])
    greedy = {p["incident_id"]: p["team"] for p in result.get("nearest_first", [])}
    for p in result.get("optimal", []):
        travel = "-" if p["travel_s"] is None else f"{p['travel_s'] / 60:.1f} min"
        click.echo(
            f"{p['incident_id']:<10} sev {p['severity']}  {p['team'] or 'no team':<20} {travel:<10}"
            f" nearest-first: {greedy.get(p['incident_id']) or 'no team'}"
        )


@click.command("coverage")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def coverage_command(ctx: click.Context, as_json: bool) -> None:
    """Each zone's nearest available team, zones over the threshold, suggested moves."""

    result = api.zone_coverage(service_for(ctx))
    if as_json:
        _echo_json(result)
        return
    click.echo(result["summary"])
    for zone in result["zones"]:
        if not zone["over"]:
            continue
        travel = "no team" if zone["travel_s"] is None else f"{zone['travel_s'] / 60:.1f} min"
        click.echo(f"OVER {zone['pcode']:<7} {zone['name']:<30} {travel:<10} {zone['team'] or ''}")
    for move in result["suggestions"]:
        click.echo(move["reason"])
    if result["suggestions"]:
        click.echo(result["note"])


COMMANDS: list[click.Command] = [
    coverage_command,
    plan,
    worksite,
    victim,
    roads,
    threat,
    acknowledge,
    board,
    teams,
    hospitals,
    recommend,
    assign,
    task,
    tasks,
    response_times,
]


@click.group("city")
def city_roads() -> None:
    """The city's neighbourhoods and the names people give places."""


city_roads.add_command(import_roads)
COMMANDS.append(city_roads)
