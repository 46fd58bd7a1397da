"""`hanano report` and `hanano incidents`: intake from the command line."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click
from pydantic import ValidationError

from hanano.access.tokens import CONSOLE
from hanano.console import call, service_for
from hanano.intake import api
from hanano.intake.model import ReportIn
from hanano.intake.views import IncidentFilter


@click.command()
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        ["strike", "collapse", "fire", "casualties", "trapped", "blocked_road", "other"]
    ),
)
@click.option(
    "--source",
    default="radio_log",
    show_default=True,
    type=click.Choice(["citizen", "spotter", "team", "hospital", "radio_log"]),
)
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--accuracy", "accuracy_m", type=float)
@click.option("--text")
@click.option("--trapped", type=int)
@click.option("--casualties", type=int)
@click.option(
    "--observed-at",
    help="ISO 8601 time with offset (default: now); refused before HANANO_EARLIEST_OBSERVED_AT "
    "or more than HANANO_MAX_FUTURE_MIN minutes ahead.",
)
@click.option("--id", "report_id", help="Report UUID (default: a new one).")
@click.pass_context
def report(ctx: click.Context, /, **fields: Any) -> None:
    """Submit one report from the command line and show the incident it joined."""
    service = service_for(ctx)
    body = {k: v for k, v in fields.items() if v is not None and k != "report_id"}
    body["id"] = fields["report_id"] or str(uuid.uuid4())
    body["observed_at"] = fields["observed_at"] or service.clock.now().isoformat()
    try:
        parsed = ReportIn.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    result = call(api.submit_report(service, CONSOLE, parsed))
    click.echo(f"report {result.report_id} → {result.incident_id} ({result.reason})")


@click.command()
@click.option("--status", type=click.Choice(["open", "responding", "cleared", "closed"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def incidents(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List incidents, most severe and newest first."""

    items = api.list_incidents(service_for(ctx), CONSOLE, IncidentFilter(status=status))
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        zone = item["neighbourhood"]["name_en"] if item["neighbourhood"] else "?"
        click.echo(
            f"{item['id']:<10} sev {item['severity']}  {item['status']:<10} "
            f"{item['kind']:<12} {zone:<28} reports {item['report_count']:<3} "
            f"last {item['last_report_at']}"
        )
