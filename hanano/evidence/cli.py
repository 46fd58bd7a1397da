"""`hanano log ...`: the evidence log for operators, auditors and investigators."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import httpx2 as httpx

from hanano.access.tokens import CONSOLE
from hanano.console import CLI_ACTOR, service_for, settings_for
from hanano.errors import Problem
from hanano.evidence.audit_run import CannotVerify, event_count, readonly_store, verify_store
from hanano.evidence.cosign import generate_witness_key
from hanano.evidence.log import latest_checkpoint
from hanano.evidence.receipts import ReceiptError, check_receipt, make_receipt
from hanano.evidence.redaction import redact_field
from hanano.evidence.tsa import TimestampError, missing, stamp_missing
from hanano.evidence.witness import ForkDetected, WitnessError, with_cosignatures, witness_once
from hanano.evidence.witnesses import add_witness


@click.group("log")
def log_group() -> None:
    """The tamper-evident event log: checkpoints, receipts, audit, redaction."""


@log_group.command("key")
@click.pass_context
def log_key(ctx: click.Context) -> None:
    """Print the log's verifier key, the one thing a checker needs."""
    click.echo(service_for(ctx).evidence.key.verifier)


@log_group.command("checkpoint")
@click.pass_context
def log_checkpoint(ctx: click.Context) -> None:
    """Print the latest signed checkpoint, with the witnesses' cosignatures of it."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        try:
            click.echo(with_cosignatures(conn, latest_checkpoint(conn)), nl=False)
        except Problem as problem:
            raise click.ClickException(str(problem)) from problem


@log_group.command("receipt")
@click.argument("event_id", type=int)
@click.option("--disclose", multiple=True, help="A sealed field to disclose (repeatable).")
@click.option(
    "--cosigned",
    is_flag=True,
    help="Prove it against the latest checkpoint a witness cosigned, not the very latest.",
)
@click.pass_context
def log_receipt(
    ctx: click.Context, event_id: int, disclose: tuple[str, ...], cosigned: bool
) -> None:
    """Write a self-contained receipt (C2SP tlog-proof) for event EVENT_ID to stdout."""
    service = service_for(ctx)
    with service.engine.connect() as conn:
        try:
            receipt = make_receipt(conn, event_id, CONSOLE, disclose, cosigned=cosigned)
            click.echo(receipt, nl=False)
        except Problem as problem:
            raise click.ClickException(str(problem)) from problem


@log_group.command("check-receipt")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "verifier_key", required=True, help="The log's verifier key.")
@click.option(
    "--witness",
    "witness_keys",
    multiple=True,
    help="A witness's key that must have cosigned the receipt's checkpoint (repeatable).",
)
def log_check_receipt(path: Path, verifier_key: str, witness_keys: tuple[str, ...]) -> None:
    """Check a receipt offline, with nothing but the receipt and the log's public key."""
    try:
        checked = check_receipt(path.read_text(encoding="utf-8"), verifier_key, witness_keys)
    except (ReceiptError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"receipt does NOT verify: {exc}") from exc
    entry = checked.entry
    click.echo(
        f"receipt verifies: event {entry['seq']} ({entry['type']}, {entry['time']}) is "
        f"entry {checked.index} of {checked.origin}, tree size {checked.tree_size}"
    )
    for name, stamp in checked.cosigned_by.items():
        when = datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")
        click.echo(f"cosigned by witness {name} at {when}")
    for name, value in checked.disclosed.items():
        click.echo(f"disclosed {name}: {json.dumps(value, ensure_ascii=False)}")
    click.echo(json.dumps(entry, ensure_ascii=False, indent=2))


