"""`hanano warn feeds ...` and `hanano warn deliveries`: foreign CAP feeds the server polls, and
how each alert's deliveries to MQTT and webhooks went."""

from __future__ import annotations

import json

import click

from hanano.console import CLI_ACTOR, run, service_for
from hanano.warning.cli import read_cert_file, warn
from hanano.warning.feeds import add_feed, list_feeds, remove_feed
from hanano.warning.outbox import list_deliveries
from hanano.warning.refusals import list_refused


@warn.group("feeds")
def feeds_group() -> None:
    """Other agencies' CAP feeds the server polls and imports."""


@feeds_group.command("add")
@click.argument("url")
@click.option(
    "--cert",
    "cert_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The agency's signing certificate (PEM). Each alert of the feed must then carry an "
    "enveloped XML-DSig signature that verifies with it; one that does not is recorded as "
    "refused, with the reason, and never acted on.",
)
@click.pass_context
def feeds_add(ctx: click.Context, url: str, cert_path: str | None) -> None:
    """Poll the CAP Atom/RSS feed or CAP document at URL; each new alert is imported once.
    To change a feed's certificate, remove the feed and add it again."""
    trust = read_cert_file(cert_path) if cert_path else None
    created = run(ctx, lambda tx: add_feed(tx, CLI_ACTOR, url, trust))
    signed = f", signed by certificate SHA-256 {trust.sha256}" if trust else ""
    click.echo(f"feed {created['feed_id']} polls {created['url']}{signed}")


@feeds_group.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (as GET /api/v1/feeds) instead of a table."
)
@click.pass_context
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """Registered feeds with the outcome of their last fetch, their signing certificate, and
    the alerts refused for their signature (with the reason), then those refused from
    `hanano warn import-cap` and the API."""
    with service_for(ctx).engine.connect() as conn:
        items = list_feeds(conn)
        refused = list_refused(conn)
    if as_json:
        body = {"feeds": items, "count": len(items), "refused": refused}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for f in items:
        state = f["status"] or "not fetched yet"
        signed = f"  cert {f['cert_sha256'][:16]}" if f["cert_sha256"] else ""
        click.echo(
            f"{f['feed_id']}  {f['url']}  {state}  imported {f['imported']}{signed}"
            + (f"  error: {f['error']}" if f["error"] else "")
        )
        for r in f["refused"]:
            click.echo(f"  {_refusal_line(r)}")
    others = [r for r in refused if r["feed_id"] is None]
    if others:
        click.echo("refused outside feeds:")
        for r in others:
            click.echo(f"  {_refusal_line(r)}")


def _refusal_line(r: dict[str, object]) -> str:
    claimed = " ".join(str(v) for v in (r["claimed_sender"], r["claimed_identifier"]) if v)
    where = r["url"] or r["source"]
    return f"refused {r['refused_at']} {where} {claimed or '-'}: {r['reason']}"


@feeds_group.command("remove")
@click.argument("feed_id")
@click.pass_context
def feeds_remove(ctx: click.Context, feed_id: str) -> None:
    """Stop polling a feed (alerts already imported stay)."""
    run(ctx, lambda tx: remove_feed(tx, CLI_ACTOR, feed_id))
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
    with service_for(ctx).engine.connect() as conn:
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
