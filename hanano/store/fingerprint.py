"""Idempotency fingerprints: tell a client's retry from a reused id without revealing the body.

A plain hash of a report lets anyone who reads it confirm a guess of the sealed text, even after
the text is erased. The fingerprint is an HMAC under a key only the server holds (derived from
the log's signing key: `hanano.evidence.keys.purpose_key`), it enters the log sealed, and no
role reads it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import rfc8785

# The purpose of the fingerprints' key (hanano.evidence.keys.purpose_key).
FINGERPRINTS = "idempotency fingerprints"


def fingerprint(key: bytes, body: dict[str, Any]) -> str:
    """HMAC-SHA256 of the body's RFC 8785 canonical bytes."""
    if not key:
        raise RuntimeError("no fingerprint key: the service has not started")
    return hmac.new(key, bytes(rfc8785.dumps(body)), hashlib.sha256).hexdigest()


def same_body(stored: str, key: bytes, body: dict[str, Any], legacy: str) -> bool:
    """Whether a stored fingerprint is this body's. Entries written before fingerprints were
    keyed hold a plain SHA-256 (`legacy`), so a retry across the upgrade still matches."""
    return hmac.compare_digest(stored, fingerprint(key, body)) or hmac.compare_digest(
        stored, legacy
    )
