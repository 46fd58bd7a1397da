"""Trusted time for checkpoints: RFC 3161 timestamps from an outside authority.

A checkpoint proves order, not time: the log's operators could have signed it at any date. A
timestamp token from an independent time-stamping authority (TSA) over the checkpoint's body
proves the checkpoint, and so every event it covers, existed by the token's time.

With HANANO_TSA_URL set, a listener hands each committed group's checkpoint size to a worker
thread, which asks the authority for a token (message imprint: SHA-256 of the checkpoint body)
and stores the whole response. The writer never waits for the network. `hanano log verify`
checks each stored token against the certificate chain in HANANO_TSA_CERT.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx2 as httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from sqlalchemy import Connection, Engine, select

from hanano.clock import isoformat
from hanano.evidence.cosign import signature_lines
from hanano.evidence.tables import checkpoint_timestamps, checkpoints
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Sequencer, Tx

log = logging.getLogger(__name__)

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(Exception):
    """The authority's answer is missing, refused, or does not cover the checkpoint."""


def request_token(url: str, body: str, timeout_s: float = 10.0) -> bytes:
    """Ask the authority at `url` for a timestamp over checkpoint `body`; the DER response."""
    query = (
        TimestampRequestBuilder()
        .data(body.encode("utf-8"))
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    try:
        answer = httpx.post(
            url,
            content=query.as_bytes(),
            headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise TimestampError(f"cannot reach the authority at {url}: {exc}") from exc
    if answer.status_code != 200:
        raise TimestampError(f"the authority answered HTTP {answer.status_code}")
    raw = answer.content
    try:
        response = decode_timestamp_response(raw)
    except ValueError as exc:
        raise TimestampError(f"the authority's answer is not a timestamp response: {exc}") from exc
    if PKIStatus(response.status) != PKIStatus.GRANTED:
        raise TimestampError(f"the authority refused: {' '.join(response.status_string)}")
    if response.tst_info.nonce != query.nonce:
        raise TimestampError("the authority's answer is for another request (nonce)")
    if response.tst_info.message_imprint.message != hashlib.sha256(body.encode()).digest():
        raise TimestampError("the authority timestamped something else (message imprint)")
    return raw


@dataclass(frozen=True)
class Chain:
    """The certificates a token must chain to: self-signed ones are roots."""

    roots: list[x509.Certificate]
    intermediates: list[x509.Certificate] = field(default_factory=list)


def load_chain(path: str | Path) -> Chain:
    certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
    roots = [c for c in certificates if c.issuer == c.subject]
    if not roots:
        raise ValueError(f"{path} holds no self-signed (root) certificate")
    return Chain(roots, [c for c in certificates if c.issuer != c.subject])


def check_token(token: bytes, body: str, chain: Chain) -> datetime:
    """The token's time, if it is a valid timestamp over `body` chaining to `chain`."""
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise TimestampError(f"not a timestamp response: {exc}") from exc
    builder = VerifierBuilder()
    for root in chain.roots:
        builder = builder.add_root_certificate(root)
    for intermediate in chain.intermediates:
        builder = builder.add_intermediate_certificate(intermediate)
    try:
        builder.build().verify_message(response, body.encode("utf-8"))
    except VerificationError as exc:
        raise TimestampError(str(exc)) from exc
    return response.tst_info.gen_time


@dataclass
class TimestampReport:
    checked: int = 0
    earliest: datetime | None = None
    latest: datetime | None = None
    problems: list[str] = field(default_factory=list)


def verify_timestamps(conn: Connection, chain: Chain) -> TimestampReport:
    """Check every stored token against its checkpoint's signed body and the chain."""
    report = TimestampReport()
    rows = conn.execute(
        select(checkpoint_timestamps.c.size, checkpoint_timestamps.c.token, checkpoints.c.note)
        .join(checkpoints, checkpoints.c.size == checkpoint_timestamps.c.size, isouter=True)
        .order_by(checkpoint_timestamps.c.size)
    ).all()
    for row in rows:
        if row.note is None:
            report.problems.append(f"timestamp of checkpoint {row.size}: no such checkpoint")
            continue
        body, _ = signature_lines(str(row.note))
        try:
            when = check_token(bytes(row.token), body, chain)
        except TimestampError as exc:
            report.problems.append(f"timestamp of checkpoint {row.size} does not verify: {exc}")
            continue
        report.checked += 1
        report.earliest = when if report.earliest is None else min(report.earliest, when)
        report.latest = when if report.latest is None else max(report.latest, when)
    return report


def store_token(tx: Tx, size: int, token: bytes, url: str) -> bool:
    """Keep the first token of a checkpoint; False if it already had one."""
    held = tx.conn.execute(
        select(checkpoint_timestamps.c.size).where(checkpoint_timestamps.c.size == size)
    ).first()
    if held is not None:
        return False
    gen_time = decode_timestamp_response(token).tst_info.gen_time
    tx.conn.execute(
        checkpoint_timestamps.insert().values(
            size=size,
            token=token,
            tsa_url=url,
            gen_time=isoformat(gen_time),
            received_at=isoformat(tx.now()),
        )
    )
    return True


def checkpoint_body(conn: Connection, size: int) -> str | None:
    row = conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).first()
    return None if row is None else signature_lines(str(row.note))[0]


def missing(conn: Connection) -> list[int]:
    """Sizes of the checkpoints that have no timestamp yet."""
    stamped = select(checkpoint_timestamps.c.size)
    return list(
        conn.execute(
            select(checkpoints.c.size)
            .where(checkpoints.c.size.not_in(stamped))
            .order_by(checkpoints.c.size)
        ).scalars()
    )


class Timestamper:
    """A worker thread that timestamps each committed checkpoint, off the writer's path."""

    def __init__(
        self,
        engine: Engine,
        sequencer: Sequencer,
        url: str,
        *,
        attempts: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.sequencer = sequencer
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.stamped = 0
        self.failed: list[int] = []

    def on_events(self, events: list[RecordedEvent]) -> None:
        """Sequencer listener: runs in the writer thread, so it only queues the size."""
        if events:
            self._queue.put(events[-1].seq)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="hanano-tsa", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            size = self._queue.get()
            if size is None:
                return
            try:
                self._stamp(size)
            except Exception:
                log.exception("timestamping checkpoint %d failed", size)
                self.failed.append(size)

    def _stamp(self, size: int) -> None:
        with self.engine.connect() as conn:
            body = checkpoint_body(conn, size)
        if body is None:
            raise TimestampError(f"checkpoint {size} is not stored")
        for attempt in range(self.attempts):
            try:
                token = request_token(self.url, body)
                break
            except TimestampError:
                if attempt + 1 == self.attempts or self._stopping.is_set():
                    raise
                time.sleep(self.backoff_s * 2**attempt)
        self.sequencer.execute(lambda tx: store_token(tx, size, token, self.url))
        self.stamped += 1


def stamp_missing(engine: Engine, sequencer: Sequencer, url: str, sizes: Sequence[int]) -> int:
    """Timestamp the given checkpoints now (after an outage of the authority); how many."""
    done = 0
    for size in sizes:
        with engine.connect() as conn:
            body = checkpoint_body(conn, size)
        if body is None:
            continue
        token = request_token(url, body)

        def store(tx: Tx, size: int = size, token: bytes = token) -> bool:
            return store_token(tx, size, token, url)

        if sequencer.execute(store):
            done += 1
    return done
