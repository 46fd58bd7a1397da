"""The `hanano` command: thin commands over the service. `hanano --help` is the map."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from hanano.access.tokens import create_token, revoke_token
from hanano.catalogue import FORMATS, Format, render_events, render_settings
from hanano.cli_reference import cli_markdown, cli_reference, cli_text
from hanano.errors import Problem
from hanano.events import ROLES
from hanano.evidence.keys import LogKeyError
from hanano.evidence.log import LogIntegrityError
from hanano.service import Service
from hanano.settings import Settings, load_settings
from hanano.store.records import LogTampered

CLI_ACTOR = "cli"


def service_for(ctx: click.Context) -> Service:
    """The started service for this invocation, stopped when the command ends."""
    return _service(ctx)


def _service(ctx: click.Context) -> Service:
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "service" not in obj:
        service = Service(_settings(obj))
        try:
            service.start()
        except (LogKeyError, LogIntegrityError, LogTampered) as exc:
            service.stop()
            raise click.ClickException(f"hanano will not start on this store: {exc}") from None
        ctx.call_on_close(service.stop)
        obj["service"] = service
    svc: Service = obj["service"]
    return svc


def settings_for(ctx: click.Context) -> Settings:
    """The settings of this invocation (for commands that must not start the service)."""
    return _settings(ctx.ensure_object(dict))


def _settings(obj: dict[str, Any]) -> Settings:
    return load_settings(**({"database_url": obj["db"]} if obj.get("db") else {}))


def _fail(problem: Problem) -> None:
    raise click.ClickException(str(problem))


@click.group()
@click.option(
    "--db",
    envvar="HANANO_DATABASE_URL",
    default=None,
    help="Database URL (default sqlite:///hanano.db).",
)
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """hanano: operations for civil defence rescue teams under bombardment."""
    ctx.ensure_object(dict)["db"] = db


@main.command()
@click.option(
    "--aleppo/--no-aleppo",
    default=False,
    help="Also load the Aleppo neighbourhoods shipped with hanano.",
)
@click.pass_context
def init(ctx: click.Context, aleppo: bool) -> None:
    """Create or migrate the store; with --aleppo, load the city's zones."""
    service = _service(ctx)
    click.echo(f"store ready: {service.engine.url.render_as_string(hide_password=True)}")
    click.echo(
        f"log signing key: {service.key_path} (keep a copy apart from the database: "
        "whoever holds both could re-sign a rewritten history)"
    )
    click.echo(f"log verifier key: {service.evidence.key.verifier}")
    if aleppo:
        from hanano.geo.city import import_neighbourhoods
        from hanano.geo.gazetteer import aleppo_geojson

        count = service.execute(lambda tx: import_neighbourhoods(tx, CLI_ACTOR, aleppo_geojson()))
        click.echo(f"imported {count} Aleppo neighbourhoods")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the API (and the live stream) over HTTP.

    The client's address (for the login limits) is the connection's peer; X-Forwarded-For is
    believed only from the proxies named in HANANO_TRUSTED_PROXIES."""
    import uvicorn

    from hanano.web.app import build_app

    service = _service(ctx)
    click.echo(f"hanano serving on http://{host}:{port} ({service.engine.dialect.name})")
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app's
    # ClientAddress middleware believes it only from `trusted_proxies`.
    uvicorn.run(
        build_app(service),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


# --- tokens -------------------------------------------------------------------------------


@main.group()
def token() -> None:
    """API tokens and their roles."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default=None, help="Who holds it (kept sealed).")
@click.option("--team", default=None, help="The team a team_leader token acts for, e.g. T-3.")
@click.option(
    "--post", default=None, help="The observation post a spotter token reports from, e.g. east-1."
)
@click.pass_context
def token_create(
    ctx: click.Context, role: str, name: str | None, team: str | None, post: str | None
) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    service = _service(ctx)
    try:
        issued = service.execute(lambda tx: create_token(tx, CLI_ACTOR, role, name, team, post))
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    bound = f" for team {issued.team}" if issued.team else ""
    click.echo(f"token_id: {issued.token_id}{bound}", err=True)
    click.echo(issued.secret)


