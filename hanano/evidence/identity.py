"""Which key signs a store's log, recorded in the store when its log begins.

The first process to open a store records the log's verifier key and the absolute path of its
key file. Every later process takes the key file from HANANO_LOG_KEY_FILE, else from that
recorded path (for SQLite, else from beside the database, where a store moved with its key has
it), and stops if the file is missing or holds another key: a second key would sign checkpoints
no one can verify, and a store that lost its key must not quietly start a new history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, select

from hanano.clock import Clock, isoformat
from hanano.evidence import note
from hanano.evidence.keys import (
    KEY_SETTING,
    LogKey,
    LogKeyError,
    beside_sqlite,
    default_key_path,
    load_key,
    load_or_create,
)
from hanano.evidence.tables import checkpoints, log_identity, merkle_nodes


@dataclass(frozen=True)
class BoundKey:
    key: LogKey
    path: Path
    # True only for a store that had no log at all and a key made just now: the events it
    # already holds (from before the evidence log existed) may be signed once.
    log_begins: bool


def recorded_identity(conn: Connection) -> Any:
    """The recorded (origin, verifier_key, key_file) row, or None (a store before it was kept)."""
    if not inspect(conn).has_table(log_identity.name):
        return None
    return conn.execute(select(log_identity).order_by(log_identity.c.origin).limit(1)).first()


def log_origin(conn: Connection, configured: str | None, default: str) -> str:
    """The origin the log signs its checkpoints under: the one recorded when it began.

    Every checkpoint, receipt and witness's record names it, so it never changes: a setting
    that names another refuses the start (LogKeyError) rather than begin a second log.
    """
    identity = recorded_identity(conn)
    if identity is None:
        return configured or default
    origin = str(identity.origin)
    if configured and configured != origin:
        raise LogKeyError(
            f"this store's log signs its checkpoints as {origin!r} since it began; "
            f"HANANO_LOG_ORIGIN={configured!r} would start another log: unset it or set it to "
            f"{origin!r}"
        )
    return origin


def key_file_for(database_url: str, configured: str | None, recorded: str | None) -> Path:
    """The setting if given, else the recorded path, else (SQLite) the file beside the store."""
    if configured:
        return Path(configured)
    beside = beside_sqlite(database_url)
    if recorded:
        path = Path(recorded)
        if not path.exists() and beside is not None and beside.exists():
            return beside
        return path
    return default_key_path(database_url)


def bind_log_key(
    conn: Connection, database_url: str, configured: str | None, origin: str, clock: Clock
) -> BoundKey:
    """The key this store's log is signed with; recorded now if the store had no record."""
    identity = recorded_identity(conn)
    if identity is not None:
        path = key_file_for(database_url, configured, str(identity.key_file))
        return BoundKey(_the_logs_key(path, str(identity.verifier_key)), path, log_begins=False)
    path = Path(os.path.abspath(key_file_for(database_url, configured, None)))
    latest = conn.execute(
        select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
    ).first()
    has_log = latest is not None or _has_nodes(conn)
    if latest is not None:
        key = _key_of_existing_log(path, str(latest.note))
    elif has_log:
        raise LogKeyError(
            "this store holds subtree hashes of a log but no checkpoint and no record of its "
            "key: its log was tampered with (run `hanano log verify`)"
        )
    else:
        existed = path.exists()
        key = load_or_create(path, origin)
    conn.execute(
        log_identity.insert().values(
            origin=origin,
            verifier_key=key.verifier,
            key_file=str(path),
            created_at=isoformat(clock.now()),
        )
    )
    return BoundKey(key, path, log_begins=not has_log and not existed)


def _the_logs_key(path: Path, verifier: str) -> LogKey:
    try:
        key = load_key(path)
    except LogKeyError as exc:
        raise LogKeyError(
            f"{exc}. This store's log is signed by {verifier.split('+', 1)[0]} and a new key is "
            f"never made for a store that has a log: set {KEY_SETTING} to the file that holds "
            "its key"
        ) from None
    if key.verifier != verifier:
        raise LogKeyError(
            f"{path} holds the key {key.verifier}, but this store's log is signed by {verifier}: "
            f"set {KEY_SETTING} to the file that holds the log's key"
        )
    return key


def _key_of_existing_log(path: Path, latest_note: str) -> LogKey:
    """A store from before keys were recorded: its key must exist and sign its checkpoints."""
    try:
        key = load_key(path)
    except LogKeyError as exc:
        raise LogKeyError(
            f"{exc}, yet this store already holds a signed log; a new key is never made for it: "
            f"set {KEY_SETTING} to the file that holds the log's key"
        ) from None
    if not note.verify(latest_note, key.verifier):
        raise LogKeyError(
            f"the key in {path} did not sign this store's latest checkpoint: set {KEY_SETTING} "
            "to the file that holds the log's key"
        )
    return key


def _has_nodes(conn: Connection) -> bool:
    return conn.execute(select(merkle_nodes.c.level).limit(1)).first() is not None
