"""`hanano log witness serve`: a witness that logs push their checkpoints to (tlog-witness)."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from hanano.evidence import note
from hanano.evidence.cli import _signer_key, log_witness
from hanano.evidence.cosign import witness_key_from_signer
from hanano.evidence.witness_record import DatabaseRecord, FileRecord
from hanano.evidence.witness_server import Witness, witness_app


@log_witness.command("serve")
@click.option(
    "--key", "signer_key", required=True, help="The witness's signer key, or a file holding it."
)
@click.option(
    "--log-key",
    "log_keys",
    required=True,
    multiple=True,
    help="A log's verifier key; the log is known by the key's name (repeatable).",
)
@click.option(
    "--origin",
    default=None,
    help="The checkpoints' origin, when it is not the key's name (one --log-key only).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("hanano-witness.json"),
    show_default=True,
    help="Where the witness records the last checkpoint it cosigned, per log.",
)
@click.option(
    "--db",
    "db_url",
    default=None,
    help="Record them in this database instead (sqlite:///PATH or postgresql://...).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port to listen on.")
def log_witness_serve(
    signer_key: str,
    log_keys: tuple[str, ...],
    origin: str | None,
    state_path: Path,
    db_url: str | None,
    host: str,
    port: int,
) -> None:
    """Answer `POST /add-checkpoint` (C2SP tlog-witness): check each pushed checkpoint's
    signature and consistency proof, record its size, and answer with a cosignature."""
    record = FileRecord(state_path) if db_url is None else DatabaseRecord(db_url)
    witness = Witness(_signer_key(signer_key), known_logs(log_keys, origin), record)
    try:
        click.echo(f"witness key: {witness_key_from_signer(witness.signer_key)}", err=True)
    except ValueError as exc:
        raise click.ClickException(f"--key: {exc}") from exc
    try:
        uvicorn.run(witness_app(witness), host=host, port=port, log_level="warning")
    finally:
        record.close()


def known_logs(log_keys: tuple[str, ...], origin: str | None) -> dict[str, str]:
    """Each log's origin and verifier key; a malformed key stops the witness before it serves."""
    if origin is not None and len(log_keys) != 1:
        raise click.ClickException("--origin names the log of a single --log-key")
    known = {}
    for key in log_keys:
        try:
            note._parse_verifier_key(key)
        except ValueError as exc:
            raise click.ClickException(f"--log-key {key[:40]}: {exc}") from exc
        known[origin or key.split("+", 1)[0]] = key
    return known
