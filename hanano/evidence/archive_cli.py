"""`hanano store export` and `hanano store import`: the whole operation in one file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hanano.clock import SystemClock
from hanano.console import service_for, settings_for
from hanano.evidence.archive_export import NothingSigned, write_archive_file
from hanano.evidence.archive_format import (
    ArchiveRefused,
    SealedCipher,
    load_private_key,
    load_public_key,
)
from hanano.evidence.archive_import import import_file
from hanano.evidence.media_ops import blob_store


def _passphrase() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException(
            "give the passphrase for the log's signing key on the first line of standard input"
        )
    return line


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "receiver",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM X25519 public key to encrypt sealed fields to; without it they travel in clear.",
)
@click.pass_context
def export_command(ctx: click.Context, file: Path, receiver: Path | None) -> None:
    """Write the log, its checkpoints, cosignatures, timestamps, sealed fields, media and its
    signing key (under a passphrase read from standard input) into one archive FILE."""
    passphrase = _passphrase()
    cipher = None
    if receiver is not None:
        try:
            cipher = SealedCipher.to(load_public_key(receiver.read_bytes()))
        except ValueError as exc:
            raise click.ClickException(f"--to {receiver}: {exc}") from None
    service = service_for(ctx)
    evidence = service.evidence
    try:
        done = write_archive_file(
            file,
            engine=service.engine,
            key=evidence.key,
            origin=evidence.origin,
            passphrase=passphrase,
            blobs=blob_store(service),
            receiver=cipher,
        )
    except FileExistsError:
        raise click.ClickException(f"{file} exists; it is never overwritten") from None
    except NothingSigned as exc:
        raise click.ClickException(str(exc)) from None
    sealed = "encrypted to the receiver's key" if done.sealed_encrypted else "IN CLEAR"
    click.echo(
        f"exported {done.events} events, {done.checkpoints} checkpoints and {done.blobs} media "
        f"files to {file}; sealed fields {sealed}"
    )
    for digest in done.missing_blobs:
        click.echo(f"warning: media {digest} is logged but its file is not here", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", default=None, help="The empty store to import into.")
@click.option(
    "--sealed-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM X25519 private key, for an archive whose sealed fields were encrypted to it.",
)
@click.pass_context
def import_command(ctx: click.Context, file: Path, db: str | None, sealed_key: Path | None) -> None:
    """Check archive FILE through (every member's hash, leaf, checkpoint signature and root,
    sealed value and blob), then write it into an empty store and rebuild the projections. The
    key's passphrase is read from standard input."""
    passphrase = _passphrase()
    if db:
        ctx.ensure_object(dict)["db"] = db
    private = None
    if sealed_key is not None:
        try:
            private = load_private_key(sealed_key.read_bytes())
        except ValueError as exc:
            raise click.ClickException(f"--sealed-key {sealed_key}: {exc}") from None
    try:
        done = import_file(
            settings_for(ctx), file, passphrase, private, SystemClock(), ctx.obj["domains"]
        )
    except ArchiveRefused as exc:
        raise click.ClickException(f"refused, nothing written: {exc}") from None
    click.echo(
        f"imported {done.events} events, {done.checkpoints} checkpoints and {done.blobs} media "
        f"files; replayed {done.replayed} events into the projections"
    )
