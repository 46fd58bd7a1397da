"""The log pushes each new checkpoint to its witnesses (C2SP tlog-witness `add-checkpoint`).

A thread beside the server, woken by each durable group: for every witness registered with a
URL, it sends the latest checkpoint with the size that witness last cosigned and a consistency
proof from it, and stores the cosignature it answers with (checked like one a witness submits
itself). A witness that is down or refuses is retried with a doubling wait; the writer never
waits on any of it. A 409 tells the size the witness holds, and the push is made again from it.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass, field

import httpx2 as httpx
from sqlalchemy import Connection, func, select

from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.evidence import log
from hanano.evidence.cosign import signature_lines
from hanano.evidence.events import WitnessAdded
from hanano.evidence.tables import cosignatures
from hanano.evidence.witness import check_cosignatures, store_cosignatures
from hanano.evidence.witnesses import push_targets
from hanano.store.records import RecordedEvent

LOG = logging.getLogger(__name__)
TIMEOUT_S = 10.0
SIZE_TYPE = "text/x.tlog.size"
# A cosignature is a line of some hundred bytes, a size a few digits.
MAX_ANSWER = 64 * 1024


class PushError(Exception):
    """A witness did not cosign the checkpoint this time."""


@dataclass
class _Target:
    known: int | None = None
    """The size the witness last cosigned, as far as the log knows."""
    failures: int = 0
    due: float = 0.0


@dataclass
class WitnessPusher:
    runtime: Runtime
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=TIMEOUT_S))
    _targets: dict[str, _Target] = field(default_factory=dict)
    _registered: tuple[int, list[tuple[str, str]]] = (-1, [])
    """(name, url) of the witnesses pushed to, as read when `_additions` was the first."""
    _additions: int = 0
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> WitnessPusher:
        self.runtime.sequencer.add_listener(self.on_events)
        self._thread = threading.Thread(target=self._run, name="hanano-witnesses", daemon=True)
        self._thread.start()
        return self

    def on_events(self, events: list[RecordedEvent]) -> None:
        """In the writer thread: only a wake-up, so the writer never waits on a witness."""
        if any(event.type == WitnessAdded.type for event in events):
            self._additions += 1
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.push_all()
            self._wake.wait(timeout=wait)
            self._wake.clear()

    def push_all(self) -> float:
        """Push to every witness that is due; seconds until the next retry falls due."""
        # Counted before reading, so a witness added during the read is read again next time.
        additions = self._additions
        if self._registered[0] != additions:
            with self.runtime.engine.connect() as conn:
                self._registered = (additions, push_targets(conn))
        targets = self._registered[1]
        settings = self.runtime.settings
        now = time.monotonic()
        next_due = settings.witness_max_backoff_s
        for name, url in targets:
            target = self._targets.setdefault(name, _Target())
            if target.due > now:
                next_due = min(next_due, target.due - now)
                continue
            try:
                self.push(name, url, target)
                target.failures, target.due = 0, 0.0
            except (PushError, Problem, httpx.HTTPError, ValueError) as exc:
                target.failures += 1
                backoff = min(
                    settings.witness_backoff_s * 2 ** (target.failures - 1),
                    settings.witness_max_backoff_s,
                )
                target.due = time.monotonic() + backoff
                next_due = min(next_due, backoff)
                LOG.warning("witness %s (%s): %s; again in %.1f s", name, url, exc, backoff)
        return next_due

    def push(self, name: str, url: str, target: _Target) -> None:
        """Push the latest checkpoint to one witness and store its cosignature. No connection
        to the store stays open while the witness is waited for."""
        engine = self.runtime.engine
        with engine.connect() as conn:
            if log.tree_size(conn) == 0:
                return
            signed = log.latest_checkpoint(conn)
            known = target.known if target.known is not None else cosigned_size(conn, name)
        # The size of this very checkpoint: the log may have grown since it was read.
        size = log.parse_checkpoint(signature_lines(signed)[0]).size
        for _ in range(2):
            if known == size:
                target.known = size
                return
            if known > size:
                raise PushError(
                    f"the witness holds a checkpoint of size {known}, beyond this log's "
                    f"{size}: the log lost entries it had shown (restore it, do not fork)"
                )
            with engine.connect() as conn:
                content = submission(conn, known, size, signed)
            status, kind, text = self._post(url + "/add-checkpoint", content)
            if status == 409 and kind.startswith(SIZE_TYPE):
                known = witness_size(text)
                continue
            if status != 200:
                raise PushError(f"answered {status}: {text[:200]}")
            self.store(signed + text)
            target.known = size
            return
        raise PushError("the witness's size changed twice during one push")

    def _post(self, url: str, content: bytes) -> tuple[int, str, str]:
        """The witness's status, content type and answer, read no further than MAX_ANSWER: a
        witness gone bad cannot fill the server's memory."""
        with self.client.stream("POST", url, content=content) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise PushError(f"answered with a body larger than {MAX_ANSWER} bytes")
            kind = response.headers.get("content-type", "")
            return response.status_code, kind, body.decode("utf-8", "replace")

    def store(self, cosigned: str) -> None:
        """Check the witness's answer as any submitted cosignature is, then keep it."""
        with self.runtime.engine.connect() as conn:
            accepted = check_cosignatures(conn, cosigned)
        self.runtime.execute(lambda tx: store_cosignatures(tx, accepted))


def witness_size(text: str) -> int:
    """The size a 409 says the witness holds: a tree size in ASCII digits, nothing else. A
    witness that answers otherwise is broken or hostile; it is not pushed to from its word."""
    given = text.strip()
    if not (given.isascii() and given.isdigit() and len(given) <= 19):
        raise PushError(f"answered 409 with {given[:40]!r}, which is not a tree size")
    return int(given)


def submission(conn: Connection, old: int, size: int, signed: str) -> bytes:
    """The add-checkpoint body: `old N`, the proof lines, a blank line, the checkpoint."""
    proof = log.consistency(conn, old, size) if old else []
    lines = "".join(base64.b64encode(node).decode("ascii") + "\n" for node in proof)
    return f"old {old}\n{lines}\n{signed}".encode()


def cosigned_size(conn: Connection, name: str) -> int:
    """The largest checkpoint the log holds a cosignature of by this witness (0: none)."""
    found = conn.execute(
        select(func.max(cosignatures.c.size)).where(cosignatures.c.witness == name)
    ).scalar()
    return int(found or 0)


def start_pusher(runtime: Runtime) -> WitnessPusher:
    return WitnessPusher(runtime).start()
