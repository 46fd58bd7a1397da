"""Sealed plaintext checked against the commitment its leaf holds.

The plaintext of a sensitive field and its salt live in `sealed_fields`, outside the leaf, so a
row there could be edited without touching the log. Whatever reads them back (replay, rebuild,
`hanano log verify`) recomputes HMAC(salt, canonical(value)) and compares it with the leaf's
commitment; erased fields (salt and value both gone) read as None.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection
from typing import Any

from hanano.events import EVENT_TYPES
from hanano.store.log import COMMITMENT_PREFIX, canonical_bytes, loads

_COMMITMENT_LENGTH = len(COMMITMENT_PREFIX) + 64


class SealedMismatch(ValueError):
    """A sealed row that its leaf does not vouch for; the message says how."""


def is_commitment(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == _COMMITMENT_LENGTH
        and value.startswith(COMMITMENT_PREFIX)
    )


def _recompute(salt: bytes, plain: Any) -> str:
    """`hanano.store.log.commitment`, with the common case (text) encoded by the C JSON encoder:
    for a string it gives RFC 8785's bytes exactly, and this runs for every sealed field replayed
    or verified. A string RFC 8785 refuses (a lone surrogate) fails to encode here as well."""
    if type(plain) is str:
        message = json.dumps(plain, ensure_ascii=False).encode()
    else:
        message = canonical_bytes(plain)
    return COMMITMENT_PREFIX + hmac.digest(salt, message, "sha256").hex()


def open_sealed(committed: object, salt: object, value: object) -> Any:
    """The plaintext of one sealed field if it matches `committed`, None if it was erased."""
    if not is_commitment(committed):
        raise SealedMismatch("its leaf holds no commitment for this field")
    if salt is None and value is None:
        return None
    if salt is None or value is None:
        raise SealedMismatch("half erased: its salt or its plaintext alone is missing")
    if not isinstance(salt, bytes | bytearray | memoryview) or not isinstance(value, str):
        raise SealedMismatch("its salt or plaintext is not of the stored kind")
    try:
        plain = loads(value)
        recomputed = _recompute(bytes(salt), plain)
    except (ValueError, TypeError) as exc:
        raise SealedMismatch(f"its plaintext cannot be committed to ({exc})") from None
    if not hmac.compare_digest(recomputed, str(committed)):
        raise SealedMismatch("its plaintext or salt does not match the commitment in its leaf")
    return plain


def committed_without_row(
    event_type: str, data: dict[str, Any], present: Collection[str]
) -> list[str]:
    """Sensitive fields whose commitment stands in the leaf but whose sealed row is gone.

    Only today's sensitive fields of a known type are expected: a field sealed by an older
    version of the type and no longer sensitive is not asked for.
    """
    cls = EVENT_TYPES.get(event_type)
    if cls is None or not cls.sensitive:
        return []
    return sorted(
        name for name in cls.sensitive if name not in present and is_commitment(data.get(name))
    )
