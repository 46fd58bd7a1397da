"""Write the whole operation into one archive (see `archive_format` for its layout).

Everything is read in one transaction, so the archive is one moment of the log; members are
written chunk by chunk, so a large log never sits in memory whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, select

from hanano.evidence.archive_format import (
    CHUNK_EVENTS,
    CHUNK_ROWS,
    FORMAT,
    KEY_MEMBER,
    MANIFEST,
    VERSION,
    SealedCipher,
    b64,
    manifest_bytes,
    member_name,
    seal_key,
    sha256_hex,
)
from hanano.evidence.blobs import BlobStore
from hanano.evidence.keys import LogKey
from hanano.evidence.log import tree_size
from hanano.evidence.tables import checkpoint_timestamps, checkpoints, cosignatures, media_items
from hanano.store import schema

_BLOB_CHUNK = 1 << 20


@dataclass(frozen=True)
class Exported:
    events: int
    checkpoints: int
    blobs: int
    missing_blobs: list[str]
    sealed_encrypted: bool


class _Writer:
    """Adds members to the tar and notes each one's SHA-256 for the manifest."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.hashes: dict[str, str] = {}

    def add(self, name: str, data: bytes) -> None:
        self.tar.addfile(_info(name, len(data)), io.BytesIO(data))
        self.hashes[name] = sha256_hex(data)

    def add_file(self, name: str, path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("rb") as source:
            self.tar.addfile(_info(name, path.stat().st_size), _Hashing(source, digest))
        self.hashes[name] = digest.hexdigest()


class _Hashing(io.RawIOBase):
    """A file read through once for the tar, hashed on the way."""

    def __init__(self, source: BinaryIO, digest: Any) -> None:
        self.source = source
        self.digest = digest

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    return info


def export_archive(
    engine: Engine,
    target: BinaryIO,
    key: LogKey,
    origin: str,
    passphrase: str,
    blobs: BlobStore,
    receiver: SealedCipher | None = None,
) -> Exported:
    """Write the log up to its latest signed checkpoint, and all that goes with it, to `target`.

    One transaction: a snapshot (SQLite's WAL reader, PostgreSQL's REPEATABLE READ, the engine's
    default), so a server writing meanwhile changes nothing of what is exported."""
    sealed_key = seal_key(key.signer, key.verifier, passphrase)
    with (
        engine.connect() as conn,
        conn.begin(),
        tarfile.open(fileobj=target, mode="w|", format=tarfile.USTAR_FORMAT) as tar,
    ):
        writer = _Writer(tar)
        size = tree_size(conn)
        _write_events(conn, writer, size, receiver)
        counts = {
            "checkpoints": _write_rows(writer, "checkpoints", _checkpoint_rows(conn)),
            "cosignatures": _write_rows(writer, "cosignatures", _cosignature_rows(conn)),
            "timestamps": _write_rows(writer, "timestamps", _timestamp_rows(conn)),
        }
        hashes = conn.execute(select(media_items.c.sha256).order_by(media_items.c.sha256))
        present: list[str] = []
        missing: list[str] = []
        for (digest,) in hashes:
            (present if blobs.has(digest) else missing).append(digest)
        for digest in present:
            writer.add_file(f"blobs/{digest}", blobs.path_of(digest))
        writer.add(KEY_MEMBER, sealed_key)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "origin": origin,
            "verifier_key": key.verifier,
            "events": size,
            "counts": counts,
            "blobs": len(present),
            "sealed_to": b64(receiver.ephemeral) if receiver else None,
            "members": writer.hashes,
        }
        writer.add(MANIFEST, manifest_bytes(manifest))
    return Exported(size, counts["checkpoints"], len(present), missing, receiver is not None)


def _write_events(
    conn: Connection, writer: _Writer, size: int, receiver: SealedCipher | None
) -> None:
    events, sealed = schema.events, schema.sealed_fields
    after, number = 0, 0
    while after < size:
        last = min(size, after + CHUNK_EVENTS)
        rows = conn.execute(
            select(events.c.seq, events.c.canonical, events.c.leaf_hash)
            .where(events.c.seq > after, events.c.seq <= last)
            .order_by(events.c.seq)
        )
        lines = [
            b"%d\t%s\t%s\n" % (seq, bytes(leaf).hex().encode(), bytes(canonical))
            for seq, canonical, leaf in rows
        ]
        writer.add(member_name("events", number, "log"), b"".join(lines))
        sealed_rows = conn.execute(
            select(sealed)
            .where(sealed.c.seq > after, sealed.c.seq <= last)
            .order_by(sealed.c.seq, sealed.c.field)
        )
        body = b"".join(jsonl_lines(sealed_row(row) for row in sealed_rows))
        if receiver is None:
            writer.add(member_name("sealed", number, "jsonl"), body)
        else:
            name = member_name("sealed", number, "enc")
            writer.add(name, receiver.encrypt(number, name, body))
        after, number = last, number + 1


def sealed_row(row: Any) -> dict[str, Any]:
    salt = None if row.salt is None else b64(bytes(row.salt))
    return {
        "seq": row.seq,
        "field": row.field,
        "salt": salt,
        "value": row.value,
        "erased_at": row.erased_at,
    }


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for row in rows:
        yield json.dumps(row, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def _write_rows(writer: _Writer, kind: str, rows: Iterable[dict[str, Any]]) -> int:
    """Rows as JSON lines in members of at most CHUNK_ROWS rows each; returns how many."""
    count, number, chunk = 0, 0, []
    for line in jsonl_lines(rows):
        chunk.append(line)
        count += 1
        if len(chunk) == CHUNK_ROWS:
            writer.add(member_name(kind, number, "jsonl"), b"".join(chunk))
            number, chunk = number + 1, []
    if chunk:
        writer.add(member_name(kind, number, "jsonl"), b"".join(chunk))
    return count


def _checkpoint_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    query = select(checkpoints.c.size, checkpoints.c.note, checkpoints.c.created_at)
    for row in conn.execute(query.order_by(checkpoints.c.size)):
        yield {"size": row.size, "note": row.note, "created_at": row.created_at}


def _cosignature_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    query = select(cosignatures).order_by(cosignatures.c.size, cosignatures.c.witness)
    for row in conn.execute(query):
        yield dict(row._mapping)


def _timestamp_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    query = select(checkpoint_timestamps).order_by(checkpoint_timestamps.c.size)
    for row in conn.execute(query):
        found = dict(row._mapping)
        found["token"] = b64(bytes(row.token))
        yield found


class NothingSigned(ValueError):
    """The log has no signed checkpoint yet: an archive of it could prove nothing."""


def write_archive_file(path: Path, **arguments: Any) -> Exported:
    """Export into `path`, created anew (an existing file is never overwritten); a log with no
    signed checkpoint yet is refused before the file is made."""
    with arguments["engine"].connect() as conn:
        if tree_size(conn) == 0:
            raise NothingSigned("the log has no signed checkpoint yet: there is nothing to carry")
    with path.open("xb") as target:
        exported = export_archive(target=target, **arguments)
        target.flush()
    return exported