@token.command("revoke")
@click.argument("token_id")
@click.option("--reason", required=True)
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, reason: str) -> None:
    """Revoke a token: every running server refuses it within HANANO_AUTH_CACHE_S (2 s), and
    streams opened with it end."""
    service = _service(ctx)
    try:
        service.execute(lambda tx: revoke_token(tx, CLI_ACTOR, token_id, reason))
    except Problem as problem:
        _fail(problem)
    click.echo(f"revoked {token_id}")


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List tokens (ids, roles and a team leader's team; never secrets)."""
    from sqlalchemy import select

    from hanano.access.tokens import leader_teams
    from hanano.store import schema

    service = _service(ctx)
    query = (
        select(schema.tokens, leader_teams.c.team_id)
        .outerjoin(leader_teams, leader_teams.c.principal_id == schema.tokens.c.token_id)
        .order_by(schema.tokens.c.created_at)
    )
    with service.engine.connect() as conn:
        for row in conn.execute(query):
            state = f"revoked {row.revoked_at}" if row.revoked_at else "active"
            team = row.team_id or ""
            click.echo(f"{row.token_id}\t{row.role}\t{team}\t{row.name or ''}\t{state}")


# --- city ---------------------------------------------------------------------------------


@main.group()
def city() -> None:
    """The city's neighbourhoods and the names people give places."""


@city.command("import-neighbourhoods")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def city_import(ctx: click.Context, path: Path) -> None:
    """Load zones from a GeoJSON file (PCODE, NAME_EN, NAME_AR properties)."""
    from hanano.geo.city import import_neighbourhoods

    service = _service(ctx)
    try:
        geojson = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not a JSON file ({exc})") from exc
    try:
        count = service.execute(lambda tx: import_neighbourhoods(tx, CLI_ACTOR, geojson))
    except Problem as problem:
        _fail(problem)
    click.echo(f"imported {count} neighbourhoods from {path}")


@city.command("add-alias")
@click.argument("alias")
@click.argument("pcode")
@click.pass_context
def city_add_alias(ctx: click.Context, alias: str, pcode: str) -> None:
    """Teach the gazetteer another name for a place in neighbourhood PCODE."""
    from hanano.geo.city import add_alias

    service = _service(ctx)
    try:
        service.execute(lambda tx: add_alias(tx, CLI_ACTOR, alias, pcode))
    except Problem as problem:
        _fail(problem)
    click.echo(f"alias {alias!r} → {pcode}")


@city.command("match")
@click.argument("text")
@click.pass_context
def city_match(ctx: click.Context, text: str) -> None:
    """Show which neighbourhoods a piece of text names, best first."""
    service = _service(ctx)
    for match in service.city.get().gazetteer.match(text):
        click.echo(f"{match.pcode}\t{match.score:.2f}\t{match.name}\t({match.matched})")


# --- intake -------------------------------------------------------------------------------


@main.command()
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        ["strike", "collapse", "fire", "casualties", "trapped", "blocked_road", "other"]
    ),
)
@click.option(
    "--source",
    default="radio_log",
    show_default=True,
    type=click.Choice(["citizen", "spotter", "team", "hospital", "radio_log"]),
)
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--accuracy", "accuracy_m", type=float)
@click.option("--text")
@click.option("--trapped", type=int)
@click.option("--casualties", type=int)
@click.option(
    "--observed-at",
    help="ISO 8601 time with offset (default: now); refused before HANANO_EARLIEST_OBSERVED_AT "
    "or more than HANANO_MAX_FUTURE_MIN minutes ahead.",
)
@click.option("--id", "report_id", help="Report UUID (default: a new one).")
@click.pass_context
def report(ctx: click.Context, /, **fields: Any) -> None:
    """Submit one report from the command line and show the incident it joined."""
    from hanano.intake import commands
    from hanano.intake.model import ReportIn

    service = _service(ctx)
    body = {k: v for k, v in fields.items() if v is not None and k != "report_id"}
    body["id"] = fields["report_id"] or str(uuid.uuid4())
    body["observed_at"] = fields["observed_at"] or service.clock.now().isoformat()
    try:
        parsed = ReportIn.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    city_index = service.city.get()
    try:
        commands.check_report(parsed, service.clock.now(), city_index, service.settings)
        result = service.execute(
            lambda tx: commands.submit_report(tx, CLI_ACTOR, parsed, city_index, service.settings)
        )
    except Problem as problem:
        _fail(problem)
    click.echo(f"report {result.report_id} → {result.incident_id} ({result.reason})")