@log_group.command("verify")
@click.option(
    "--key",
    "verifier_key",
    default=None,
    help="Verifier key to check against (default: the one of the log's key file, "
    "HANANO_LOG_KEY_FILE or the path the store recorded).",
)
@click.option(
    "--tsa-cert",
    default=None,
    help="PEM chain of the time-stamping authority (default: HANANO_TSA_CERT).",
)
@click.pass_context
def log_verify(ctx: click.Context, verifier_key: str | None, tsa_cert: str | None) -> None:
    """Check the whole log without changing the store: every leaf, root, checkpoint signature,
    the columns that copy each leaf, sealed plaintext against its commitment, cosignatures and
    RFC 3161 timestamps.

    The store is opened read-only: nothing is migrated, signed or created. Each problem is
    printed on its own line as "verdict: what it names", the verdict one of bad_signature,
    key_mismatch, altered, reordered, removed, duplicated, truncated, checkpoint_mismatch,
    unsigned, subtree_missing, column_mismatch, sealed_mismatch, bad_cosignature, bad_timestamp,
    unchecked_timestamps. Exit status: 0 only for an intact log, 1 with verdicts, 2 if the check
    cannot be made (no store, no key).
    """
    settings = settings_for(ctx)
    try:
        with readonly_store(settings.database_url) as conn:
            total = event_count(conn)
            with click.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
                seen = [0]

                def progress(count: int) -> None:
                    bar.update(count - seen[0])
                    seen[0] = count

                outcome = verify_store(conn, settings, verifier_key, tsa_cert, progress)
    except CannotVerify as exc:
        raise _CannotCheck(f"cannot verify the log: {exc}") from None
    report, times = outcome.report, outcome.times
    if report.ok:
        click.echo(f"log verifies: {report.events} events, {report.checkpoints} checkpoints")
        if outcome.cosigned:
            click.echo(f"{outcome.cosigned} witness cosignatures verify")
        if times.checked:
            click.echo(
                f"{times.checked} RFC 3161 timestamps verify, from {times.earliest} "
                f"to {times.latest}"
            )
        click.echo(_truncation_note(report.events, outcome.witnessed_size))
        return
    _print_verdicts(report)
    kinds = sorted({v.kind for v in report.verdicts})
    raise click.ClickException(
        f"log does NOT verify: {len(report.verdicts)} problems ({', '.join(kinds)}); "
        f"first: {report.verdicts[0].message}"
    )


def _truncation_note(events: int, witnessed: int) -> str:
    """What the store alone cannot show: a cut at its end that took its checkpoints with it."""
    if witnessed >= events:
        return f"its end is vouched for by a witness's cosignature (tree of {witnessed})"
    last = f"up to event {witnessed}" if witnessed else "nowhere"
    return (
        f"note: a witness vouches for the log {last}; had the events after that been cut off "
        "with their checkpoints, the store alone could not show it (compare with a witness's "
        "state or a checkpoint kept elsewhere)"
    )


VERDICTS_SHOWN = 20
"""Verdicts printed per kind: a removed event makes every later checkpoint disagree."""


class _CannotCheck(click.ClickException):
    exit_code = 2


def _print_verdicts(report: Any) -> None:
    shown: dict[str, int] = {}
    for verdict in report.verdicts:
        shown[verdict.kind] = shown.get(verdict.kind, 0) + 1
        if shown[verdict.kind] <= VERDICTS_SHOWN:
            click.echo(f"{verdict.kind}: {verdict.message}")
    for kind, count in shown.items():
        if count > VERDICTS_SHOWN:
            click.echo(f"{kind}: {count - VERDICTS_SHOWN} more not shown")


@log_group.command("redact")
@click.argument("event_id", type=int)
@click.argument("field")
@click.option("--reason", required=True)
@click.pass_context
def log_redact(ctx: click.Context, event_id: int, field: str, reason: str) -> None:
    """Erase a sealed field's plaintext and salt for good; the log still verifies."""
    service = service_for(ctx)
    try:
        service.execute(lambda tx: redact_field(tx, CLI_ACTOR, event_id, field, reason))
    except Problem as problem:
        raise click.ClickException(str(problem)) from problem
    service.sequencer.stop()
    # Projections still hold the plaintext; replaying the log without it removes it there too.
    service.rebuild()
    click.echo(f"erased {field} of event {event_id}")


