"""Sealed fields for a mirror, beside the entry bundles: `/tlog/sealed/<N>[.p/<W>]`.

An entry bundle holds each sensitive field (a name, a rescuer's position) as its salted
commitment only. The plaintext and salt of those fields, for the entries of the same tile, are
served to a mirror's token encrypted to the X25519 public key registered with that token, with
the operation archive's encryption (`archive_format.SealedCipher`), a fresh ephemeral key for
each answer: the body is the ephemeral public key (32 bytes), then AES-256-GCM over the rows as
JSON lines (the archive's `sealed/` rows). The nonce is the tile's index and the associated data
the path, so an answer cannot be passed off as another tile's. Anyone on the way reads nothing;
the mirror checks each value against the commitment in the entry it has already checked against
the tree, so a primary cannot hand it values the log does not vouch for.

Not part of C2SP tlog-tiles: a hanano primary's extension for hanano mirrors. A full tile's
answer still changes when one of its fields is erased, so none is cached.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from sqlalchemy import Connection, select

from hanano.evidence.archive_check import rows
from hanano.evidence.archive_export import jsonl_lines, sealed_row
from hanano.evidence.archive_format import ArchiveRefused, SealedCipher
from hanano.evidence.archive_import import stored_sealed
from hanano.evidence.tile_verify import Refused
from hanano.evidence.tiles import TILE_WIDTH, TileRef, require_within, tile_path
from hanano.store import schema

_EPHEMERAL = 32
_TAG = 16

# seq -> field -> the `sealed_fields` row's salt, value and erased_at
Given = dict[int, dict[str, dict[str, Any]]]


def sealed_path(ref: TileRef) -> str:
    """The path, under /tlog/, of the sealed fields of entry bundle `ref`."""
    return "sealed/" + tile_path(ref).removeprefix("tile/entries/")


def sealed_bundle(conn: Connection, ref: TileRef, receiver: X25519PublicKey) -> bytes:
    """The sealed fields of the entries of bundle `ref`, encrypted to `receiver`."""
    require_within(conn, TileRef(0, ref.index, ref.width))
    sealed = schema.sealed_fields
    first = ref.index * TILE_WIDTH
    found = conn.execute(
        select(sealed)
        .where(sealed.c.seq > first, sealed.c.seq <= first + ref.width)
        .order_by(sealed.c.seq, sealed.c.field)
    )
    body = b"".join(jsonl_lines(sealed_row(row) for row in found))
    cipher = SealedCipher.to(receiver)
    return cipher.ephemeral + cipher.encrypt(ref.index, sealed_path(ref), body)


def open_sealed_bundle(private: X25519PrivateKey, ref: TileRef, body: bytes) -> Given:
    """The rows of a `sealed_bundle` answer, by entry and field; Refused, naming the path, if it
    cannot be decrypted with `private` or holds a row of no entry of the bundle. The values
    are not checked here: see `hanano.evidence.mirror_sealed.held_fields`."""
    name = sealed_path(ref)
    if len(body) < _EPHEMERAL + _TAG:
        raise Refused(f"{name}: {len(body)} bytes are too few for encrypted sealed fields")
    try:
        cipher = SealedCipher.for_receiver(private, body[:_EPHEMERAL])
        plain = cipher.decrypt(ref.index, name, body[_EPHEMERAL:])
        found = rows(name, plain)
    except ArchiveRefused as exc:
        raise Refused(str(exc)) from None
    except ValueError:  # an ephemeral key of low order: no shared secret with it
        raise Refused(f"{name}: its ephemeral key is not a usable X25519 key") from None
    first = ref.index * TILE_WIDTH
    given: Given = {}
    for number, row in enumerate(found):
        seq, field = row.get("seq"), row.get("field")
        if type(seq) is not int or not first < seq <= first + ref.width or type(field) is not str:
            raise Refused(f"{name} row {number}: belongs to no entry of its bundle")
        try:
            stored = stored_sealed(row)
        except (ArchiveRefused, KeyError) as exc:
            raise Refused(f"{name} row {number}: not a sealed field ({exc})") from None
        given.setdefault(seq, {})[field] = {
            "salt": stored["salt"],
            "value": stored["value"],
            "erased_at": stored["erased_at"],
        }
    return given