@main.command()
@click.option("--status", type=click.Choice(["open", "responding", "cleared", "closed"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def incidents(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List incidents, most severe and newest first."""
    from hanano.intake.views import IncidentFilter, list_incidents

    service = _service(ctx)
    with service.engine.connect() as conn:
        items = list_incidents(
            conn,
            "admin",
            IncidentFilter(status=status),
            service.clock.now(),
            service.settings.public_delay_min,
        )
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        zone = item["neighbourhood"]["name_en"] if item["neighbourhood"] else "?"
        click.echo(
            f"{item['id']:<10} sev {item['severity']}  {item['status']:<10} "
            f"{item['kind']:<12} {zone:<28} reports {item['report_count']:<3} "
            f"last {item['last_report_at']}"
        )


# --- store --------------------------------------------------------------------------------


@main.group()
def store() -> None:
    """The event store itself."""


@store.command("rebuild")
@click.pass_context
def store_rebuild(ctx: click.Context) -> None:
    """Rebuild every projection from the event log.

    The log is verified first and the replay reads only what its leaves hold: a store changed
    outside hanano is refused (see `hanano log verify`) and its projections are left as they were.
    """
    from hanano.evidence.audit import verify_log
    from hanano.store.rebuild import rebuild

    service = _service(ctx)
    service.sequencer.stop()
    with service.engine.connect() as conn:
        checked = verify_log(conn, service.evidence.key.verifier)
    if not checked.ok:
        first = checked.verdicts[0]
        raise click.ClickException(
            f"refused: the log does not verify ({len(checked.verdicts)} problems; first: "
            f"{first.kind}: {first.message}); run `hanano log verify` for all of them. "
            "The projections were left as they were."
        )
    with click.progressbar(length=checked.events, label="replaying events", file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        try:
            count = rebuild(service.engine, progress)
        except LogTampered as exc:
            raise click.ClickException(
                f"refused: {exc}. The projections were left as they were."
            ) from None
        bar.update(count - done[0])
    click.echo(f"rebuilt projections from {count} events")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--speed",
    default=30.0,
    show_default=True,
    type=float,
    help="How many times faster than real time the day replays.",
)
@click.option(
    "--reports",
    "limit",
    default=400,
    show_default=True,
    type=int,
    help="How many reports the replay sends.",
)
def demo(host: str, port: int, speed: float, limit: int) -> None:
    """A fresh store with Aleppo's neighbourhoods and a replayed day of 2014 strikes."""
    from hanano.sim.demo import run_demo

    run_demo(host=host, port=port, speed=speed, limit=limit)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Plain text, or Markdown as in docs/.",
)


@main.command()
@FORMAT_OPTION
def events(fmt: Format) -> None:
    """Every event type: fields, readers, projector, reactions and what they lead to."""
    click.echo(render_events(fmt), nl=False)


@main.command("settings")
@FORMAT_OPTION
def settings_command(fmt: Format) -> None:
    """Every setting: environment variable, type, default and what it does."""
    click.echo(render_settings(fmt), nl=False)


@main.command()
@FORMAT_OPTION
def commands(fmt: Format) -> None:
    """Every command with its arguments and options."""
    reference = cli_reference(main)
    click.echo(cli_markdown(reference) if fmt == "markdown" else cli_text(reference), nl=False)


def _register_domain_commands() -> None:
    from hanano.evidence.cli import log_group

    main.add_command(log_group)


_register_domain_commands()


def _register_dispatch_commands() -> None:
    from hanano.dispatch.cli import register

    register(main)


_register_dispatch_commands()


def _register_warning_commands() -> None:
    from hanano.warning import feeds_cli  # noqa: F401 - adds its commands to `warn`
    from hanano.warning.cli import warn

    main.add_command(warn)


_register_warning_commands()


def _register_user_commands() -> None:
    from hanano.access.user_cli import user_group

    main.add_command(user_group)


_register_user_commands()


def _register_media_commands() -> None:
    from hanano.evidence.media_cli import media_group

    main.add_command(media_group)


_register_media_commands()

if __name__ == "__main__":
    main()
