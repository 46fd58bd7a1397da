"""`hanano warn ...`: observation posts, air bases, sightings and alerts from the command line."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

import click
from pydantic import ValidationError

from hanano.access.tokens import CONSOLE
from hanano.console import CLI_ACTOR, call, run, service_for
from hanano.errors import Problem
from hanano.warning import api
from hanano.warning.foreign import Origin, import_cap, read_cap
from hanano.warning.manual import ManualAlertIn
from hanano.warning.posts import register_aleppo_bases, register_base, register_post
from hanano.warning.sightings import SightingIn
from hanano.warning.signatures import load_cert
from hanano.warning.sirens import register_siren


@click.group()
def warn() -> None:
    """Early warning: posts, air bases, sightings, alerts."""


@warn.command("add-post")
@click.argument("post_id")
@click.option("--name", required=True, help="Kept sealed: the post is a target if known.")
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.pass_context
def add_post(ctx: click.Context, post_id: str, name: str, lat: float, lon: float) -> None:
    """Register an observation post in the city (its name and position are sealed in the log)."""
    run(ctx, lambda tx: register_post(tx, CLI_ACTOR, post_id, name, lat, lon))
    click.echo(f"observation post {post_id} registered")


@warn.command("add-base")
@click.argument("base_id")
@click.option("--name", required=True)
@click.option("--name-ar", required=True)
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.pass_context
def add_base(
    ctx: click.Context, base_id: str, name: str, name_ar: str, lat: float, lon: float
) -> None:
    """Register a known air base."""
    run(ctx, lambda tx: register_base(tx, CLI_ACTOR, base_id, name, name_ar, lat, lon))
    click.echo(f"air base {base_id} registered")


@warn.command("aleppo-bases")
@click.pass_context
def aleppo_bases(ctx: click.Context) -> None:
    """Register the air bases aircraft bombing Aleppo flew from."""
    count = run(ctx, lambda tx: register_aleppo_bases(tx, CLI_ACTOR))
    click.echo(f"registered {count} air bases")


@warn.command("sighting")
@click.argument("body_json")
@click.pass_context
def sighting(ctx: click.Context, body_json: str) -> None:
    """Submit one sighting given as JSON (the POST /api/v1/sightings body; id and observed_at
    default to a new UUID and now)."""
    service = service_for(ctx)
    try:
        body = json.loads(body_json)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not JSON: {exc}") from exc
    body.setdefault("id", str(uuid.uuid4()))
    body.setdefault("observed_at", service.clock.now().isoformat())
    try:
        parsed = SightingIn.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    result = call(api.report_sighting(service, CONSOLE, parsed))
    click.echo(f"sighting {result.sighting_id} → {result.track_id} ({result.reason})")
    for alert in result.alerts:
        click.echo(f"  alert {alert['alert_id']} {alert['level']}: {' '.join(alert['zones'])}")


@warn.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def alerts(ctx: click.Context, as_json: bool) -> None:
    """Active alerts and those of the last day, newest first."""

    items = api.alerts(service_for(ctx))
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for a in items:
        zones = " ".join(z["pcode"] for z in a["zones"])
        click.echo(f"{a['alert_id']:<8} {a['level']:<9} {a['status']:<6} {a['sent']}  {zones}")


@warn.command("add-siren")
@click.argument("siren_id")
@click.argument("pcodes", nargs=-1, required=True)
@click.pass_context
def add_siren(ctx: click.Context, siren_id: str, pcodes: tuple[str, ...]) -> None:
    """Map a siren to the zones it sounds for; on/off go to hanano/<city>/sirens/SIREN_ID."""
    run(ctx, lambda tx: register_siren(tx, CLI_ACTOR, siren_id, list(pcodes)))
    click.echo(f"siren {siren_id} sounds for {' '.join(sorted(set(pcodes)))}")


def read_cert_file(path: str) -> Any:
    """A partner's signing certificate from a PEM file, or a usage error naming --cert."""
    with open(path, "rb") as handle:
        pem = handle.read(64 * 1024 + 1)
    try:
        return load_cert(pem, "--cert")
    except Problem as problem:
        raise click.ClickException(str(problem)) from None


