"""Witnesses: outside organisations that cosign the log's checkpoints (C2SP tlog-witness).

A witness keeps, per log, the last checkpoint it cosigned. Before cosigning a new one it checks
the log's signature and an RFC 9162 consistency proof from its last checkpoint, so a log that
shows different histories to different people (a fork) is caught by the first witness that sees
both. The log stores the cosignatures it receives and serves them with the checkpoint, so a
reader who trusts the witness need not trust the log's operators alone.

This module holds both sides: what the log does with a submitted cosignature, and the witness's
own check-and-cosign step (`hanano log witness`), which talks to the log over HTTP.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from hanano.clock import isoformat
from hanano.errors import Problem, conflict, invalid, not_found
from hanano.evidence import merkle, note
from hanano.evidence.cosign import (
    CosignerKey,
    cosign,
    parse_cosignature_line,
    parse_witness_key,
    signature_lines,
    verify_cosignature,
)
from hanano.evidence.log import Checkpoint, parse_checkpoint
from hanano.evidence.tables import checkpoints, cosignatures, witnesses
from hanano.store.sequencer import Tx

MAX_SUBMISSION = 64 * 1024
"""Largest cosignature submission the log reads (a checkpoint and up to 100 signature lines)."""


# --------------------------------------------------------------------------------------------
# The log's side


@dataclass(frozen=True)
class Accepted:
    """Valid cosignatures by registered witnesses of one checkpoint, ready to store."""

    size: int
    cosignatures: list[tuple[str, int, str]]
    """(witness name, timestamp, signature line)"""


def check_cosignatures(conn: Connection, submitted: str) -> Accepted:
    """Check a cosigned checkpoint: the checkpoint note with a witness's lines appended.

    Read-only, so the web layer runs it before anything reaches the single writer: the endpoint
    takes no token, and junk must cost the writer nothing. Refuses (409) a checkpoint the log
    never signed, (403) a submission with no valid cosignature by a registered witness.
    """
    try:
        body, lines = signature_lines(submitted)
        checkpoint = parse_checkpoint(body)
    except ValueError as exc:
        raise invalid("body", f"not a cosigned checkpoint: {exc}") from None
    row = conn.execute(
        select(checkpoints.c.note).where(checkpoints.c.size == checkpoint.size)
    ).first()
    if row is None:
        raise not_found(f"checkpoint of size {checkpoint.size}")
    signed_body, _ = signature_lines(str(row.note))
    if body != signed_body:
        raise conflict(
            f"the log never signed this checkpoint: its checkpoint of size {checkpoint.size} "
            f"has root {_b64(parse_checkpoint(signed_body).root)}, not {_b64(checkpoint.root)}"
        )
    known = _registered(conn)
    accepted: list[tuple[str, int, str]] = []
    for line in lines:
        parsed = parse_cosignature_line(line)
        if parsed is None or (parsed.name, parsed.key_id) not in known:
            continue
        name, key = known[(parsed.name, parsed.key_id)]
        if not verify_cosignature(body, parsed, key):
            raise Problem(403, "Forbidden", f"the cosignature by witness {name!r} does not verify")
        accepted.append((name, parsed.timestamp, parsed.line))
    if not accepted:
        raise Problem(403, "Forbidden", "no cosignature by a registered witness")
    return Accepted(checkpoint.size, accepted)


def store_cosignatures(tx: Tx, accepted: Accepted) -> list[str]:
    """Keep checked cosignatures (the latest per witness and checkpoint); their witnesses."""
    now = isoformat(tx.now())
    for name, stamp, line in accepted.cosignatures:
        _store(tx.conn, accepted.size, name, stamp, line, now)
    return [name for name, _, _ in accepted.cosignatures]


def accept_cosignatures(tx: Tx, submitted: str) -> list[str]:
    """Check and store in one command (the CLI and tests; the web layer checks first)."""
    return store_cosignatures(tx, check_cosignatures(tx.conn, submitted))


def _registered(conn: Connection) -> dict[tuple[str, int], tuple[str, CosignerKey]]:
    rows = conn.execute(select(witnesses.c.name, witnesses.c.key)).all()
    known = {}
    for row in rows:
        key = parse_witness_key(row.key)
        known[(key.name, key.key_id)] = (str(row.name), key)
    return known


def _store(conn: Connection, size: int, name: str, stamp: int, line: str, now: str) -> None:
    held = conn.execute(
        select(cosignatures.c.timestamp).where(
            cosignatures.c.size == size, cosignatures.c.witness == name
        )
    ).first()
    if held is None:
        conn.execute(
            cosignatures.insert().values(
                size=size, witness=name, timestamp=stamp, line=line, received_at=now
            )
        )
    elif stamp > held.timestamp:
        # A later cosignature of the same checkpoint says the same, more recently.
        conn.execute(
            update(cosignatures)
            .where(cosignatures.c.size == size, cosignatures.c.witness == name)
            .values(timestamp=stamp, line=line, received_at=now)
        )


def with_cosignatures(conn: Connection, signed_note: str) -> str:
    """The log's signed checkpoint with every stored cosignature of it appended."""
    body, _ = signature_lines(signed_note)
    size = parse_checkpoint(body).size
    lines = conn.execute(
        select(cosignatures.c.line)
        .where(cosignatures.c.size == size)
        .order_by(cosignatures.c.witness)
    ).scalars()
    return signed_note + "".join(lines)


