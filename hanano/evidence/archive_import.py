"""Write a checked archive into an empty store, so that the same log carries on there.

Nothing is written until `archive_check.open_archive` has passed the whole file. The store's rows
go in one transaction; the key file is made only if none is there (or it holds this very key),
blobs are content-addressed; then the projections are replayed from the imported log.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Connection, Engine, select

from hanano.clock import Clock, isoformat
from hanano.domain import Domain
from hanano.evidence.archive_check import Archive, open_archive, rows, sealed_name
from hanano.evidence.archive_format import ArchiveRefused, Frontier, unb64
from hanano.evidence.blobs import BlobStore, default_blob_dir
from hanano.evidence.identity import key_file_for
from hanano.evidence.keys import load_key
from hanano.evidence.log import parse_checkpoint
from hanano.evidence.tables import (
    checkpoint_timestamps,
    checkpoints,
    cosignatures,
    log_identity,
    merkle_nodes,
)
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.store.prepared import insert_all
from hanano.store.rebuild import rebuild
from hanano.store.registry import Registry

_INSERT_EVENTS = insert_all(schema.events)
_INSERT_SEALED = insert_all(schema.sealed_fields)
_INSERT_NODES = insert_all(merkle_nodes)


@dataclass(frozen=True)
class Imported:
    events: int
    checkpoints: int
    blobs: int
    replayed: int


def check_target(engine: Engine, key_path: Path, verifier: str) -> None:
    """An empty store and no other key where the log's key goes; ArchiveRefused otherwise."""
    with engine.connect() as conn:
        if conn.execute(select(schema.events.c.seq).limit(1)).first() is not None:
            raise ArchiveRefused("the target store is not empty: it already holds events")
        if conn.execute(select(log_identity.c.origin).limit(1)).first() is not None:
            raise ArchiveRefused("the target store already has a log of its own")
    if key_path.exists() and load_key(key_path).verifier != verifier:
        raise ArchiveRefused(f"{key_path} already holds another signing key; it is left as is")


def import_archive(
    engine: Engine,
    archive: Archive,
    *,
    key_path: Path,
    blobs: BlobStore,
    registry: Registry,
    clock: Clock,
) -> Imported:
    """Write the checked archive into the (checked empty) store and replay the projections."""
    write_archive(engine, archive, key_path=key_path, blobs=blobs, clock=clock)
    replayed = rebuild(engine, registry)
    return Imported(
        archive.manifest["events"],
        len(archive.checkpoints),
        len(archive.names("blobs/")),
        replayed,
    )


def write_archive(
    engine: Engine, archive: Archive, *, key_path: Path, blobs: BlobStore, clock: Clock
) -> None:
    """The log, its checkpoints, cosignatures, timestamps, key and blobs, as the archive holds
    them; the projections are left for `rebuild`."""
    manifest = archive.manifest
    for name in archive.names("blobs/"):
        handle = archive.tar.extractfile(archive.tar.getmember(name))
        assert handle is not None  # checked a regular file by open_archive
        blobs.put_stream(cast(BinaryIO, handle))
    with engine.connect() as conn:
        conn.info["writer"] = True
        with conn.begin():
            _write_events(conn, archive)
            conn.execute(checkpoints.insert(), [_checkpoint(c["row"]) for c in archive.checkpoints])
            _write_rows(conn, archive, "cosignatures/", cosignatures, _cosignature)
            _write_rows(conn, archive, "timestamps/", checkpoint_timestamps, _timestamp)
            conn.execute(
                log_identity.insert().values(
                    origin=manifest["origin"],
                    verifier_key=manifest["verifier_key"],
                    key_file=str(key_path.absolute()),
                    created_at=isoformat(clock.now()),
                )
            )
            _write_key(key_path, archive.signer)


def _write_events(conn: Connection, archive: Archive) -> None:
    frontier = Frontier()
    for name in archive.names("events/"):
        events: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for event in archive.events(name):
            events.append(event_row(event.seq, event.canonical, event.leaf, event.document))
            nodes.extend(
                {"level": level, "idx": index, "hash": digest}
                for level, index, digest in frontier.append(event.leaf)
            )
        _INSERT_EVENTS.run_many(conn, events)
        _INSERT_NODES.run_many(conn, nodes)
        sealed = [stored_sealed(row) for row in archive.sealed(_sealed_member(archive, name))]
        if sealed:
            _INSERT_SEALED.run_many(conn, sealed)


def event_row(seq: int, canonical: bytes, leaf: bytes, document: dict[str, Any]) -> dict[str, Any]:
    """The `events` row of a checked entry: its bytes, leaf, and the columns copied for queries."""
    return {
        "seq": seq,
        "time": document["time"],
        "actor": document["actor"],
        "type": document["type"],
        "version": document["v"],
        "canonical": canonical,
        "leaf_hash": leaf,
    }


def _sealed_member(archive: Archive, events_name: str) -> str:
    return sealed_name(archive, events_name)


def stored_sealed(row: dict[str, Any]) -> dict[str, Any]:
    """A `sealed_fields` row from its JSON line (as `archive_export.sealed_row` wrote it)."""
    salt = None if row["salt"] is None else unb64(row["salt"], "sealed")
    return {
        "seq": row["seq"],
        "field": row["field"],
        "salt": salt,
        "value": row["value"],
        "erased_at": row.get("erased_at"),
    }


def _checkpoint(row: dict[str, Any]) -> dict[str, Any]:
    body = parse_checkpoint(row["note"].split("\n\n", 1)[0] + "\n")
    return {
        "size": body.size,
        "root": body.root,
        "note": row["note"],
        "created_at": row["created_at"],
    }


def _cosignature(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("size", "witness", "timestamp", "line", "received_at")
    return {key: row[key] for key in keys}


def _timestamp(row: dict[str, Any]) -> dict[str, Any]:
    found = {key: row[key] for key in ("size", "tsa_url", "gen_time", "received_at")}
    found["token"] = unb64(row["token"], "timestamps")
    return found


def _write_rows(conn: Connection, archive: Archive, prefix: str, table: Any, shape: Any) -> None:
    for name in archive.names(prefix):
        found = [shape(row) for row in rows(name, archive.read(name))]
        if found:
            conn.execute(table.insert(), found)


def _write_key(path: Path, signer: str) -> None:
    """The signing key, mode 0600, made only if absent (an identical key already there stays)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(signer + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def import_file(
    settings: Settings,
    path: Path,
    passphrase: str,
    private: X25519PrivateKey | None,
    clock: Clock,
    domains: Sequence[Domain],
) -> Imported:
    """Check the archive at `path` through, then import it into the store `settings` name."""
    archive = open_archive(path, passphrase, private)
    try:
        if archive.manifest["sealed_to"] is not None and archive.cipher is None:
            raise ArchiveRefused(
                "sealed fields are encrypted to a receiver's key: give its private key with "
                "--sealed-key"
            )
        url = settings.database_url
        key_path = key_file_for(url, settings.log_key_file, None)
        engine = make_engine(url)
        try:
            migrate(engine, [(d.name, d.migrations) for d in domains])
            check_target(engine, key_path, archive.manifest["verifier_key"])
            registry = Registry.merge(
                (d.handlers for d in domains), (t for d in domains for t in d.tables)
            )
            blobs = BlobStore(default_blob_dir(url, settings.blob_dir))
            return import_archive(
                engine, archive, key_path=key_path, blobs=blobs, registry=registry, clock=clock
            )
        finally:
            engine.dispose()
    finally:
        archive.close()
