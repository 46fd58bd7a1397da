"""`hanano field`: what a phone is set up with."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hanano.errors import Problem
from hanano.field import api


@click.group("field")
def field() -> None:
    """Phones in the field: the forms served to ODK Collect and KoboCollect."""


@field.command("forms")
def forms() -> None:
    """List the forms, their versions and hashes, and the roles each is handed to."""
    for form, roles in api.all_forms():
        click.echo(f"{form.form_id}\t{form.version}\tmd5:{form.md5}\t{','.join(sorted(roles))}")


@field.command("qr")
@click.argument("url")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--name", default="hanano", show_default=True, help="The project's name on the phone."
)
def qr(url: str, out: Path, name: str) -> None:
    """Write the QR code that sets up ODK Collect for one phone; reads its token from stdin
    (`hanano token create ... | tail -n 1 | hanano field qr https://HOST --out phone.svg`)."""
    token = sys.stdin.readline().strip()
    if not token:
        raise click.UsageError("give the phone's token on standard input")
    try:
        api.write_collect_qr(url, token, name, out)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"wrote {out}: scan it in Collect (Add project, Scan QR code)")
