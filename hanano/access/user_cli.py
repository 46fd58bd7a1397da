"""`hanano user ...`: the people who log in to the operations room."""

from __future__ import annotations

import sys

import click

from hanano.access.users import USER_ROLES, create_user, hash_password, list_users
from hanano.console import CLI_ACTOR, service_for
from hanano.errors import Problem


@click.group("user")
def user_group() -> None:
    """People who log in to the operations room (argon2id passwords)."""


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(USER_ROLES))
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--team", default=None, help="The team a team_leader acts for, e.g. T-3.")
@click.pass_context
def user_create(
    ctx: click.Context, username: str, role: str, password_stdin: bool, team: str | None
) -> None:
    """Create a login; the password is prompted for (or read from stdin) and only its argon2id
    hash is kept, sealed."""

    password = read_password(password_stdin)
    try:
        hashed = hash_password(password)
        service = service_for(ctx)
        user_id = service.execute(
            lambda tx: create_user(tx, CLI_ACTOR, username, role, hashed, team)
        )
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    bound = f", team {team.strip()}" if team else ""
    click.echo(f"created {user_id} ({role}{bound})")


@user_group.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """Users: id, username and role (never passwords)."""

    with service_for(ctx).engine.connect() as conn:
        for user in list_users(conn):
            click.echo(
                f"{user['id']}\t{user['username'] or ''}\t{user['role']}\t{user['team'] or ''}"
            )