def verify_cosignatures(conn: Connection) -> tuple[int, list[str]]:
    """Check every stored cosignature against its checkpoint and its witness's registered key.

    Returns how many verify, and a problem for each that does not.
    """
    keys = {str(row.name): parse_witness_key(row.key) for row in conn.execute(select(witnesses))}
    rows = conn.execute(
        select(cosignatures.c.size, cosignatures.c.witness, cosignatures.c.line, checkpoints.c.note)
        .join(checkpoints, checkpoints.c.size == cosignatures.c.size, isouter=True)
        .order_by(cosignatures.c.size, cosignatures.c.witness)
    ).all()
    checked, problems = 0, []
    for row in rows:
        what = f"cosignature of checkpoint {row.size} by witness {row.witness!r}"
        key = keys.get(str(row.witness))
        parsed = parse_cosignature_line(str(row.line))
        if row.note is None or key is None or parsed is None:
            problems.append(f"{what}: its checkpoint or witness is not in the log")
            continue
        body, _ = signature_lines(str(row.note))
        if not verify_cosignature(body, parsed, key):
            problems.append(f"{what} does not verify")
            continue
        checked += 1
    return checked, problems


# --------------------------------------------------------------------------------------------
# The witness's side


class ForkDetected(Exception):
    """The log showed two histories: the witness refuses to cosign. Carries the evidence."""

    def __init__(self, message: str, evidence: list[str]) -> None:
        super().__init__(message)
        self.evidence = evidence


class WitnessError(Exception):
    """The witness could not complete its check (network, signature, malformed answers)."""


@dataclass(frozen=True)
class Cosigned:
    checkpoint: Checkpoint
    previous_size: int
    line: str
    stored_by_log: list[str]


Request = Callable[[str, str, str | None], tuple[int, str]]
"""(method, path with query, text body or None) -> (status, text): the witness's HTTP access."""


