"""Signed notes (C2SP signed-note) with Ed25519 keys.

A signed note is a UTF-8 text ending in a newline, then a blank line, then one
or more signature lines ``— <key name> <base64(key id || signature)>``. Tree
heads of the evidence log are published this way so that investigators can
check them with any C2SP-conformant tool (for instance Go's
``golang.org/x/mod/sumdb/note``), and so that witnesses can add cosignatures.

Keys are text, in the same encoding as the Go implementation:

* verifier key: ``<name>+<key id>+<base64(0x01 || 32-byte public key)>``
* signer key: ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>``

where the key id is the first four bytes, big-endian, of
SHA-256(name || 0x0A || 0x01 || public key), written as eight lowercase hex
digits. The key id in a key string must match the key it carries.

Verification rules, from the spec: signatures from unknown keys (name and key
id not both matching a known key) are ignored; every signature from a known
key must verify, and one that fails rejects the whole note; at least one must
verify. A note is malformed, and rejected, if it is not valid UTF-8, contains
an ASCII control character other than newline, lacks the blank line before
the signatures, has a malformed signature line, or has more than 100
signatures.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "MAX_SIGNATURES",
    "NoteError",
    "add_signature",
    "generate_key",
    "open_note",
    "sign",
    "verifier_key_from_signer",
    "verify",
]

MAX_SIGNATURES = 100
"""Most signature lines a note may carry; more makes the note malformed."""

_ALG_ED25519 = 0x01
_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_SIGNER_PREFIX = "PRIVATE+KEY+"
# Em dash (U+2014) and a space open every signature line.
_SIG_PREFIX = "\u2014 "
_HEX_DIGITS = frozenset("0123456789abcdef")


class NoteError(ValueError):
    """A note could not be opened: malformed, or not signed by a known key."""


@dataclass(frozen=True)
class _Verifier:
    name: str
    key_id: int
    public_key: bytes


@dataclass(frozen=True)
class _Signer:
    name: str
    key_id: int
    seed: bytes


@dataclass(frozen=True)
class _SignatureLine:
    name: str
    key_id: int
    signature: bytes


# --------------------------------------------------------------------------
# Public API


def generate_key(name: str) -> tuple[str, str]:
    """Create a fresh Ed25519 key pair for ``name``.

    Returns ``(signer_key, verifier_key)`` as text. The signer key is secret.
    Raises ValueError if ``name`` is empty or contains whitespace, '+', or a
    control character.
    """
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    key_id = _key_id(name, public)
    signer_key = f"{_SIGNER_PREFIX}{name}+{key_id:08x}+{_encode_key(seed)}"
    return signer_key, _format_verifier_key(name, key_id, public)


def verifier_key_from_signer(signer_key: str) -> str:
    """Return the verifier key that matches ``signer_key``.

    Raises ValueError if ``signer_key`` is malformed.
    """
    signer = _parse_signer_key(signer_key)
    return _format_verifier_key(signer.name, signer.key_id, _public_from_seed(signer.seed))


def sign(text: str, signer_key: str) -> str:
    """Sign ``text`` and return the signed note: text, blank line, signature line.

    ``text`` must end in a newline and contain no ASCII control characters
    other than newline. Raises ValueError for a malformed text or key.
    """
    signer = _parse_signer_key(signer_key)
    _check_text(text)
    return f"{text}\n{_signature_line(text, signer)}"


def add_signature(note: str, signer_key: str) -> str:
    """Append another signature over ``note``'s text (for example a cosignature).

    Existing signatures are kept as they are and not checked, since the
    signer need not hold their keys. Raises ValueError if the note is
    malformed, already carries a signature by this key, or already has the
    maximum number of signatures, or if the key is malformed.
    """
    signer = _parse_signer_key(signer_key)
    text, lines = _parse_note(note)
    if any((line.name, line.key_id) == (signer.name, signer.key_id) for line in lines):
        raise ValueError(f"note is already signed by {signer.name}+{signer.key_id:08x}")
    if len(lines) >= MAX_SIGNATURES:
        raise ValueError(f"note already has {MAX_SIGNATURES} signatures, the maximum")
    return note + _signature_line(text, signer)


def open_note(note: str, verifier_keys: Sequence[str]) -> str:
    """Return the text of ``note`` if a signature by one of ``verifier_keys`` verifies.

    Signatures by keys not in ``verifier_keys`` are ignored. Raises NoteError
    if the note or any verifier key is malformed, if a signature by a known
    key fails to verify, or if no known key signed the note. A single key
    string is accepted in place of a sequence.
    """
    keys = [verifier_keys] if isinstance(verifier_keys, str) else verifier_keys
    if not isinstance(keys, Sequence):
        raise NoteError("verifier keys must be a sequence of key strings")
    known: dict[tuple[str, int], bytes] = {}
    for vkey in keys:
        try:
            verifier = _parse_verifier_key(vkey)
        except ValueError as exc:
            raise NoteError(f"malformed verifier key: {exc}") from None
        ident = (verifier.name, verifier.key_id)
        if known.get(ident, verifier.public_key) != verifier.public_key:
            # Two different keys under one name and id: which one a signature
            # line means cannot be told, so refuse rather than guess.
            raise NoteError(f"ambiguous verifier keys for {verifier.name}+{verifier.key_id:08x}")
        known[ident] = verifier.public_key
    if not known:
        raise NoteError("no verifier keys given")

    text, lines = _parse_note(note)
    message = text.encode("utf-8")
    verified = False
    for line in lines:
        public_key = known.get((line.name, line.key_id))
        if public_key is None:
            continue
        # The spec says a failing signature by a known key should reject the
        # whole note; for evidence that is the only safe reading.
        if not _ed25519_verify(public_key, line.signature, message):
            raise NoteError(f"invalid signature for key {line.name}+{line.key_id:08x}")
        verified = True
    if not verified:
        raise NoteError("note has no signature by a known key")
    return text


def verify(note: str, verifier_key: str) -> bool:
    """Return True iff ``note`` carries a valid signature by ``verifier_key``.

    Other signatures are ignored. Malformed notes or keys give False; this
    function never raises.
    """
    if not isinstance(verifier_key, str):
        return False
    try:
        open_note(note, [verifier_key])
    except NoteError:
        return False
    return True


# --------------------------------------------------------------------------
# Keys


def _key_id(name: str, public_key: bytes) -> int:
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([_ALG_ED25519]) + public_key
    ).digest()
    return int.from_bytes(digest[:4], "big")


def _format_verifier_key(name: str, key_id: int, public_key: bytes) -> str:
    return f"{name}+{key_id:08x}+{_encode_key(public_key)}"


def _encode_key(raw: bytes) -> str:
    return base64.b64encode(bytes([_ALG_ED25519]) + raw).decode("ascii")


def _public_from_seed(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def _parse_verifier_key(vkey: object) -> _Verifier:
    """Parse ``name+keyid+key``; raises ValueError saying what is wrong."""
    if not isinstance(vkey, str):
        raise ValueError("verifier key must be a string")
    name, key_id, public_key = _parse_key_fields(vkey, "verifier key")
    if _key_id(name, public_key) != key_id:
        raise ValueError("verifier key id does not match the key")
    return _Verifier(name, key_id, public_key)


def _parse_signer_key(skey: object) -> _Signer:
    """Parse ``PRIVATE+KEY+name+keyid+seed``; raises ValueError saying what is wrong."""
    if not isinstance(skey, str):
        raise ValueError("signer key must be a string")
    if not skey.startswith(_SIGNER_PREFIX):
        raise ValueError(f"signer key must start with {_SIGNER_PREFIX!r}")
    name, key_id, seed = _parse_key_fields(skey[len(_SIGNER_PREFIX) :], "signer key")
    if _key_id(name, _public_from_seed(seed)) != key_id:
        raise ValueError("signer key id does not match the key")
    return _Signer(name, key_id, seed)


def _parse_key_fields(text: str, what: str) -> tuple[str, int, bytes]:
    # Split only twice: the base64 key material may itself contain '+'.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise ValueError(f"{what} must have the form name+keyid+base64key")
    name, key_id_hex, key_b64 = parts
    _check_name(name)
    if len(key_id_hex) != 8 or not set(key_id_hex) <= _HEX_DIGITS:
        raise ValueError(f"{what} id must be 8 lowercase hex digits")
    raw = _b64decode(key_b64)
    if raw is None:
        raise ValueError(f"{what} material is not valid base64")
    if len(raw) != 1 + _KEY_SIZE:
        raise ValueError(f"{what} material must be 1 + {_KEY_SIZE} bytes, got {len(raw)}")
    if raw[0] != _ALG_ED25519:
        raise ValueError(f"{what} algorithm {raw[0]:#04x} is not Ed25519 (0x01)")
    return name, int(key_id_hex, 16), raw[1:]


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError("key name must be a non-empty string")
    if "+" in name:
        raise ValueError(f"key name {name!r} must not contain '+'")
    # Names appear inside notes, which may hold no control characters, and
    # are delimited by spaces on signature lines.
    if any(ch.isspace() or ord(ch) < 0x20 for ch in name):
        raise ValueError(f"key name {name!r} must not contain whitespace or control characters")
    if not _is_utf8(name):
        raise ValueError(f"key name {name!r} is not valid UTF-8")


# --------------------------------------------------------------------------
# Notes


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise ValueError("note text must be a string")
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    _check_characters(text)


def _check_characters(text: str) -> None:
    if not _is_utf8(text):
        raise ValueError("note is not valid UTF-8")
    for ch in text:
        if ch < " " and ch != "\n":
            raise ValueError(f"note contains control character {ord(ch):#04x}")


def _parse_note(note: object) -> tuple[str, list[_SignatureLine]]:
    """Split a signed note into its text and signature lines; NoteError if malformed."""
    if not isinstance(note, str):
        raise NoteError("malformed note: not a string")
    try:
        _check_characters(note)
    except ValueError as exc:
        raise NoteError(f"malformed note: {exc}") from None
    # The text may contain blank lines itself; the last one separates it
    # from the signatures, which never contain one.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: signature block must end with a newline")
    raw_lines = block[:-1].split("\n")
    if len(raw_lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in raw_lines]


def _parse_signature_line(line: str) -> _SignatureLine:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError("malformed note: signature line must start with an em dash and a space")
    name, sep, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
    try:
        _check_name(name)
    except ValueError as exc:
        raise NoteError(f"malformed note: {exc}") from None
    raw = _b64decode(sig_b64) if sep else None
    # Four bytes of key id and at least one byte of signature.
    if raw is None or len(raw) < 5:
        raise NoteError("malformed note: bad signature encoding")
    return _SignatureLine(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _signature_line(text: str, signer: _Signer) -> str:
    private = Ed25519PrivateKey.from_private_bytes(signer.seed)
    signature = private.sign(text.encode("utf-8"))
    blob = signer.key_id.to_bytes(4, "big") + signature
    return f"{_SIG_PREFIX}{signer.name} {base64.b64encode(blob).decode('ascii')}\n"


def _ed25519_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    if len(signature) != _SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------
# Encoding helpers


def _b64decode(text: str) -> bytes | None:
    """Decode standard padded base64, accepting only its canonical spelling.

    Requiring the canonical form gives every key and signature exactly one
    textual encoding, so two differently spelled copies of one signature
    cannot both circulate.
    """
    if not text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _is_utf8(text: str) -> bool:
    # A Python str can hold lone surrogates, which have no UTF-8 encoding.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