@log_group.command("witness-key")
@click.argument("name")
def log_witness_key(name: str) -> None:
    """Make a witness key pair: the signer key (secret, first line) and the verifier key."""
    try:
        signer, verifier = generate_witness_key(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(signer)
    click.echo(verifier)


@log_group.command("add-witness")
@click.argument("verifier_key")
@click.option("--name", required=True, help="Who runs the witness, as people know them.")
@click.option(
    "--url",
    default=None,
    help="The witness's submission prefix: the server pushes it each new checkpoint.",
)
@click.pass_context
def log_add_witness(ctx: click.Context, verifier_key: str, name: str, url: str | None) -> None:
    """Accept cosignatures by this witness key (logged as an event); with --url, push it each
    new checkpoint to cosign (C2SP tlog-witness)."""
    service = service_for(ctx)
    try:
        service.execute(lambda tx: add_witness(tx, CLI_ACTOR, name, verifier_key, url))
    except Problem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"witness {name} added: {verifier_key.split('+', 1)[0]}")


FORK_EXIT = 3
"""`hanano log witness` exit status when the log showed two histories."""


class _WitnessCommands(click.Group):
    """`witness serve` and `witness pull URL`; a first word that is no subcommand is the pull's
    (`hanano log witness URL ...`, as before there was a witness server)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            return "pull", self.commands["pull"], args
        return super().resolve_command(ctx, args)


@log_group.group("witness", cls=_WitnessCommands, context_settings={"ignore_unknown_options": True})
def log_witness() -> None:
    """As a witness: pull the log's checkpoint and cosign it (`hanano log witness URL`), or
    serve `POST /add-checkpoint` for logs that push to you (`hanano log witness serve`)."""


@log_witness.command("pull")
@click.argument("url")
@click.option(
    "--key", "signer_key", required=True, help="The witness's signer key, or a file holding it."
)
@click.option("--log-key", required=True, help="The log's verifier key (`hanano log key`).")
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("hanano-witness.json"),
    show_default=True,
    help="Where the witness keeps the last checkpoint it cosigned, per log.",
)
def log_witness_pull(url: str, signer_key: str, log_key: str, state_path: Path) -> None:
    """Check the log at URL is consistent with what you cosigned, then cosign it.

    Exits with status 3 and the two conflicting checkpoints on stderr if the log forked.
    """
    signer_key = _signer_key(signer_key)
    with httpx.Client(base_url=url.rstrip("/"), timeout=30.0) as client:

        def request(method: str, path: str, body: str | None) -> tuple[int, str]:
            try:
                answer = client.request(
                    method,
                    path,
                    content=None if body is None else body.encode(),
                    headers={"Content-Type": "text/plain; charset=utf-8"} if body else None,
                )
            except httpx.HTTPError as exc:
                raise WitnessError(f"cannot reach the log at {url}: {exc}") from exc
            return answer.status_code, answer.text

        try:
            done = witness_once(request, signer_key, log_key, state_path)
        except ForkDetected as fork:
            click.echo(f"{fork}", err=True)
            for number, evidence in enumerate(fork.evidence, 1):
                click.echo(f"--- signed checkpoint {number} ---\n{evidence}", err=True, nl=False)
            click.echo("REFUSED: not cosigned; keep these checkpoints as evidence", err=True)
            sys.exit(FORK_EXIT)
        except (WitnessError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    checkpoint = done.checkpoint
    since = f"consistent with size {done.previous_size}" if done.previous_size else "first seen"
    click.echo(done.line, nl=False)
    click.echo(
        f"cosigned {checkpoint.origin} at size {checkpoint.size} ({since}); "
        f"the log stored it for {', '.join(done.stored_by_log) or 'no one'}",
        err=True,
    )


@log_group.command("timestamp")
@click.pass_context
def log_timestamp(ctx: click.Context) -> None:
    """Get RFC 3161 timestamps now for checkpoints that lack one (after the authority was down)."""
    service = service_for(ctx)
    url = service.settings.tsa_url
    if not url:
        raise click.ClickException("no time-stamping authority: set HANANO_TSA_URL")
    with service.engine.connect() as conn:
        sizes = missing(conn)
    try:
        done = stamp_missing(service.engine, service.sequencer, url, sizes)
    except TimestampError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"timestamped {done} of {len(sizes)} checkpoints without a timestamp")


def _signer_key(given: str) -> str:
    """A signer key given on the command line, or read from the file it names."""
    if given.startswith("PRIVATE+KEY+"):
        return given
    try:
        return Path(given).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise click.ClickException(f"--key is neither a signer key nor a file: {exc}") from exc
