"""How an event becomes a log leaf: RFC 8785 canonical bytes and the RFC 9162 leaf hash.

The leaf document is {"actor", "data", "seq", "time", "type", "v"}. A sensitive field's value in
"data" is replaced by "hmac-sha256:<hex>" = HMAC-SHA256(key=salt, msg=canonical(value)) with a
fresh 32-byte salt per field; salt and plaintext go to the sealed table. Disclosing a field means
handing out its salt and value; erasing it means deleting them. The leaf never changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import rfc8785

from hanano.events import Event

COMMITMENT_PREFIX = "hmac-sha256:"


@dataclass(frozen=True)
class SealedField:
    field: str
    salt: bytes
    value: Any


@dataclass(frozen=True)
class EncodedEvent:
    canonical: bytes
    leaf_hash: bytes
    sealed: tuple[SealedField, ...]


# The largest entry the log takes: a C2SP tlog-tiles entry bundle frames each entry with a
# two-byte length, and an entry a mirror cannot fetch would stop every mirror at it for good.
MAX_ENTRY_BYTES = 0xFFFF


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 JSON canonicalisation."""
    return bytes(rfc8785.dumps(value))


def loads(data: bytes | str) -> Any:
    """JSON by orjson (this runs for every event read back, checked or imported), by the standard
    library for what orjson declines (integers beyond 64 bits), so both read the same documents."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def leaf_hash(canonical: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + canonical).digest()


def commitment(salt: bytes, value: Any) -> str:
    """The salted commitment that stands in the leaf for a sensitive value."""
    digest = hmac.new(salt, canonical_bytes(value), hashlib.sha256).hexdigest()
    return COMMITMENT_PREFIX + digest


def verify_disclosure(committed: str, salt: bytes, value: Any) -> bool:
    """Check a disclosed (salt, value) pair against the commitment in a leaf."""
    return hmac.compare_digest(committed, commitment(salt, value))


def leaf_document(
    seq: int, time: str, actor: str, event_type: str, version: int, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "actor": actor,
        "data": data,
        "seq": seq,
        "time": time,
        "type": event_type,
        "v": version,
    }


def encode_event(seq: int, time: str, actor: str, event: Event) -> EncodedEvent:
    """Canonical bytes, leaf hash and sealed fields of one event at its place in the log."""
    data = event.model_dump(mode="json")
    sealed: list[SealedField] = []
    for name in sorted(event.sensitive):
        value = data[name]
        salt = secrets.token_bytes(32)
        sealed.append(SealedField(name, salt, value))
        data[name] = commitment(salt, value)
    canonical = canonical_bytes(leaf_document(seq, time, actor, event.type, event.version, data))
    return EncodedEvent(canonical, leaf_hash(canonical), tuple(sealed))
