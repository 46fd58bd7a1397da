"""`hanano mirror user|token|accounts`: the mirror's own people, who read it abroad.

They are kept beside the mirror's log, never in it; the primary's users and tokens do not open
a mirror (see hanano.access.mirror_accounts)."""

from __future__ import annotations

import click

from hanano.access import api as access_api
from hanano.access.mirror_accounts import MIRROR_TOKEN_ROLES, MIRROR_USER_ROLES
from hanano.access.user_cli import read_password
from hanano.access.users import hash_password
from hanano.console import service_for
from hanano.errors import Problem
from hanano.evidence.mirror_cli import mirror_group


@mirror_group.group("user")
def mirror_user() -> None:
    """People who may sign in to this mirror's operations room, read-only."""


@mirror_user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(MIRROR_USER_ROLES))
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.pass_context
def mirror_user_add(ctx: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Add a login of this mirror's own (only its argon2id hash is kept, beside the log): it
    reads what the role reads on the primary, and may write nothing."""
    password = read_password(password_stdin)
    try:
        hashed = hash_password(password)
        user_id = access_api.add_mirror_user(service_for(ctx), username, role, hashed)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"created {user_id} ({role}, read-only on this mirror)")


@mirror_group.group("token")
def mirror_token() -> None:
    """API tokens of this mirror's own, read-only."""


@mirror_token.command("add")
@click.option("--role", required=True, type=click.Choice(MIRROR_TOKEN_ROLES))
@click.option("--name", default=None, help="Who holds it.")
@click.pass_context
def mirror_token_add(ctx: click.Context, role: str, name: str | None) -> None:
    """Issue a token for this mirror; the secret is printed once, only its SHA-256 is kept."""
    try:
        issued = access_api.add_mirror_token(service_for(ctx), role, name)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"{issued.token_id}\t{issued.role}\t{issued.secret}")


@mirror_token.command("revoke")
@click.argument("token_id")
@click.pass_context
def mirror_token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke one of this mirror's tokens (refused by the server within `auth_cache_s`)."""
    try:
        access_api.revoke_mirror_token(service_for(ctx), token_id)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"revoked {token_id}")


@mirror_group.command("accounts")
@click.pass_context
def mirror_accounts(ctx: click.Context) -> None:
    """This mirror's own users and tokens: id, kind, name, role, revocation (no secrets)."""
    try:
        found = access_api.mirror_account_list(service_for(ctx))
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    for a in found:
        fields = (a["id"], a["kind"], a["name"], a["role"], a["revoked_at"])
        click.echo("\t".join(f or "" for f in fields))
