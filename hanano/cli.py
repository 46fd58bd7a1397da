"""The `hanano` command: thin commands over the service. `hanano --help` is the map."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from hanano.catalogue import FORMATS, Format, render_events, render_settings
from hanano.city.commands import import_neighbourhoods
from hanano.cli_reference import cli_markdown, cli_reference, cli_text
from hanano.console import CLI_ACTOR, MAKE_SERVICE, service_for
from hanano.domain import Domain
from hanano.domains import DOMAINS
from hanano.evidence.archive_cli import export_command, import_command
from hanano.evidence.audit import verify_log
from hanano.geo.gazetteer import aleppo_geojson
from hanano.service import Service
from hanano.sim import cli as sim_cli
from hanano.store.records import LogTampered
from hanano.web.app import build_app


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
    obj = ctx.ensure_object(dict)
    obj["db"] = db
    obj[MAKE_SERVICE] = Service
    obj["domains"] = DOMAINS


def started(ctx: click.Context) -> Service:
    """The service of this invocation, as the factory `main` put in the context made it."""
    service = service_for(ctx)
    assert isinstance(service, Service)
    return service


@main.command()
@click.option(
    "--aleppo/--no-aleppo",
    default=False,
    help="Also load the Aleppo neighbourhoods shipped with hanano.",
)
@click.pass_context
def init(ctx: click.Context, aleppo: bool) -> None:
    """Create or migrate the store; with --aleppo, load the city's zones."""
    service = started(ctx)
    click.echo(f"store ready: {service.engine.url.render_as_string(hide_password=True)}")
    click.echo(
        f"log signing key: {service.key_path} (keep a copy apart from the database: "
        "whoever holds both could re-sign a rewritten history)"
    )
    click.echo(f"log verifier key: {service.evidence.key.verifier}")
    if aleppo:
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
    import uvicorn  # noqa: PLC0415 - the HTTP server loads only for `hanano serve`

    service = started(ctx)
    click.echo(f"hanano serving on http://{host}:{port} ({service.engine.dialect.name})")
    if service.mirror is not None:
        click.echo(f"read-only: a mirror of {service.mirror.primary_url} (`hanano mirror follow`)")
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


# --- store --------------------------------------------------------------------------------


@main.group()
def store() -> None:
    """The event store itself."""


store.add_command(export_command)
store.add_command(import_command)


@store.command("rebuild")
@click.pass_context
def store_rebuild(ctx: click.Context) -> None:
    """Rebuild every projection from the event log.

    The log is verified first and the replay reads only what its leaves hold: a store changed
    outside hanano is refused (see `hanano log verify`) and its projections are left as they were.
    """
    service = started(ctx)
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
            count = service.rebuild(progress)
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
    from hanano.sim.demo import run_demo  # noqa: PLC0415 - its server loads only for `hanano demo`

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


def add_domain_commands(group: click.Group, domains: tuple[Domain, ...]) -> None:
    """Each domain's commands under `hanano`; groups of the same name (`city`, `warn`) merge."""
    add_commands(group, [command for domain in domains for command in domain.commands])


def add_commands(group: click.Group, commands: Iterable[click.Command]) -> None:
    """Groups of the same name merge into a new group, so no domain's own group is changed."""
    for command in commands:
        name = command.name or ""
        present = group.commands.get(name)
        if isinstance(present, click.Group) and isinstance(command, click.Group):
            merged = {**present.commands, **command.commands}
            group.add_command(click.Group(name, commands=merged, help=present.help))
        else:
            group.add_command(command)


add_domain_commands(main, DOMAINS)
# The evaluation harness of early warning (`warn scenario`, `warn evaluate`) runs a service of
# its own, so it stays beside the simulations, out of the warning domain.
add_commands(main, [sim_cli.warn])

if __name__ == "__main__":
    main()
