"""`hanano media ...`: photos and videos as evidence, and their chain of custody."""

import json
from pathlib import Path
from typing import Any

import click

from hanano.console import CLI_ACTOR, service_for
from hanano.errors import Problem
from hanano.evidence.media import Claims, custody, register_device_key
from hanano.evidence.media_ops import export, ingest, working_copy


@click.group("media")
def media_group() -> None:
    """Photos and videos: evidentiary originals, working copies, exports, chain of custody."""


@media_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--incident", "incident_id", required=True, help="The incident the file shows.")
@click.option(
    "--captured-at",
    help="Capture time as the device claims it (ISO 8601 with offset; kept in UTC).",
)
@click.option("--lat", type=float, help="Capture place as the device claims it (sealed).")
@click.option("--lon", type=float)
@click.option("--device-key", "device_key_id", help="Id (name+keyid) of the signing device key.")
@click.option("--signature", help="Base64 Ed25519 signature of the device over the SHA-256.")
@click.pass_context
def media_add(
    ctx: click.Context,
    path: Path,
    incident_id: str,
    captured_at: str | None,
    lat: float | None,
    lon: float | None,
    device_key_id: str | None,
    signature: str | None,
) -> None:
    """Store FILE as an evidentiary original and log it; prints its SHA-256."""
    service = service_for(ctx)
    claims = Claims(captured_at, lat, lon, device_key_id, signature)
    try:
        with path.open("rb") as source:
            done = ingest(service, CLI_ACTOR, source, incident_id, claims)
    except Problem as problem:
        raise click.ClickException(str(problem)) from problem
    added = done.added
    click.echo(f"event {added.seq}: {added.media_type}, {added.size} bytes", err=True)
    click.echo(added.sha256)


@media_group.command("register-device")
@click.argument("verifier_key")
@click.pass_context
def media_register_device(ctx: click.Context, verifier_key: str) -> None:
    """Register a capture device's verifier key (name+keyid+base64); prints its id."""
    service = service_for(ctx)
    try:
        key_id = service.execute(lambda tx: register_device_key(tx, CLI_ACTOR, verifier_key))
    except Problem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(key_id)


@media_group.command("copy")
@click.argument("sha256")
@click.option("--reason", required=True, help="Why a working copy is needed (logged).")
@click.option(
    "--derived",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A derivative made from the original (resized, redacted) to keep as its working copy.",
)
@click.pass_context
def media_copy(ctx: click.Context, sha256: str, reason: str, derived: Path | None) -> None:
    """Make a working copy of an original (the original is never touched); prints its path."""
    service = service_for(ctx)
    try:
        copy, seq = working_copy(service, CLI_ACTOR, sha256, reason, derived)
    except Problem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"event {seq}: working copy of {sha256}", err=True)
    click.echo(str(copy.path))


@media_group.command("export")
@click.argument("sha256")
@click.option(
    "--to",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the original, its receipt and custody to.",
)
@click.option("--reason", required=True, help="Why it leaves the store (logged).")
@click.option("--recipient", help="Who receives it (logged).")
@click.pass_context
def media_export(
    ctx: click.Context, sha256: str, directory: Path, reason: str, recipient: str | None
) -> None:
    """Export an original with a receipt of its logged hash and its chain of custody."""
    service = service_for(ctx)
    try:
        written, seq = export(service, CLI_ACTOR, sha256, directory, reason, recipient)
    except (Problem, FileExistsError) as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"event {seq}: exported {sha256}", err=True)
    for path in written:
        click.echo(str(path))


@media_group.command("custody")
@click.argument("sha256")
@click.option("--json", "as_json", is_flag=True, help="Print the log entries as JSON.")
@click.pass_context
def media_custody(ctx: click.Context, sha256: str, as_json: bool) -> None:
    """Print a file's chain of custody, read from the log."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        try:
            chain = custody(conn, sha256)
        except Problem as problem:
            raise click.ClickException(str(problem)) from problem
    if as_json:
        click.echo(json.dumps(chain, ensure_ascii=False, indent=2))
        return
    for entry in chain:
        data = entry["data"]
        detail = _detail(entry["action"], data)
        mark = "" if entry["leaf_matches"] else "  [ENTRY DOES NOT MATCH ITS LEAF HASH]"
        click.echo(
            f"event {entry['seq']}  {entry['time']}  {entry['action']:<8}  by {entry['actor']}"
            f"  {detail}{mark}"
        )


def _detail(action: str, data: dict[str, Any]) -> str:
    if action == "added":
        parts = [f"{data['media_type']}, {data['size']} bytes, incident {data['incident_id']}"]
        if data.get("captured_at"):
            parts.append(f"captured {data['captured_at']} (device's claim)")
        if data.get("device_key_id"):
            parts.append(f"signed by device {data['device_key_id']}")
        return "; ".join(parts)
    if action == "copied":
        return f"{data['derivation']} copy {data['path']} ({data['copy_sha256']}): {data['reason']}"
    if action == "exported":
        to = f" for {data['recipient']}" if data.get("recipient") else ""
        return f"to {data['destination']}{to}: {data['reason']}"
    return f"via {data.get('via', '?')}: {data.get('reason', '')}"
