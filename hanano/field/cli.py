"""`hanano field`: what a phone is set up with."""

from __future__ import annotations

import click

from hanano.field import api


@click.group("field")
def field() -> None:
    """Phones in the field: the forms served to ODK Collect and KoboCollect."""


@field.command("forms")
def forms() -> None:
    """List the forms, their versions and hashes, and the roles each is handed to."""
    for form, roles in api.all_forms():
        click.echo(f"{form.form_id}\t{form.version}\tmd5:{form.md5}\t{','.join(sorted(roles))}")
