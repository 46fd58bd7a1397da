"""`hanano token`: API tokens and their roles."""

from __future__ import annotations

import click
from sqlalchemy import select

from hanano.access import tables as access_tables
from hanano.access.tables import leader_teams
from hanano.access.tokens import create_token, revoke_token
from hanano.console import CLI_ACTOR, fail, service_for
from hanano.errors import Problem
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
@click.pass_context
def token_create(
    ctx: click.Context, role: str, name: str | None, team: str | None, post: str | None
) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    service = service_for(ctx)
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
    service = service_for(ctx)
    try:
        service.execute(lambda tx: revoke_token(tx, CLI_ACTOR, token_id, reason))
    except Problem as problem:
        fail(problem)
    click.echo(f"revoked {token_id}")


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List tokens (ids, roles and a team leader's team; never secrets)."""
    service = service_for(ctx)
    query = (
        select(access_tables.tokens, leader_teams.c.team_id)
        .outerjoin(leader_teams, leader_teams.c.principal_id == access_tables.tokens.c.token_id)
        .order_by(access_tables.tokens.c.created_at)
    )
    with service.engine.connect() as conn:
        for row in conn.execute(query):
            state = f"revoked {row.revoked_at}" if row.revoked_at else "active"
            team = row.team_id or ""
            click.echo(f"{row.token_id}\t{row.role}\t{team}\t{row.name or ''}\t{state}")
