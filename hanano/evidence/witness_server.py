"""A witness that logs push to (C2SP tlog-witness `add-checkpoint`), run by a partner abroad.

The log sends its new checkpoint with the size the witness last cosigned and a consistency proof
from it; the witness checks the log's signature and the proof, records the new size, and answers
with its cosignature (C2SP tlog-cosignature, cosignature/v1). The answers follow the spec: 404
for a log it does not know, 403 for a bad signature, 400 for a malformed request, 409 (with the
size it knows) when the log's idea of the last cosigned size is not its own, 422 for a proof or
root that does not hold, and 413 for a request over 64 KiB, read no further.

The record (`hanano.evidence.witness_record`) is the state file the pulling witness (`hanano log
witness URL`) keeps, so one witness can be both pushed to and pull, or a database of its own.
Each check-and-record holds it against every other request and process, and the new size is
written atomically and durably before the cosignature leaves: a crash never leaves half a
record, nor a cosignature the record forgot.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hanano.evidence import merkle, note
from hanano.evidence.cosign import cosign, signature_lines
from hanano.evidence.log import Checkpoint, parse_checkpoint
from hanano.evidence.witness_record import Record

MAX_REQUEST = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    media_type: str = TEXT


class Refused(Exception):
    def __init__(self, status: int, body: str, media_type: str = TEXT) -> None:
        super().__init__(body)
        self.answer = Answer(status, body if body.endswith("\n") else body + "\n", media_type)


@dataclass(frozen=True)
class Submission:
    old_size: int
    proof: list[bytes]
    signed: str
    body: str
    checkpoint: Checkpoint


def parse_submission(raw: bytes) -> Submission:
    """The old size line, the proof lines, a blank line, the checkpoint; 400 if not that."""
    if len(raw) > MAX_REQUEST:
        raise Refused(400, f"the request is larger than {MAX_REQUEST} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the request is not UTF-8") from None
    head, sep, signed = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise Refused(400, "the request starts with `old <size>`, then proof lines, a blank line")
    old_size = _size(lines[0][len("old ") :])
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refused(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [_hash_line(line) for line in lines[1:]]
    try:
        body, _ = signature_lines(signed)
        checkpoint = parse_checkpoint(body)
    except ValueError as exc:
        raise Refused(400, f"not a signed checkpoint: {exc}") from None
    if old_size > checkpoint.size:
        raise Refused(400, f"old size {old_size} is above the checkpoint's {checkpoint.size}")
    return Submission(old_size, proof, signed, body, checkpoint)


def _size(text: str) -> int:
    # A tree size fits in 64 bits: 20 digits; int() refuses thousands.
    if (
        not text.isascii()
        or not text.isdigit()
        or (text.startswith("0") and text != "0")
        or len(text) > 20
    ):
        raise Refused(400, f"old size {text!r} is not a decimal without leading zeros")
    return int(text)


def _hash_line(line: str) -> bytes:
    raw = note._b64decode(line)
    if raw is None or len(raw) != merkle.HASH_SIZE:
        raise Refused(400, f"proof line {line[:60]!r} is not a base64 32-byte hash")
    return raw


class Witness:
    """Checks and cosigns pushed checkpoints of the logs it knows, by origin."""

    def __init__(
        self,
        signer_key: str,
        log_keys: dict[str, str],
        record: Record,
        now: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.signer_key = signer_key
        self.log_keys = log_keys
        self.record = record
        self.now = now

    def add_checkpoint(self, raw: bytes) -> Answer:
        try:
            return self._add(parse_submission(raw))
        except Refused as refused:
            return refused.answer

    def _add(self, sub: Submission) -> Answer:
        origin = sub.checkpoint.origin
        log_key = self.log_keys.get(origin)
        if log_key is None:
            raise Refused(404, f"this witness does not know the log {origin!r}")
        try:
            note.open_note(sub.signed, [log_key])
        except note.NoteError as exc:
            raise Refused(403, f"the checkpoint is not signed by the log's key: {exc}") from None
        with self.record.locked() as state:
            held = state.get(origin) or {}
            known = int(str(held.get("size", 0)))
            if sub.old_size != known:
                raise Refused(409, f"{known}", SIZE_TYPE)
            old_root = base64.b64decode(str(held["root"])) if held else merkle.EMPTY_ROOT
            _check_consistency(sub, old_root)
            line = cosign(sub.body, self.signer_key, self.now())
            own = _own_signature(sub.signed, log_key)
            state[origin] = {
                "size": sub.checkpoint.size,
                "root": base64.b64encode(sub.checkpoint.root).decode("ascii"),
                "note": sub.body + "\n" + "".join(own),
            }
        return Answer(200, line)


def _check_consistency(sub: Submission, old_root: bytes) -> None:
    new = sub.checkpoint
    if new.size == 0 and new.root != merkle.EMPTY_ROOT:
        raise Refused(422, "a checkpoint of size 0 must have the empty tree's root")
    if sub.old_size == 0:
        if sub.proof:
            raise Refused(422, "from size 0 the consistency proof is empty")
        return
    if sub.old_size == new.size:
        if new.root != old_root or sub.proof:
            raise Refused(422, f"a different root for size {new.size} than the one cosigned")
        return
    if not merkle.verify_consistency(sub.old_size, new.size, sub.proof, old_root, new.root):
        raise Refused(422, f"the proof from size {sub.old_size} to {new.size} does not verify")


def _own_signature(signed: str, log_key: str) -> Sequence[str]:
    _, lines = signature_lines(signed)
    name = log_key.split("+", 1)[0]
    return [line for line in lines if line.startswith(f"\u2014 {name} ")]


def witness_app(witness: Witness) -> Starlette:
    """The witness's HTTP interface: `POST /add-checkpoint`, nothing else."""

    async def add_checkpoint(request: Request) -> Response:
        raw = await _bounded_body(request)
        if raw is None:
            too_large = f"the request is larger than {MAX_REQUEST} bytes\n"
            return Response(too_large, status_code=413, media_type=TEXT)
        answer = await run_in_threadpool(witness.add_checkpoint, raw)
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type)

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_REQUEST: read no further than that, whatever
    length the request claims or leaves out."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
