"""`hanano token`: API tokens and their roles."""

from __future__ import annotations

from pathlib import Path

import click

from hanano.access import api
from hanano.access.tokens import CONSOLE
from hanano.console import call, service_for
from hanano.events import ROLES


@click.group()
def token() -> None:
    """API tokens and their roles."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default=None, help="Who holds it (kept sealed).")
@click.option("--team", default=None, help="The team a team_leader token acts for, e.g. T-3.")
@click.option(
    "--post", default=None, help="The observation post a spotter token reports from, e.g. east-1."
)
@click.option(
    "--sealed-to",
    "sealed_to",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A mirror's PEM X25519 public key (`hanano mirror keygen`): sealed fields are served "
    "to the token encrypted to it.",
)
@click.pass_context
def token_create(
    ctx: click.Context,
    role: str,
    name: str | None,
    team: str | None,
    post: str | None,
    sealed_to: Path | None,
) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    pem = None if sealed_to is None else sealed_to.read_text(encoding="utf-8", errors="replace")
    issued = call(api.create_token(service_for(ctx), CONSOLE, role, name, team, post, pem))
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
    call(api.revoke_token(service_for(ctx), CONSOLE, token_id, reason))
    click.echo(f"revoked {token_id}")


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List tokens (ids, roles and a team leader's team; never secrets)."""
    for token in api.list_tokens(service_for(ctx)):
        state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
        team = token["team"] or ""
        click.echo(f"{token['id']}\t{token['role']}\t{team}\t{token['name'] or ''}\t{state}")
