"""Media operations that touch both the blob directory and the log, shared by the API and CLI.

Files are written before their event is logged, outside the single writer, so a 100 MiB upload
never holds up other commands. A file whose event then fails to commit stays in the blob
directory unreferenced: it is named by its own hash, so it harms nothing and a later upload of
the same bytes reuses it. Nothing is ever deleted from the originals.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from hanano.access.tokens import CONSOLE
from hanano.domain import Runtime
from hanano.errors import Problem, invalid
from hanano.evidence import file_types, media
from hanano.evidence.blobs import (
    HEAD,
    BlobStore,
    StoredBlob,
    TooLarge,
    default_blob_dir,
    is_sha256_hex,
)
from hanano.evidence.receipts import make_receipt


def blob_store(service: Runtime) -> BlobStore:
    return BlobStore(default_blob_dir(service.settings.database_url, service.settings.blob_dir))


@dataclass(frozen=True)
class Ingested:
    added: media.Added
    path: Path


def ingest(
    service: Runtime,
    actor: str,
    source: BinaryIO,
    incident_id: str,
    claims: media.Claims,
    limit: int | None = None,
) -> Ingested:
    """Store an uploaded file as an original and log it; raise a Problem saying what is wrong."""
    claims = media.check_claims(claims, service.clock.now(), service.settings)
    with service.engine.connect() as conn:
        # Checked here too, before the bytes are written, so a mistyped incident leaves no file.
        media.require_incident(conn, incident_id)
    store = blob_store(service)
    try:
        stored = store.put_stream(source, limit)
    except TooLarge:
        raise Problem(
            413, "Body too large", f"the file exceeds {limit} bytes (HANANO_MEDIA_MAX_BYTES)"
        ) from None
    sniffed = file_types.sniff(stored.head)
    if sniffed is None:
        raise Problem(
            415,
            "Unsupported media type",
            "the file is not a photo or video hanano recognises from its content (JPEG, PNG, "
            "GIF, WebP, TIFF, HEIC/HEIF/AVIF, MP4, QuickTime, 3GP, WebM, Matroska, AVI)",
        )
    media_type = sniffed[0]
    added = service.execute(
        lambda tx: media.add_media(
            tx, actor, stored.sha256, stored.size, media_type, incident_id, claims
        )
    )
    return Ingested(added, stored.path)


def working_copy(
    service: Runtime, actor: str, sha256: str, reason: str, derived: Path | None = None
) -> tuple[StoredBlob, int]:
    """Make a working copy of an original (or register a derivative of it); log it.

    The copy goes under the working directory, named by its original; the original is only read.
    """
    store = blob_store(service)
    item = _logged_original(service, sha256, store)
    derivation: Literal["exact", "derived"] = "derived" if derived is not None else "exact"
    if derived is not None:
        with derived.open("rb") as source:
            head = source.read(HEAD)
            source.seek(0)
            sniffed = file_types.sniff(head)
            suffix = sniffed[1] if sniffed else derived.suffix
            copy = store.put_working(sha256, source, suffix)
    else:
        with store.open_original(sha256) as source:
            copy = store.put_working(sha256, source, file_types.suffix_for(item.media_type))
        if copy.sha256 != sha256:
            copy.path.unlink()
            raise Problem(500, "Original damaged", f"the stored file no longer hashes to {sha256}")
    seq = service.execute(
        lambda tx: media.log_copy(
            tx, actor, sha256, copy.sha256, copy.size, derivation, str(copy.path), reason
        )
    )
    return copy, seq


def export(
    service: Runtime,
    actor: str,
    sha256: str,
    directory: Path,
    reason: str,
    recipient: str | None,
) -> tuple[list[Path], int]:
    """Write an original, a receipt of its logged hash and its custody to `directory`; log it.

    The export event is logged only once the files are written and the original has been
    re-hashed on the way out, so the log never claims an export that did not happen.
    """
    if not reason.strip():
        raise invalid("reason", "say why: every export of evidence is on the record")
    store = blob_store(service)
    item = _logged_original(service, sha256, store)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{sha256}{file_types.suffix_for(item.media_type)}"
    written: list[Path] = []
    try:
        read = store.copy_out(sha256, target)
        written.append(target)
        if read != sha256:
            raise Problem(500, "Original damaged", f"the stored file no longer hashes to {sha256}")
        with service.engine.connect() as conn:
            receipt = make_receipt(conn, item.seq, CONSOLE)
            chain = media.custody(conn, sha256)
        receipt_path = directory / f"{sha256}.media-added.tlog-proof"
        _write_new(receipt_path, receipt)
        written.append(receipt_path)
        custody_path = directory / f"{sha256}.custody.json"
        _write_new(custody_path, json.dumps(chain, ensure_ascii=False, indent=2) + "\n")
        written.append(custody_path)
        seq = service.execute(
            lambda tx: media.log_export(tx, actor, sha256, str(directory), recipient, reason)
        )
    except BaseException:
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    return written, seq


def _logged_original(service: Runtime, sha256: str, store: BlobStore) -> Any:
    if not is_sha256_hex(sha256):
        raise invalid("sha256", "must be 64 lowercase hex digits")
    with service.engine.connect() as conn:
        item = media.media_item(conn, sha256)
    if not store.has(sha256):
        raise Problem(
            500, "Original missing", f"media {sha256} is logged but not in {store.originals}"
        )
    return item


def _write_new(path: Path, text: str) -> None:
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def logged_item(service: Runtime, sha256: str) -> Any:
    """What the log holds of a file: its type and the event that took it in."""
    with service.engine.connect() as conn:
        return media.media_item(conn, sha256)


def custody(service: Runtime, sha256: str) -> list[dict[str, Any]]:
    """The file's chain of custody: every logged event about it, oldest first."""
    with service.engine.connect() as conn:
        return media.custody(conn, sha256)
