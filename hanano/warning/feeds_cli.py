"""`hanano warn feeds ...` and `hanano warn deliveries`: foreign CAP feeds the server polls, and
how each alert's deliveries to MQTT and webhooks went."""

from __future__ import annotations

import json

import click

from hanano.warning.cli import CLI_ACTOR, _run, _service, warn


@warn.group("feeds")
def feeds_group() -> None:
    """Other agencies' CAP feeds the server polls and imports."""


@feeds_group.command("add")
@click.argument("url")
@click.pass_context
def feeds_add(ctx: click.Context, url: str) -> None:
    """Poll the CAP Atom/RSS feed or CAP document at URL; each new alert is imported once."""
    from hanano.warning.feeds import add_feed

    created = _run(ctx, lambda tx: add_feed(tx, CLI_ACTOR, url))
    click.echo(f"feed {created['feed_id']} polls {created['url']}")


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """Registered feeds with the outcome of their last fetch."""
    from hanano.warning.feeds import list_feeds

    with _service(ctx).engine.connect() as conn:
        items = list_feeds(conn)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for f in items:
        state = f["status"] or "not fetched yet"
        click.echo(
            f"{f['feed_id']}  {f['url']}  {state}  imported {f['imported']}"
            + (f"  error: {f['error']}" if f["error"] else "")
        )


@feeds_group.command("remove")
@click.argument("feed_id")
@click.pass_context
def feeds_remove(ctx: click.Context, feed_id: str) -> None:
    """Stop polling a feed (alerts already imported stay)."""
    from hanano.warning.feeds import remove_feed

    _run(ctx, lambda tx: remove_feed(tx, CLI_ACTOR, feed_id))
    click.echo(f"feed {feed_id} removed")


@warn.command("deliveries")
@click.option(
    "--status", type=click.Choice(["pending", "delivered", "gave_up"]), help="Only these."
)
@click.option("--alert", "alert_id", help="Only this alert's deliveries.")
@click.option("--limit", default=50, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def deliveries(
    ctx: click.Context, status: str | None, alert_id: str | None, limit: int, as_json: bool
) -> None:
    """Alert deliveries to MQTT and webhooks, newest first: attempts, last error, outcome."""
    from hanano.warning.outbox import list_deliveries

    with _service(ctx).engine.connect() as conn:
        items = list_deliveries(conn, status, alert_id, limit)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for d in items:
        when = d["delivered_at"] or d["gave_up_at"] or f"next {d['next_attempt_at']}"
        click.echo(
            f"{d['alert_id']:<8} {d['channel']:<7} {d['status']:<9} attempts {d['attempts']}  "
            f"{when}  {d['target']}" + (f"  ({d['last_error']})" if d["last_error"] else "")
        )
