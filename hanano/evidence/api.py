"""The evidence log's use cases for the HTTP routes and the CLI."""

from __future__ import annotations

from pathlib import Path

from hanano.access.tokens import Principal, sealed_key_of
from hanano.access.visibility import (
    copies_media_originals,
    reads_entries_as_hashed,
    receives_sealed_values,
)
from hanano.domain import Runtime
from hanano.errors import Problem, conflict, invalid, not_found
from hanano.evidence import log, media, media_ops, tiles
from hanano.evidence.archive_format import public_key_from_text
from hanano.evidence.blobs import is_sha256_hex
from hanano.evidence.receipts import make_receipt
from hanano.evidence.sealed_tiles import sealed_bundle
from hanano.evidence.witness import Accepted, check_cosignatures, with_cosignatures
from hanano.store.records import read_entries


def log_entries(runtime: Runtime, after: int, limit: int) -> list[tuple[int, bytes, bytes]]:
    """Log entries as hashed: (seq, canonical bytes, leaf hash), in log order. What a caller's
    role may read of each is the route's to shape (`hanano.access.visibility.entry_view`)."""
    with runtime.engine.connect() as conn:
        return read_entries(conn, after, limit)


def checkpoint(runtime: Runtime, size: int | None) -> str:
    """The latest signed checkpoint, or the one of a past size, with its cosignatures."""
    with runtime.engine.connect() as conn:
        text = log.latest_checkpoint(conn) if size is None else log.checkpoint_at(conn, size)
        return with_cosignatures(conn, text)


def inclusion_proof(runtime: Runtime, index: int, size: int) -> tuple[list[bytes], bytes]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves, and that root."""
    with runtime.engine.connect() as conn:
        return log.inclusion(conn, index, size), log.root_at(conn, size)


def consistency_proof(runtime: Runtime, first: int, second: int) -> tuple[list[bytes], list[bytes]]:
    """RFC 9162 consistency proof between two tree sizes, and both roots."""
    with runtime.engine.connect() as conn:
        proof = log.consistency(conn, first, second)
        return proof, [log.root_at(conn, first), log.root_at(conn, second)]


def receipt(runtime: Runtime, seq: int, who: Principal) -> str:
    """A self-contained receipt for event `seq`, as the caller's role may read the entry."""
    with runtime.engine.connect() as conn:
        return make_receipt(conn, seq, who)


def accept_cosignatures(runtime: Runtime, text: str) -> Accepted:
    """A witness's cosignatures of a checkpoint this log signed, checked, not yet stored."""
    with runtime.engine.connect() as conn:
        return check_cosignatures(conn, text)


def hash_tile(runtime: Runtime, level: str, rest: str) -> tuple[bool, bytes]:
    """A tlog-tiles hash tile by its path parts: whether it is full, and its bytes."""
    ref = tiles.parse_tile_path(level, rest)
    with runtime.engine.connect() as conn:
        return ref.full, tiles.hash_tile(conn, ref)


def entry_bundle(runtime: Runtime, rest: str, who: Principal) -> tuple[bool, bytes]:
    """A tlog-tiles entry bundle by its path: whether it is full, and its bytes."""
    if not reads_entries_as_hashed(who):
        raise Problem(403, "Forbidden", f"the {who.role} role is not served the log's entries")
    ref = tiles.parse_tile_path(None, rest)
    with runtime.engine.connect() as conn:
        return ref.full, tiles.entry_bundle(conn, ref)


def mirror_blob(runtime: Runtime, sha256: str, who: Principal) -> Path:
    """Where the original a media event of the log names lies, for a mirror to copy; the copy
    is put on the file's chain of custody first (when this store can write: a mirror serving
    another mirror cannot)."""
    if not copies_media_originals(who):
        raise Problem(403, "Forbidden", f"the {who.role} role is not served media originals")
    if not is_sha256_hex(sha256):
        raise invalid("sha256", "must be 64 lowercase hex digits")
    with runtime.engine.connect() as conn:
        media.media_item(conn, sha256)  # a hash the log does not name is a 404
    store = media_ops.blob_store(runtime)
    if not store.has(sha256):
        raise not_found(f"the file of media {sha256} (logged, but not on this server)")
    if not runtime.sequencer.read_only:
        runtime.execute(
            lambda tx: media.log_access(tx, who.actor, sha256, "copied by a mirror", "api")
        )
    return store.path_of(sha256)


def sealed_fields(runtime: Runtime, rest: str, who: Principal) -> bytes:
    """The sealed fields of an entry bundle's entries, encrypted to the public key registered
    with the caller's mirror token; 409 when none is."""
    if not receives_sealed_values(who):
        raise Problem(403, "Forbidden", f"the {who.role} role is not served sealed fields")
    ref = tiles.parse_tile_path(None, rest)
    with runtime.engine.connect() as conn:
        registered = sealed_key_of(conn, who.token_id)
        if registered is None:
            raise conflict(
                "no public key is registered with this mirror token, and sealed fields are "
                "served only encrypted to one: issue a token with `hanano token create --role "
                "mirror --sealed-to KEY.pub`"
            )
        return sealed_bundle(conn, ref, public_key_from_text(registered))
