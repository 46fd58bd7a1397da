"""CLI twins of the dispatch API for operators: `hanano teams`, `hanano assign`, ..."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hanano.console import CLI_ACTOR, run, service_for
from hanano.dispatch.coverage import coverage
from hanano.dispatch.hospitals import list_hospitals, register_hospital, set_status
from hanano.dispatch.recommend import assign as do_assign
from hanano.dispatch.recommend import plan as make_plan
from hanano.dispatch.recommend import recommend as advise
from hanano.dispatch.roads import close_road, graph_info, list_closures, reopen_road, router_for
from hanano.dispatch.roads import import_roads as do_import
from hanano.dispatch.safety import acknowledge as ack
from hanano.dispatch.safety import board as safety_board
from hanano.dispatch.safety import list_pullbacks, report_threat
from hanano.dispatch.tasks import list_tasks, response_segments, transition
from hanano.dispatch.teams import list_teams, register_team, report_position, set_duty
from hanano.dispatch.worksites import open_worksite, record_victim
from hanano.errors import Problem


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def teams(ctx: click.Context, as_json: bool) -> None:
    """List rescue teams (duty, task, position age); subcommands change them."""
    if ctx.invoked_subcommand is not None:
        return
    service = service_for(ctx)
    with service.engine.connect() as conn:
        items = list_teams(conn, service.clock.now(), service.settings.position_stale_min)
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
    team_id = run(ctx, lambda tx: register_team(tx, CLI_ACTOR, on_duty=on_duty, **fields))
    click.echo(f"team {team_id} {fields['name']}")


@teams.command("duty")
@click.argument("team_id")
@click.argument("duty", type=click.Choice(["on_duty", "off_duty", "unavailable"]))
@click.option("--reason", default="")
@click.pass_context
def teams_duty(ctx: click.Context, team_id: str, duty: str, reason: str) -> None:
    """Put a team on or off duty."""
    run(ctx, lambda tx: set_duty(tx, CLI_ACTOR, team_id, duty, reason))  # type: ignore[arg-type]
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
    run(ctx, lambda tx: report_position(tx, CLI_ACTOR, team_id, lat, lon, accuracy, None))
    click.echo(f"{team_id} position recorded")


@click.group(invoke_without_command=True)
@click.pass_context
def hospitals(ctx: click.Context) -> None:
    """List hospitals and field hospitals with their status."""
    if ctx.invoked_subcommand is not None:
        return
    with service_for(ctx).engine.connect() as conn:
        for h in list_hospitals(conn):
            click.echo(f"{h['id']:<6} {h['name']:<30} {h['kind']:<15} {h['status']}")


@hospitals.command("add")
@click.option("--name", required=True)
@click.option("--kind", default="hospital", type=click.Choice(["hospital", "field_hospital"]))
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.pass_context
def hospitals_add(ctx: click.Context, name: str, kind: str, lat: float, lon: float) -> None:
    """Register a hospital; it must lie in the city (not 0,0)."""
    hospital_id = run(
        ctx,
        lambda tx: register_hospital(tx, CLI_ACTOR, name=name, kind=kind, lat=lat, lon=lon),  # type: ignore[arg-type]
    )
    click.echo(f"hospital {hospital_id} {name}")


@hospitals.command("status")
@click.argument("hospital_id")
@click.argument("status", type=click.Choice(["open", "full", "closed", "destroyed"]))
@click.option("--reason", default="")
@click.pass_context
def hospitals_status(ctx: click.Context, hospital_id: str, status: str, reason: str) -> None:
    """Set a hospital's status."""
    run(ctx, lambda tx: set_status(tx, CLI_ACTOR, hospital_id, status, reason))  # type: ignore[arg-type]
    click.echo(f"{hospital_id} {status}")


