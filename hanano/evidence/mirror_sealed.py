"""A mirror given the primary's sealed fields, for a mirror started with `--sealed-key`.

With the private key whose public half is registered with its token, a mirror fetches, beside
each entry bundle, that bundle's sealed fields encrypted to it (`hanano.evidence.sealed_tiles`),
checks every value against the commitment in the already checked entry, and stores them as the
primary does: the events that need them are then projected fully. Without the key a mirror
holds commitments only, as `hanano.evidence.mirror` says.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Connection

from hanano.evidence.events import FieldRedacted
from hanano.evidence.sealed_tiles import Given, open_sealed_bundle, sealed_path
from hanano.evidence.tile_verify import Refused
from hanano.evidence.tiles import TileRef, tile_path
from hanano.store import schema
from hanano.store.records import RecordedEvent
from hanano.store.sealed import SealedMismatch, committed_without_row, open_sealed


def bundle_paths(refs: list[TileRef], private: X25519PrivateKey | None) -> list[str]:
    """What to fetch for the bundles `refs`: each bundle, followed by its sealed fields when
    the mirror holds a key."""
    if private is None:
        return [tile_path(ref) for ref in refs]
    return [path for ref in refs for path in (tile_path(ref), sealed_path(ref))]


def bundles(
    bodies: Iterator[bytes], refs: list[TileRef], private: X25519PrivateKey | None
) -> Iterator[tuple[bytes, Given]]:
    """Each entry bundle's body with its sealed fields, decrypted (none without a key), from
    the bodies of `bundle_paths(refs, private)` in their order."""
    for ref in refs:
        body = next(bodies)
        yield body, ({} if private is None else open_sealed_bundle(private, ref, next(bodies)))


def held_fields(
    ref: TileRef, seq: int, document: dict[str, Any], given: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The `sealed_fields` rows of one checked entry. Each value the primary gave is checked
    against the commitment in the entry and put into its data (Refused, naming the entry and
    field, if it does not match); a commitment given no value is a field not held here, read as
    None, as an erased one is."""
    data = document["data"]
    found = []
    for name in sorted(given):
        row = given[name]
        try:
            data[name] = open_sealed(data.get(name), row["salt"], row["value"])
        except SealedMismatch as exc:
            raise Refused(
                f"{sealed_path(ref)}: event {seq}, sealed field {name!r}: {exc}"
            ) from None
        found.append({"seq": seq, "field": name, **row})
    for name in committed_without_row(document["type"], data, given):
        found.append({"seq": seq, "field": name, "salt": None, "value": None, "erased_at": None})
        data[name] = None
    return found


def erase_redacted(conn: Connection, events: list[RecordedEvent]) -> None:
    """Erase here what the primary erased: a value fetched before its `FieldRedacted` event
    must not outlive it on a mirror."""
    sealed = schema.sealed_fields
    for event in events:
        if event.type == FieldRedacted.type:
            conn.execute(
                sealed.update()
                .where(sealed.c.seq == event.data["seq"], sealed.c.field == event.data["field"])
                .values(salt=None, value=None, erased_at=event.time)
            )
