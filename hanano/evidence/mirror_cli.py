"""`hanano mirror follow`: keep a checked, read-only copy of another hanano's log."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanano.clock import SystemClock
from hanano.console import settings_for
from hanano.domain import Domain
from hanano.evidence import note
from hanano.evidence.archive_format import load_private_key, new_receiver_key
from hanano.evidence.blobs import BlobStore, default_blob_dir
from hanano.evidence.cli import _signer_key
from hanano.evidence.mirror import Followed, Fork, Primary, Refused, Unreachable, follow_once
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.store.registry import Registry

FORK_EXIT = 3


@click.group("mirror")
def mirror_group() -> None:
    """A read-only copy of another hanano's log, checked as it grows (C2SP tlog-mirror)."""


@mirror_group.command("follow")
@click.argument("url")
@click.option("--token", required=True, help="A token of the primary's `mirror` role.")
@click.option("--log-key", "log_key", required=True, help="The primary log's verifier key.")
@click.option(
    "--db", default=None, help="The mirror's own store (sqlite:///PATH or postgresql://)."
)
@click.option("--once", is_flag=True, help="Catch up once and exit (0 when stored and checked).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between looks.")
@click.option(
    "--key",
    "signer_key",
    default=None,
    help="A cosigner key (or a file holding it): each stored checkpoint is cosigned with it.",
)
@click.option(
    "--sealed-key",
    "sealed_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The PEM X25519 private key (`hanano mirror keygen`) whose public key is registered "
    "with the token: sealed fields (names, positions) are then fetched encrypted to it, checked "
    "against their commitments and stored. Without it, the mirror holds commitments only.",
)
@click.pass_context
def mirror_follow(
    ctx: click.Context,
    url: str,
    token: str,
    log_key: str,
    db: str | None,
    once: bool,
    interval: float,
    signer_key: str | None,
    sealed_key: Path | None,
) -> None:
    """Fetch the log at URL (its checkpoint, hash tiles and entry bundles under /tlog/), check
    the signature, every leaf, the root and consistency with what is stored, and only then store
    it: the store can then be served read-only by `hanano serve`. A refused fetch stores
    nothing and exits 1; a fork (a signed checkpoint inconsistent with the stored one) prints
    both signed checkpoints and exits 3. Then the media files the stored entries name are
    fetched by hash (/tlog/blob/<sha256>) into HANANO_BLOB_DIR, each kept only if it hashes to
    its logged hash; one not served yet is tried again on the next run; one whose bytes do not
    match is refused, naming it, and the run exits 1 (the checked entries stay stored)."""
    try:
        note._parse_verifier_key(log_key)
    except ValueError as exc:
        raise click.ClickException(f"--log-key: {exc}") from None
    if db:
        ctx.ensure_object(dict)["db"] = db
    signer = None if signer_key is None else _signer_key(signer_key)
    private = None if sealed_key is None else _private_key(sealed_key)
    settings = settings_for(ctx)
    engine = make_engine(settings.database_url)
    blobs = BlobStore(default_blob_dir(settings.database_url, settings.blob_dir))
    domains: tuple[Domain, ...] = ctx.obj["domains"]
    migrate(engine, [(d.name, d.migrations) for d in domains])
    registry = Registry.merge((d.handlers for d in domains), (t for d in domains for t in d.tables))
    primary = Primary(url, token)
    try:
        _follow(
            lambda: follow_once(
                engine, primary, log_key, registry, SystemClock(), signer, blobs, private
            ),
            once,
            interval,
        )
    except Refused as exc:
        raise click.ClickException(f"refused, nothing stored: {exc}") from None
    except Fork as fork:
        _report_fork(fork)
    finally:
        primary.close()
        engine.dispose()


def _follow(catch_up: Callable[[], Followed], once: bool, interval: float) -> None:
    while True:
        try:
            done = catch_up()
            _report(done)
        except Unreachable as exc:
            if once:
                raise click.ClickException(f"nothing stored: {exc}") from None
            click.echo(f"nothing stored this time: {exc}", err=True)
        else:
            _refuse_blobs(done)
        if once:
            return
        time.sleep(interval)


def _private_key(path: Path) -> X25519PrivateKey:
    try:
        return load_private_key(path.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"--sealed-key {path}: {exc}") from None


def _report(done: Followed) -> None:
    if done.entries:
        click.echo(f"stored entries {done.previous + 1} to {done.size}, checked")
    else:
        click.echo(f"up to date at {done.size} entries")
    if done.cosignature:
        click.echo(done.cosignature, nl=False)
    _report_blobs(done)


def _report_blobs(done: Followed) -> None:
    if done.blobs is None:
        return
    if done.blobs.fetched:
        click.echo(f"stored {done.blobs.fetched} media file(s), each checked against its hash")
    if done.blobs.missing:
        click.echo(
            f"{done.blobs.missing} media file(s) named by the log not here yet: asked for again "
            "on the next run",
            err=True,
        )


def _refuse_blobs(done: Followed) -> None:
    if done.blobs is not None and done.blobs.refused:
        reasons = "; ".join(done.blobs.refused)
        raise click.ClickException(f"refused media file(s), not stored: {reasons}")


def _report_fork(fork: Fork) -> None:
    message, stored, served = fork.args
    click.echo(f"Error: {message}; nothing stored.", err=True)
    click.echo("The checkpoint stored here:", err=True)
    click.echo(stored, err=True)
    click.echo("The checkpoint the log signs now:", err=True)
    click.echo(served, err=True)
    sys.exit(FORK_EXIT)


@mirror_group.command("keygen")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def mirror_keygen(file: Path) -> None:
    """Make the X25519 key pair a mirror is served sealed fields encrypted to: the private key
    into FILE (mode 0600, never overwritten) for `mirror follow --sealed-key`, the public key
    into FILE.pub for the primary's `token create --role mirror --sealed-to`."""
    private_pem, public_pem = new_receiver_key()
    public = file.with_name(file.name + ".pub")
    if public.exists():
        raise click.ClickException(f"{public} exists; it is never overwritten")
    try:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{file} exists; it is never overwritten") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
        handle.flush()
        os.fsync(handle.fileno())
    public.write_bytes(public_pem)
    click.echo(f"private key: {file}\npublic key: {public}")