@warn.command("import-cap")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--cert",
    "cert_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The partner's signing certificate (PEM). The alert must then carry an enveloped "
    "XML-DSig signature covering it whole that verifies with this certificate; otherwise it is "
    "recorded as refused, nothing in it is acted on, and the command exits 1.",
)
@click.pass_context
def import_cap_file(ctx: click.Context, path: str, cert_path: str | None) -> None:
    """Read another agency's CAP 1.1/1.2 alert (at most feed_max_bytes, 5 MB by default); its
    zones become threats on our map. Exits 1 if the alert is refused or cannot be read."""
    service = service_for(ctx)
    limit = service.settings.feed_max_bytes
    trust = read_cert_file(cert_path) if cert_path else None
    with open(path, "rb") as handle:
        document = handle.read(limit + 1)  # one byte over is enough to refuse it
    try:
        reading = read_cap(document, max_bytes=limit, trust=trust, now=service.clock.now())
    except Problem as problem:
        raise click.ClickException(str(problem)) from None
    outcome = run(ctx, lambda tx: import_cap(tx, CLI_ACTOR, reading, origin=Origin("import-cap")))
    if outcome.refused is not None:
        click.echo(f"refused: {outcome.refused} (document SHA-256 {reading.sha256})", err=True)
        ctx.exit(1)
    for item in outcome.imported:
        level = item.level or "none"
        click.echo(f"{item.sender} {item.identifier}: {level} {' '.join(item.pcodes)}")


@warn.command("issue")
@click.argument("pcodes", nargs=-1, required=True)
@click.option("--level", required=True, type=click.Choice(["watch", "warning", "imminent"]))
@click.option("--reason", required=True, help="Why: kept with the alert in the log.")
@click.option("--eta", help="ETA window in minutes, as MIN-MAX (e.g. 4-10).")
@click.option("--expires-min", type=float, help="How long it stands (default: alert_expiry_min).")
@click.pass_context
def issue_alert(
    ctx: click.Context,
    pcodes: tuple[str, ...],
    level: str,
    reason: str,
    eta: str | None,
    expires_min: float | None,
) -> None:
    """Issue an operator's alert for zones (P-codes); it stands until cancelled, cleared or
    expired, like POST /api/v1/alerts."""
    fields: dict[str, Any] = {"zones": list(pcodes), "level": level, "reason": reason}
    if expires_min is not None:
        fields["expires_min"] = expires_min
    if eta:
        low, _, high = eta.partition("-")
        try:
            fields["eta_min_s"] = round(float(low) * 60)
            fields["eta_max_s"] = round(float(high or low) * 60)
        except ValueError:
            raise click.ClickException("--eta: give minutes as MIN-MAX, e.g. 4-10") from None
    try:
        body = ManualAlertIn.model_validate(fields)
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    alert = call(api.issue_alert(service_for(ctx), CONSOLE, body))
    click.echo(f"alert {alert['alert_id']} {level}: {' '.join(sorted(set(pcodes)))}")


def _end(
    ctx: click.Context, alert_id: str, kind: Literal["cancel", "all_clear"], reason: str
) -> None:
    if not reason.strip():
        raise click.ClickException("--reason: say why")
    result, alert = call(api.end_alert(service_for(ctx), CONSOLE, alert_id, kind, reason.strip()))
    cleared = " ".join(result["cleared"]) or "-"
    click.echo(f"alert {alert['alert_id']} {alert['level']} {alert['msg_type']}: {cleared}")
    for reissued in result["reissued"]:
        click.echo(f"  still alerted: {reissued}")


@warn.command("cancel")
@click.argument("alert_id")
@click.option("--reason", required=True)
@click.pass_context
def cancel_alert(ctx: click.Context, alert_id: str, reason: str) -> None:
    """Cancel an alert in force (CAP msgType Cancel, citing it)."""
    _end(ctx, alert_id, "cancel", reason)


@warn.command("all-clear")
@click.argument("alert_id")
@click.option("--reason", required=True)
@click.pass_context
def clear_alert(ctx: click.Context, alert_id: str, reason: str) -> None:
    """Give the all-clear for an alert's zones, citing it."""
    _end(ctx, alert_id, "all_clear", reason)
