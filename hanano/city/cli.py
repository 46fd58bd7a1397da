"""`hanano city`: the neighbourhoods and the names people give places."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hanano.city.commands import add_alias, import_neighbourhoods
from hanano.console import CLI_ACTOR, fail, service_for
from hanano.errors import Problem


@click.group()
def city() -> None:
    """The city's neighbourhoods and the names people give places."""


@city.command("import-neighbourhoods")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def city_import(ctx: click.Context, path: Path) -> None:
    """Load zones from a GeoJSON file (PCODE, NAME_EN, NAME_AR properties)."""
    service = service_for(ctx)
    try:
        geojson = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not a JSON file ({exc})") from exc
    try:
        count = service.execute(lambda tx: import_neighbourhoods(tx, CLI_ACTOR, geojson))
    except Problem as problem:
        fail(problem)
    click.echo(f"imported {count} neighbourhoods from {path}")


@city.command("add-alias")
@click.argument("alias")
@click.argument("pcode")
@click.pass_context
def city_add_alias(ctx: click.Context, alias: str, pcode: str) -> None:
    """Teach the gazetteer another name for a place in neighbourhood PCODE."""
    service = service_for(ctx)
    try:
        service.execute(lambda tx: add_alias(tx, CLI_ACTOR, alias, pcode))
    except Problem as problem:
        fail(problem)
    click.echo(f"alias {alias!r} → {pcode}")


@city.command("match")
@click.argument("text")
@click.pass_context
def city_match(ctx: click.Context, text: str) -> None:
    """Show which neighbourhoods a piece of text names, best first."""
    service = service_for(ctx)
    for match in service.city().gazetteer.match(text):
        click.echo(f"{match.pcode}\t{match.score:.2f}\t{match.name}\t({match.matched})")
