"""`hanano sms`: the gateways that forward SMS, and the numbers that act with a role."""

from __future__ import annotations

import click

from hanano.access.tokens import CONSOLE
from hanano.console import call, service_for
from hanano.field import api


@click.group("sms")
def sms() -> None:
    """SMS in and out through an Android phone running SMS Gateway for Android."""


@sms.command("add-gateway")
@click.argument("name")
@click.option("--signing-key", required=True, help="The webhook signing key set in the app.")
@click.option("--send-url", help="The app's send API, to reply (e.g. http://PHONE:8080/message).")
@click.option("--username", help="The send API's user.")
@click.option("--password", help="The send API's password.")
@click.pass_context
def add_gateway(
    ctx: click.Context,
    name: str,
    signing_key: str,
    send_url: str | None,
    username: str | None,
    password: str | None,
) -> None:
    """Accept the SMS a gateway phone forwards to POST /api/v1/sms/inbound, and reply through it."""
    if (username or password) and not send_url:
        raise click.UsageError("--username and --password go with --send-url")
    send = (send_url, username or "", password or "") if send_url else None
    call(api.add_gateway(service_for(ctx), CONSOLE, name, signing_key, send))
    click.echo(f"gateway {name} added")


@sms.command("add-phone")
@click.argument("number")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["team_leader", "spotter", "reporter", "dispatcher"]),
)
@click.option("--team", help="The team a team leader's number acts for (T-N).")
@click.option("--name", help="Whose number it is (kept sealed).")
@click.option(
    "--zone",
    "zones",
    multiple=True,
    help="A neighbourhood (P-code or name) whose alerts this number is sent by SMS; repeatable.",
)
@click.pass_context
def add_phone(
    ctx: click.Context,
    number: str,
    role: str,
    team: str | None,
    name: str | None,
    zones: tuple[str, ...],
) -> None:
    """Let a number act with a role: a team leader's steps and check-ins, a spotter's sightings.
    A team leader's number is also sent its team's pull-back orders by SMS."""
    phone_id = call(api.add_phone(service_for(ctx), CONSOLE, number, role, team, name, zones))
    click.echo(f"{phone_id} added as {role}")
