"""A mirror's copies of the media originals its log names, fetched by hash after the entries.

The log holds each original's SHA-256 and size (`evidence.media_added`), never its bytes, so the
files are outside the checked tree. The entries that name a file are stored with a row saying it
is wanted, in the entries' own transaction. After that commit each wanted file is fetched from
the primary's `/tlog/blob/<sha256>`, hashed as it is written, and kept as the primary keeps it
(`hanano.evidence.blobs`) only if it hashes to the logged hash within the logged size; only then
does its row go. A file the primary does not serve (not there yet, or the network drops) keeps
its row with the reason, and is asked for again on the next run; so does one whose bytes do not
match, which is refused by name. A follower killed in the middle leaves each file wholly there or
not at all, and its row: the next run finds the file and drops the row, or fetches it again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, inspect, select

from hanano.clock import Clock, isoformat
from hanano.evidence.blobs import BlobStore, Mismatch, TooLarge, is_sha256_hex
from hanano.evidence.mirror_primary import Primary, Unreachable
from hanano.evidence.tables import mirror_blobs
from hanano.store.records import RecordedEvent

log = logging.getLogger(__name__)

MEDIA_ADDED = "evidence.media_added"
Outcome = Literal["stored", "missing", "refused"]


@dataclass(frozen=True)
class BlobsFollowed:
    fetched: int
    missing: int
    """Files the log names that are still not here, the refused ones included."""
    refused: tuple[str, ...]
    """Why each refused file was refused, naming it."""


def blob_path(sha256: str) -> str:
    """Where the primary serves an original, under its /tlog/."""
    return f"blob/{sha256}"


def want(conn: Connection, events: list[RecordedEvent]) -> None:
    """Note, with the stored entries, each original they name that this store must fetch."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.type != MEDIA_ADDED:
            continue
        sha256, size = event.data.get("sha256"), event.data.get("size")
        if not isinstance(sha256, str) or not is_sha256_hex(sha256) or not isinstance(size, int):
            log.warning("event %d names no file by SHA-256 and size: none to fetch", event.seq)
            continue
        rows.setdefault(sha256, {"sha256": sha256, "seq": event.seq, "size": size, "attempts": 0})
    if not rows:
        return
    noted = conn.execute(select(mirror_blobs.c.sha256).where(mirror_blobs.c.sha256.in_(rows)))
    for sha256 in noted.scalars():
        del rows[sha256]
    if rows:
        conn.execute(mirror_blobs.insert(), list(rows.values()))


def missing_blobs(conn: Connection) -> int:
    """How many originals the log here names that this store does not hold yet."""
    if not inspect(conn).has_table(mirror_blobs.name):
        return 0
    return int(conn.execute(select(func.count()).select_from(mirror_blobs)).scalar_one())


def fetch_missing(
    engine: Engine, primary: Primary, store: BlobStore, clock: Clock
) -> BlobsFollowed:
    """Fetch every wanted original, checking each against its logged hash before it is kept."""
    with engine.connect() as conn:
        wanted = conn.execute(
            select(mirror_blobs.c.sha256, mirror_blobs.c.size).order_by(mirror_blobs.c.seq)
        ).all()
    fetched, missing, refused = 0, 0, []
    with ThreadPoolExecutor(primary.workers) as pool:
        outcomes = pool.map(lambda row: _fetch(primary, store, row.sha256, row.size), wanted)
        for row, (outcome, reason) in zip(wanted, outcomes, strict=True):
            if outcome == "stored":
                fetched += 1
                _forget(engine, row.sha256)
                continue
            missing += 1
            if outcome == "refused":
                refused.append(reason)
            _note_failure(engine, row.sha256, reason, clock)
    return BlobsFollowed(fetched, missing, tuple(refused))


def _fetch(primary: Primary, store: BlobStore, sha256: str, size: int) -> tuple[Outcome, str]:
    if store.has(sha256):
        return "stored", ""
    path = blob_path(sha256)
    try:
        with primary.chunks(path) as chunks:
            store.put_checked(chunks, sha256, limit=size)
    except Unreachable as exc:
        return "missing", str(exc)
    except Mismatch as exc:
        return "refused", f"{path}: {exc}"
    except TooLarge:
        return "refused", f"{path}: more than the {size} bytes the log names"
    return "stored", ""


def _forget(engine: Engine, sha256: str) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(mirror_blobs.delete().where(mirror_blobs.c.sha256 == sha256))


def _note_failure(engine: Engine, sha256: str, reason: str, clock: Clock) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(
            mirror_blobs.update()
            .where(mirror_blobs.c.sha256 == sha256)
            .values(
                attempts=mirror_blobs.c.attempts + 1,
                last_error=reason[:1000],
                last_tried_at=isoformat(clock.now()),
            )
        )