@click.command()
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def recommend(ctx: click.Context, incident_id: str, as_json: bool) -> None:
    """Rank the free teams for an incident, with reasons."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        try:
            result = advise(
                conn,
                incident_id,
                router_for(conn, service.settings),
                service.clock.now(),
                service.settings,
            )
        except Problem as problem:
            raise click.ClickException(str(problem)) from None
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
    service = service_for(ctx)
    task_id, decision = run(
        ctx,
        lambda tx: do_assign(
            tx,
            CLI_ACTOR,
            incident_id,
            team_id,
            reason,
            router_for(tx.conn, service.settings),
            service.settings,
        ),
    )
    click.echo(f"task {task_id}: {team_id} → {incident_id} (recommendation {decision})")


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
    run(ctx, lambda tx: transition(tx, CLI_ACTOR, task_id, state, reason, hospital_id))
    click.echo(f"task {task_id} {state}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tasks(ctx: click.Context, as_json: bool) -> None:
    """List live tasks."""
    with service_for(ctx).engine.connect() as conn:
        items = list_tasks(conn, active_only=True)
    if as_json:
        _echo_json(items)
        return
    for t in items:
        click.echo(f"{t['id']:<7} {t['team_id']:<6} {t['incident_id']:<10} {t['state']}")


@click.command("response-times")
@click.pass_context
def response_times(ctx: click.Context) -> None:
    """Response-time segments: 50th and 90th percentiles in seconds."""
    with service_for(ctx).engine.connect() as conn:
        result = response_segments(conn)
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
    threat_id = run(
        ctx,
        lambda tx: report_threat(
            tx, CLI_ACTOR, lat=lat, lon=lon, radius_m=radius_m, polygons=[], reason=reason
        ),
    )
    click.echo(f"threat {threat_id}")
    with service_for(ctx).engine.connect() as conn:
        for order in list_pullbacks(conn):
            if order["threat_id"] == threat_id:
                click.echo(f"  {order['id']}: {order['reason']}")


@click.command()
@click.argument("order_id")
@click.option("--note", default="")
@click.pass_context
def acknowledge(ctx: click.Context, order_id: str, note: str) -> None:
    """Acknowledge a pull-back order for the team."""
    run(ctx, lambda tx: ack(tx, CLI_ACTOR, order_id, note))
    click.echo(f"{order_id} acknowledged")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def board(ctx: click.Context, as_json: bool) -> None:
    """The safety board: escalated and open pull-backs, check-in alarms, watches."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        result = safety_board(conn, service.clock.now(), service.settings.double_tap_watch_min)
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
    event = run(ctx, lambda tx: do_import(tx, CLI_ACTOR, path))
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
    with service_for(ctx).engine.connect() as conn:
        info = graph_info(conn)
        closures = list_closures(conn)
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
    closure_id = run(ctx, lambda tx: close_road(tx, CLI_ACTOR, lat, lon, reason))
    click.echo(f"closed {closure_id}")


@roads.command("reopen")
@click.argument("closure_id")
@click.option("--reason", required=True)
@click.pass_context
def roads_reopen(ctx: click.Context, closure_id: str, reason: str) -> None:
    """Reopen a closed segment."""
    run(ctx, lambda tx: reopen_road(tx, CLI_ACTOR, closure_id, reason))
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
    run(
        ctx,
        lambda tx: open_worksite(
            tx,
            CLI_ACTOR,
            incident_id,
            worksite_id=worksite_id,
            category=category,  # type: ignore[arg-type]
            hazards=list(hazards),
            operations=list(operations),
        ),
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
    victim_id = run(
        ctx,
        lambda tx: record_victim(
            tx,
            CLI_ACTOR,
            incident_id,
            status=status,  # type: ignore[arg-type]
            worksite_id=worksite_id,
            triage=triage,  # type: ignore[arg-type]
            hospital_id=hospital_id,
            name=name,
        ),
    )
    click.echo(f"victim {victim_id} at {incident_id}")


@click.command()
@click.argument("incident_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def plan(ctx: click.Context, incident_ids: tuple[str, ...], as_json: bool) -> None:
    """One team per waiting incident, minimising severity-weighted travel, beside nearest-first."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        result = make_plan(
            conn,
            router_for(conn, service.settings),
            service.clock.now(),
            service.settings,
            list(incident_ids) or None,
        )
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
    service = service_for(ctx)
    with service.engine.connect() as conn:
        result = coverage(conn, service.clock.now(), service.settings)
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
