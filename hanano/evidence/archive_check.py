"""Check an operation archive through before anything of it is written.

Every byte of the file is accounted for: tar headers carry their own checksum, the bytes between
and after members must be the zeros tar pads with, each member's SHA-256 must match the manifest,
the manifest must be in its one encoding, every leaf is recomputed from its event's bytes, the
tree's root at each checkpoint's size must be the root that checkpoint signs, every sealed value
must match the commitment in its leaf, and every blob must hash to its name.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanano.evidence import note
from hanano.evidence.archive_format import (
    FORMAT,
    KEY_MEMBER,
    MANIFEST,
    VERSION,
    ArchiveRefused,
    Frontier,
    SealedCipher,
    manifest_bytes,
    open_key,
    unb64,
)
from hanano.evidence.blobs import is_sha256_hex
from hanano.evidence.log import parse_checkpoint
from hanano.store.log import loads
from hanano.store.sealed import SealedMismatch, open_sealed

_BLOCK = 512


@dataclass(frozen=True)
class Event:
    seq: int
    leaf: bytes
    canonical: bytes
    document: dict[str, Any]


@dataclass
class Archive:
    """An archive that passed every check, open for reading its members again to write them."""

    tar: tarfile.TarFile
    manifest: dict[str, Any]
    signer: str
    cipher: SealedCipher | None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def read(self, name: str) -> bytes:
        handle = self.tar.extractfile(self.tar.getmember(name))
        if handle is None:
            raise ArchiveRefused(f"{name}: not a file")
        return handle.read()

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.manifest["members"] if n.startswith(prefix))

    def events(self, name: str) -> list[Event]:
        return parse_events(name, self.read(name))

    def sealed(self, name: str) -> list[dict[str, Any]]:
        data = self.read(name)
        if name.endswith(".enc"):
            if self.cipher is None:
                raise ArchiveRefused(
                    f"{name}: sealed fields are encrypted to a receiver's key; give its private "
                    "key with --sealed-key"
                )
            data = self.cipher.decrypt(int(name[7:13]), name, data)
        return rows(name, data)

    def close(self) -> None:
        self.tar.close()


def open_archive(path: Path, passphrase: str, private: X25519PrivateKey | None) -> Archive:
    """Open and check the whole archive; ArchiveRefused names the first thing that fails."""
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 - kept open in the Archive it returns
        members = tar.getmembers()
    except (tarfile.TarError, OSError) as exc:
        raise ArchiveRefused(f"the archive is not a readable tar ({exc})") from None
    try:
        _check_layout(path, members)
        manifest = _check_manifest(tar, members)
        archive = Archive(tar, manifest, "", None)
        archive.signer = _check_key(archive, passphrase)
        if manifest["sealed_to"] is not None and private is not None:
            ephemeral = unb64(manifest["sealed_to"], f"{MANIFEST} sealed_to")
            archive.cipher = SealedCipher.for_receiver(private, ephemeral)
        archive.checkpoints = _check_checkpoints(archive)
        _check_events(archive)
        _check_others(archive)
    except (ArchiveRefused, tarfile.TarError, OSError):
        tar.close()
        raise
    return archive


def _check_layout(path: Path, members: list[tarfile.TarInfo]) -> None:
    """Only headers, member data and tar's zero padding: no byte that nothing checks."""
    with path.open("rb") as raw:
        position = 0
        for member in members:
            if not member.isfile():
                raise ArchiveRefused(f"{member.name}: not a regular file")
            if member.offset != position:
                _require_zeros(raw, position, member.offset, f"before {member.name}")
            end = member.offset_data + member.size
            padded = -(-end // _BLOCK) * _BLOCK
            _require_zeros(raw, end, padded, f"after {member.name}")
            position = padded
        size = path.stat().st_size
        _require_zeros(raw, position, size, "after the last member")


def _require_zeros(raw: Any, start: int, stop: int, where: str) -> None:
    raw.seek(start)
    remaining = stop - start
    while remaining > 0:
        chunk = raw.read(min(remaining, 1 << 20))
        if not chunk:
            return
        if chunk.count(0) != len(chunk):
            raise ArchiveRefused(f"the archive holds bytes {where} that belong to no member")
        remaining -= len(chunk)


def _check_manifest(tar: tarfile.TarFile, members: list[tarfile.TarInfo]) -> dict[str, Any]:
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ArchiveRefused("the archive holds a member twice")
    if MANIFEST not in names:
        raise ArchiveRefused(f"{MANIFEST}: missing")
    data = _member_bytes(tar, MANIFEST)
    try:
        manifest = json.loads(data)
    except ValueError:
        raise ArchiveRefused(f"{MANIFEST}: not JSON") from None
    if not isinstance(manifest, dict) or manifest_bytes(manifest) != data:
        raise ArchiveRefused(f"{MANIFEST}: not in the archive's one encoding")
    _check_manifest_fields(manifest)
    listed = manifest["members"]
    for name in names:
        if name != MANIFEST and name not in listed:
            raise ArchiveRefused(f"{name}: not listed in the manifest")
    for name, expected in listed.items():
        if name not in names:
            raise ArchiveRefused(f"{name}: listed in the manifest but missing")
        if _member_hash(tar, name) != expected:
            raise ArchiveRefused(f"{name}: its SHA-256 differs from the manifest's")
    return manifest


def _check_manifest_fields(manifest: dict[str, Any]) -> None:
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ArchiveRefused(f"{MANIFEST}: not a {FORMAT} version {VERSION}")
    kinds = {
        "origin": str,
        "verifier_key": str,
        "events": int,
        "members": dict,
        "counts": dict,
        "blobs": int,
    }
    for key, kind in kinds.items():
        if not isinstance(manifest.get(key), kind):
            raise ArchiveRefused(f"{MANIFEST}: {key} is missing or of the wrong kind")
    if manifest.get("sealed_to") is not None and not isinstance(manifest["sealed_to"], str):
        raise ArchiveRefused(f"{MANIFEST}: sealed_to is of the wrong kind")


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(tar.getmember(name))
    if handle is None:
        raise ArchiveRefused(f"{name}: not a file")
    return handle.read()


def _member_hash(tar: tarfile.TarFile, name: str) -> str:
    handle = tar.extractfile(tar.getmember(name))
    if handle is None:
        raise ArchiveRefused(f"{name}: not a file")
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _check_key(archive: Archive, passphrase: str) -> str:
    verifier = archive.manifest["verifier_key"]
    signer = open_key(archive.read(KEY_MEMBER), verifier, passphrase)
    try:
        if note.verifier_key_from_signer(signer) != verifier:
            raise ValueError("another key")
    except ValueError:
        raise ArchiveRefused(f"{KEY_MEMBER}: not the key of the log's verifier key") from None
    return signer


def rows(name: str, data: bytes) -> list[dict[str, Any]]:
    found = []
    for number, line in enumerate(data.splitlines()):
        try:
            row = loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            raise ArchiveRefused(f"{name} row {number}: not a JSON object")
        found.append(row)
    return found


def _check_checkpoints(archive: Archive) -> list[dict[str, Any]]:
    origin, verifier = archive.manifest["origin"], archive.manifest["verifier_key"]
    found: list[dict[str, Any]] = []
    for name in archive.names("checkpoints/"):
        for number, row in enumerate(rows(name, archive.read(name))):
            where = f"{name} row {number}"
            text = row.get("note")
            if not isinstance(text, str) or not note.verify(text, verifier):
                raise ArchiveRefused(f"{where}: the checkpoint's signature does not verify")
            try:
                body = parse_checkpoint(text.split("\n\n", 1)[0] + "\n")
            except ValueError as exc:
                raise ArchiveRefused(f"{where}: not a checkpoint ({exc})") from None
            if body.origin != origin or body.size != row.get("size"):
                raise ArchiveRefused(f"{where}: the checkpoint names another log or size")
            if found and body.size <= found[-1]["size"]:
                raise ArchiveRefused(f"{where}: checkpoints out of order")
            found.append({"size": body.size, "root": body.root, "row": row, "where": where})
    if not found or found[-1]["size"] != archive.manifest["events"]:
        raise ArchiveRefused("checkpoints: the latest does not cover every event of the archive")
    return found


def parse_events(name: str, data: bytes) -> list[Event]:
    found = []
    for number, line in enumerate(data.splitlines()):
        try:
            seq_text, leaf_hex, canonical = line.split(b"\t", 2)
            seq, leaf = int(seq_text), bytes.fromhex(leaf_hex.decode())
            document = loads(canonical)
        except ValueError:
            raise ArchiveRefused(f"{name} line {number}: not an event line") from None
        if hashlib.sha256(b"\x00" + canonical).digest() != leaf:
            raise ArchiveRefused(f"{name}: event {seq}: its bytes do not hash to its leaf")
        if not isinstance(document, dict) or document.get("seq") != seq:
            raise ArchiveRefused(f"{name}: event {seq}: its bytes name another sequence number")
        found.append(Event(seq, leaf, canonical, document))
    return found


def _check_events(archive: Archive) -> None:
    frontier = Frontier()
    checkpoints: Iterator[dict[str, Any]] = iter(archive.checkpoints)
    waiting = next(checkpoints, None)
    for name in archive.names("events/"):
        events = archive.events(name)
        for event in events:
            if event.seq != frontier.size + 1:
                raise ArchiveRefused(f"{name}: event {event.seq} where {frontier.size + 1} is due")
            frontier.append(event.leaf)
            if waiting is not None and waiting["size"] == frontier.size:
                if frontier.root() != waiting["root"]:
                    raise ArchiveRefused(
                        f"{waiting['where']}: the events' tree root at size {frontier.size} is "
                        "not the root the checkpoint signs"
                    )
                waiting = next(checkpoints, None)
        _check_sealed(archive, name, events)
    if frontier.size != archive.manifest["events"] or waiting is not None:
        raise ArchiveRefused("events: fewer events than the manifest and checkpoints name")


def sealed_name(archive: Archive, events_name: str) -> str:
    stem = events_name.replace("events/", "sealed/").rsplit(".", 1)[0]
    suffix = "jsonl" if archive.manifest["sealed_to"] is None else "enc"
    return f"{stem}.{suffix}"


def _check_sealed(archive: Archive, events_name: str, events: list[Event]) -> None:
    name = sealed_name(archive, events_name)
    if name not in archive.manifest["members"]:
        raise ArchiveRefused(f"{name}: missing")
    if archive.cipher is None and name.endswith(".enc"):
        return  # restored only with the receiver's key; import refuses without it
    by_seq = {e.seq: e.document for e in events}
    for number, row in enumerate(archive.sealed(name)):
        document = by_seq.get(row.get("seq"))  # type: ignore[arg-type]
        data = document.get("data") if document else None
        if not isinstance(data, dict) or not isinstance(row.get("field"), str):
            raise ArchiveRefused(f"{name} row {number}: belongs to no event of its chunk")
        salt = None if row.get("salt") is None else unb64(row["salt"], f"{name} row {number}")
        try:
            open_sealed(data.get(row["field"]), salt, row.get("value"))
        except SealedMismatch as exc:
            raise ArchiveRefused(f"{name} row {number} (event {row['seq']}): {exc}") from None


def _check_others(archive: Archive) -> None:
    sizes = {c["size"] for c in archive.checkpoints}
    for name in archive.names("cosignatures/"):
        for number, row in enumerate(rows(name, archive.read(name))):
            if row.get("size") not in sizes or not isinstance(row.get("line"), str):
                raise ArchiveRefused(f"{name} row {number}: cosigns no checkpoint of the log")
    for name in archive.names("timestamps/"):
        for number, row in enumerate(rows(name, archive.read(name))):
            if row.get("size") not in sizes:
                raise ArchiveRefused(f"{name} row {number}: stamps no checkpoint of the log")
            unb64(row.get("token"), f"{name} row {number}")
    blobs = archive.names("blobs/")
    for name in blobs:
        digest = name.removeprefix("blobs/")
        if not is_sha256_hex(digest) or archive.manifest["members"][name] != digest:
            raise ArchiveRefused(f"{name}: its bytes do not hash to its name")
    if len(blobs) != archive.manifest["blobs"]:
        raise ArchiveRefused(f"{MANIFEST}: names {archive.manifest['blobs']} blobs")
