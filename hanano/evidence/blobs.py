"""Media files kept content-addressed by SHA-256, each written once and never changed.

Evidentiary originals live under `originals/` as `ab/cdef...` (the hash in hex), made read-only
once written. Working copies (exact copies to work on, or derivatives such as a resized or
redacted version) live under `working/<original hash>/`, so a working copy names its original by
where it is and can never be mistaken for, or overwrite, an original.

A file is written to a temporary name in the same file system, flushed and fsynced, then renamed
into place, and the directory is fsynced: after a crash either the whole file is there under its
hash or nothing is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import make_url

CHUNK = 1 << 20
HEAD = 64
"""Bytes kept from the start of a file to tell its type from its content."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes
    path: Path
    created: bool
    """False when the store already held these bytes (the same file uploaded again)."""


class TooLarge(ValueError):
    """The stream held more bytes than the limit allows."""


class Mismatch(ValueError):
    """The bytes do not hash to the SHA-256 they were expected to have."""

    def __init__(self, expected: str, read: str, size: int) -> None:
        super().__init__(f"the {size} bytes hash to {read}, not {expected}")
        self.expected = expected
        self.read = read
        self.size = size


def default_blob_dir(database_url: str, configured: str | None) -> Path:
    """Beside the SQLite file (so a store and its media travel together), else the working dir."""
    if configured:
        return Path(configured)
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return Path(url.database + ".blobs")
    return Path("hanano-blobs")


def is_sha256_hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.originals = root / "originals"
        self.working = root / "working"
        self.tmp = root / "tmp"

    def path_of(self, sha256: str) -> Path:
        if not is_sha256_hex(sha256):
            raise ValueError("not a lowercase hex SHA-256")
        return self.originals / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return is_sha256_hex(sha256) and self.path_of(sha256).is_file()

    def put_stream(self, source: BinaryIO, limit: int | None = None) -> StoredBlob:
        """Store the bytes of `source` as an original; returns its hash and where it lies."""
        with self._spool(_chunks_of(source), limit) as (temp, digest, size, head):
            return self._place(temp, digest, size, head)

    def put_checked(
        self, chunks: Iterable[bytes], sha256: str, limit: int | None = None
    ) -> StoredBlob:
        """Store bytes that must hash to `sha256` as an original; Mismatch (or TooLarge past
        `limit`) when they do not, with nothing stored under any name."""
        self.path_of(sha256)  # refuses a malformed hash before any byte is written
        with self._spool(iter(chunks), limit) as (temp, digest, size, head):
            if digest != sha256:
                raise Mismatch(sha256, digest, size)
            return self._place(temp, digest, size, head)

    def _place(self, temp: Path, digest: str, size: int, head: bytes) -> StoredBlob:
        final = self.path_of(digest)
        if final.exists():
            return StoredBlob(digest, size, head, final, created=False)
        if not final.parent.is_dir():
            final.parent.mkdir(parents=True, exist_ok=True)
            # The new directory's own entry must survive a crash too.
            _fsync_dir(final.parent.parent)
        os.chmod(temp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        # rename is atomic; two uploads of the same bytes race harmlessly to one result.
        os.replace(temp, final)
        _fsync_dir(final.parent)
        return StoredBlob(digest, size, head, final, created=True)

    def put_working(self, original: str, source: BinaryIO, suffix: str) -> StoredBlob:
        """Store a working copy of `original` under a fresh name; it stays writable."""
        self.path_of(original)  # refuses a malformed hash before any path is built from it
        with self._spool(_chunks_of(source), None) as (temp, digest, size, head):
            folder = self.working / original
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"{secrets.token_hex(8)}{suffix}"
            os.replace(temp, final)
            _fsync_dir(folder)
            return StoredBlob(digest, size, head, final, created=True)

    def open_original(self, sha256: str) -> BinaryIO:
        return self.path_of(sha256).open("rb")

    def copy_out(self, sha256: str, destination: Path) -> str:
        """Copy an original to `destination`, re-hashing it on the way; returns the hash read.

        The caller compares it with the logged hash, so a file damaged on disk is never passed
        on as the original.
        """
        digest = hashlib.sha256()
        with self.open_original(sha256) as source, destination.open("xb") as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        return digest.hexdigest()

    @contextlib.contextmanager
    def _spool(
        self, chunks: Iterator[bytes], limit: int | None
    ) -> Iterator[tuple[Path, str, int, bytes]]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        temp = self.tmp / f"upload-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with temp.open("xb") as target:
                for chunk in chunks:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise TooLarge(f"more than {limit} bytes")
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            yield temp, digest.hexdigest(), size, head
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def _chunks_of(source: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: source.read(CHUNK), b"")


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
