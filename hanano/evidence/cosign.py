"""Witness cosignatures (C2SP tlog-cosignature, Ed25519 cosignature/v1).

A witness signs, with its own key, the statement "as of time T, the largest consistent tree I
have seen for this log has this root". The signed message is::

    cosignature/v1
    time <T>
    <the checkpoint body: origin, size, root, any extension lines>

and the note signature line is ``— <witness name> base64(key id || T as 8 bytes big-endian ||
Ed25519 signature)``. The key id differs from a plain signed-note key's: it is the first four
bytes of SHA-256(name || 0x0A || 0x04 || public key), the algorithm byte 0x04 marking a
cosignature/v1 key, so a witness's signature can never be taken for a log's own.

Keys are written as signed-note keys with algorithm byte 0x04:
``<name>+<key id>+base64(0x04 || public key)`` and
``PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)``. A plain Ed25519 signer key (0x01) is also
accepted for signing, as Go's ``NewSignerForCosignatureV1`` does; the cosignature then carries
the 0x04 key id of the same public key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanano.evidence import note

__all__ = [
    "Cosignature",
    "CosignerKey",
    "cosign",
    "generate_witness_key",
    "parse_cosignature_line",
    "parse_witness_key",
    "signature_lines",
    "verify_cosignature",
    "witness_key_from_signer",
]

_ALG_ED25519 = 0x01
_ALG_COSIGNATURE_V1 = 0x04
_SIGNER_PREFIX = "PRIVATE+KEY+"
_SIG_PREFIX = "\u2014 "
_MAX_TIMESTAMP = 2**63 - 1
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key, as the log registers it."""

    name: str
    key_id: int
    public_key: bytes

    @property
    def text(self) -> str:
        return _format(self.name, self.key_id, self.public_key)


@dataclass(frozen=True)
class Cosignature:
    """One parsed cosignature line (not yet verified)."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes
    line: str


def key_id(name: str, public_key: bytes) -> int:
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([_ALG_COSIGNATURE_V1]) + public_key
    ).digest()
    return int.from_bytes(digest[:4], "big")


def generate_witness_key(name: str) -> tuple[str, str]:
    """A fresh cosigner key pair for ``name``: ``(signer_key, verifier_key)``."""
    note._check_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    ident = key_id(name, public)
    encoded = base64.b64encode(bytes([_ALG_COSIGNATURE_V1]) + seed).decode("ascii")
    return f"{_SIGNER_PREFIX}{name}+{ident:08x}+{encoded}", _format(name, ident, public)


def witness_key_from_signer(signer_key: str) -> str:
    """The cosigner verifier key (0x04) of a signer key."""
    name, seed = _parse_signer(signer_key)
    return _format(name, key_id(name, _public(seed)), _public(seed))


def parse_witness_key(verifier_key: str) -> CosignerKey:
    """Parse ``name+keyid+base64(0x04 || key)``; ValueError saying what is wrong."""
    if not isinstance(verifier_key, str):
        raise ValueError("a witness key must be a string")
    parts = verifier_key.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError("a witness key has the form name+keyid+base64key")
    name, ident_hex, material = parts
    note._check_name(name)
    raw = _decode(material, "witness key")
    if raw[0] == _ALG_ED25519:
        raise ValueError(
            "this is a signed-note key (type 0x01), not a cosignature key (type 0x04); "
            "give the key `hanano log witness-key` printed"
        )
    if raw[0] != _ALG_COSIGNATURE_V1 or len(raw) != 33:
        raise ValueError("a witness key must be 0x04 followed by a 32-byte Ed25519 key")
    if len(ident_hex) != 8 or not set(ident_hex) <= _HEX:
        raise ValueError("the key id must be 8 lowercase hex digits")
    public = raw[1:]
    if key_id(name, public) != int(ident_hex, 16):
        raise ValueError("the key id does not match the key")
    return CosignerKey(name, int(ident_hex, 16), public)


def cosign(body: str, signer_key: str, timestamp: int) -> str:
    """The cosignature line (ending in a newline) over checkpoint ``body`` at ``timestamp``."""
    name, seed = _parse_signer(signer_key)
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError("timestamp out of range")
    note._check_text(body)
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(_message(body, timestamp))
    blob = key_id(name, _public(seed)).to_bytes(4, "big") + timestamp.to_bytes(8, "big")
    encoded = base64.b64encode(blob + signature).decode("ascii")
    return f"{_SIG_PREFIX}{name} {encoded}\n"


def parse_cosignature_line(line: str) -> Cosignature | None:
    """A signature line read as a cosignature, or None if it cannot be one."""
    line = line.rstrip("\n")
    if not line.startswith(_SIG_PREFIX):
        return None
    name, sep, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    if not sep or not name:
        return None
    try:
        raw = _decode(encoded, "signature")
    except ValueError:
        return None
    if len(raw) != 4 + 8 + 64:
        return None
    timestamp = int.from_bytes(raw[4:12], "big")
    if timestamp > _MAX_TIMESTAMP:
        return None
    return Cosignature(name, int.from_bytes(raw[:4], "big"), timestamp, raw[12:], line + "\n")


def verify_cosignature(body: str, cosignature: Cosignature, key: CosignerKey) -> bool:
    """True iff ``cosignature`` is ``key``'s valid cosignature over checkpoint ``body``."""
    if (cosignature.name, cosignature.key_id) != (key.name, key.key_id):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(
            cosignature.signature, _message(body, cosignature.timestamp)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_lines(signed_note: str) -> tuple[str, list[str]]:
    """Split a signed note into its body and its signature lines (each ending in a newline)."""
    split = signed_note.rfind("\n\n")
    if split < 0 or not signed_note.endswith("\n"):
        raise ValueError("not a signed note: no blank line before the signatures")
    body, block = signed_note[: split + 1], signed_note[split + 2 :]
    return body, [line + "\n" for line in block[:-1].split("\n")]


def _message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _format(name: str, ident: int, public_key: bytes) -> str:
    material = base64.b64encode(bytes([_ALG_COSIGNATURE_V1]) + public_key).decode("ascii")
    return f"{name}+{ident:08x}+{material}"


def _public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def _parse_signer(signer_key: str) -> tuple[str, bytes]:
    if not isinstance(signer_key, str) or not signer_key.startswith(_SIGNER_PREFIX):
        raise ValueError(f"a signer key starts with {_SIGNER_PREFIX!r}")
    parts = signer_key.strip()[len(_SIGNER_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise ValueError("a signer key has the form PRIVATE+KEY+name+keyid+base64key")
    name, ident_hex, material = parts
    note._check_name(name)
    raw = _decode(material, "signer key")
    if raw[0] not in (_ALG_ED25519, _ALG_COSIGNATURE_V1) or len(raw) != 33:
        raise ValueError("a signer key must be 0x01 or 0x04 followed by a 32-byte Ed25519 seed")
    seed = raw[1:]
    # The key id must match the derivation of the key's own algorithm byte, so a mistyped key
    # is caught here rather than producing cosignatures nobody can check.
    if raw[0] == _ALG_ED25519:
        expected = int.from_bytes(
            hashlib.sha256(name.encode() + b"\n" + raw[:1] + _public(seed)).digest()[:4], "big"
        )
    else:
        expected = key_id(name, _public(seed))
    if len(ident_hex) != 8 or not set(ident_hex) <= _HEX or int(ident_hex, 16) != expected:
        raise ValueError("the signer key id does not match the key")
    return name, seed


def _decode(text: str, what: str) -> bytes:
    raw = note._b64decode(text)
    if raw is None:
        raise ValueError(f"{what} is not canonical base64")
    return raw