def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitnessError(f"state file {path} is unreadable: {exc}") from exc
    if not isinstance(state, dict):
        raise WitnessError(f"state file {path} is not a JSON object")
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically and durably: a witness must never forget what it cosigned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    # The rename itself must reach the disk before the cosignature leaves.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def witness_once(
    request: Request,
    signer_key: str,
    log_key: str,
    state_path: Path,
    now: Callable[[], int] = lambda: int(time.time()),
) -> Cosigned:
    """Fetch the log's latest checkpoint, check it against the state, cosign and submit it.

    Raises ForkDetected (the state is left as it was) when the log contradicts a checkpoint the
    witness cosigned before, WitnessError for anything else that stops the check.
    """
    status, latest = request("GET", "/api/v1/log/checkpoint", None)
    if status != 200:
        raise WitnessError(f"the log answered {status} for its checkpoint: {latest[:200]}")
    checkpoint, body, log_note = open_signed_checkpoint(latest, log_key)
    state = load_state(state_path)
    previous = state.get(checkpoint.origin)
    previous_size = 0
    if previous is not None:
        previous_size = int(previous["size"])
        _check_against(request, checkpoint, log_note, previous, log_key)
    line = cosign(body, signer_key, now())
    state[checkpoint.origin] = {
        "size": checkpoint.size,
        "root": _b64(checkpoint.root),
        "note": log_note,
    }
    # Persisted before the cosignature leaves, so the witness never cosigns a history it could
    # later forget having vouched for.
    save_state(state_path, state)
    status, answer = request("POST", "/api/v1/log/cosignatures", log_note + line)
    if status not in (200, 201):
        raise WitnessError(f"the log refused the cosignature ({status}): {answer[:300]}")
    try:
        stored = list(json.loads(answer).get("stored", []))
    except ValueError:
        stored = []
    return Cosigned(checkpoint, previous_size, line, stored)


def open_signed_checkpoint(text: str, log_key: str) -> tuple[Checkpoint, str, str]:
    """Check the log's signature; return the checkpoint, its body, and the note signed by it."""
    try:
        body = note.open_note(text, [log_key])
        checkpoint = parse_checkpoint(body)
        _, lines = signature_lines(text)
    except (note.NoteError, ValueError) as exc:
        raise WitnessError(f"the checkpoint does not verify with the log key: {exc}") from exc
    key_name = log_key.split("+", 1)[0]
    own = [line for line in lines if line.startswith(f"\u2014 {key_name} ")]
    # Keep only the log's own signature: others' cosignatures are theirs to vouch for.
    return checkpoint, body, body + "\n" + "".join(own)


def _check_against(
    request: Request,
    checkpoint: Checkpoint,
    log_note: str,
    previous: dict[str, Any],
    log_key: str,
) -> None:
    old_size = int(previous["size"])
    old_root = base64.b64decode(previous["root"])
    old_note = str(previous.get("note", ""))
    if checkpoint.size < old_size:
        raise ForkDetected(
            f"FORK: the log's latest checkpoint has {checkpoint.size} entries, fewer than the "
            f"{old_size} this witness cosigned: the log rolled back its history",
            [old_note, log_note],
        )
    if checkpoint.size == old_size:
        if checkpoint.root != old_root:
            raise ForkDetected(
                f"FORK: two checkpoints of size {old_size} with different roots "
                f"({previous['root']} cosigned before, {_b64(checkpoint.root)} now)",
                [old_note, log_note],
            )
        return
    # The log must still stand by the checkpoint this witness cosigned.
    status, past = request("GET", f"/api/v1/log/checkpoint?size={old_size}", None)
    if status == 200:
        past_checkpoint, _, past_note = open_signed_checkpoint(past, log_key)
        if past_checkpoint.root != old_root:
            raise ForkDetected(
                f"FORK: two checkpoints of size {old_size} with different roots "
                f"({previous['root']} cosigned before, {_b64(past_checkpoint.root)} served now)",
                [old_note, past_note],
            )
    status, answer = request(
        "GET", f"/api/v1/log/proof/consistency?from={old_size}&to={checkpoint.size}", None
    )
    proof: list[bytes] = []
    if status == 200:
        try:
            proof = [base64.b64decode(p, validate=True) for p in json.loads(answer)["proof"]]
        except (ValueError, KeyError, TypeError):
            proof = []
    if not merkle.verify_consistency(old_size, checkpoint.size, proof, old_root, checkpoint.root):
        raise ForkDetected(
            f"FORK: the checkpoint of size {checkpoint.size} is not consistent with the one of "
            f"size {old_size} this witness cosigned (the log answered {status} for the proof)",
            [old_note, log_note],
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
