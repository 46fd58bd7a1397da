"""The operation archive's layout, and the cryptography it uses.

One USTAR tar: chunks of events (`events/NNNNNN.log`, one line per event: seq, leaf hash, the
canonical bytes as logged), their sealed fields (`sealed/NNNNNN.jsonl`, or `.enc` when encrypted
to a receiver's X25519 key), checkpoints, cosignatures, timestamps, media blobs by hash, the log's
signing key under a passphrase, and last `manifest.json` with the SHA-256 of every other member.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "hanano-archive"
VERSION = 1
MANIFEST = "manifest.json"
KEY_MEMBER = "log-key.json"
CHUNK_EVENTS = 20000
CHUNK_ROWS = 20000
# scrypt at OWASP's recommended cost (N=2^17, r=8, p=1): 128 MiB and a fraction of a second
# per guess, once per export or import.
SCRYPT_N = 2**17
_SEALED_INFO = b"hanano archive sealed fields"


class ArchiveRefused(Exception):
    """The archive cannot be imported; the message names the member and, where known, the index."""


def member_name(kind: str, number: int, suffix: str) -> str:
    return f"{kind}/{number:06d}.{suffix}"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The one encoding of a manifest: any other bytes for the same content are refused."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ArchiveRefused(f"{what}: not base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ArchiveRefused(f"{what}: not base64") from None


# --- the signing key under a passphrase -----------------------------------------------------


def _scrypt(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode())


def seal_key(signer: str, verifier: str, passphrase: str) -> bytes:
    """The signer key encrypted with AES-256-GCM under scrypt(passphrase); the verifier key is
    bound in as associated data, so the file cannot be paired with another log's identity."""
    if not passphrase:
        raise ValueError("the passphrase for the log's signing key is empty")
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_scrypt(passphrase, salt, SCRYPT_N)).encrypt(
        nonce, signer.encode(), verifier.encode()
    )
    document = {"kdf": "scrypt", "n": SCRYPT_N, "r": 8, "p": 1, "cipher": "AES-256-GCM"}
    document.update(salt=b64(salt), nonce=b64(nonce), ciphertext=b64(sealed))
    return manifest_bytes(document)


def open_key(data: bytes, verifier: str, passphrase: str) -> str:
    """The signer key from `seal_key`'s bytes; ArchiveRefused on a wrong passphrase."""
    try:
        document = json.loads(data)
        n = int(document["n"])
        salt = unb64(document["salt"], KEY_MEMBER)
        nonce = unb64(document["nonce"], KEY_MEMBER)
        sealed = unb64(document["ciphertext"], KEY_MEMBER)
    except (ValueError, KeyError, TypeError):
        raise ArchiveRefused(f"{KEY_MEMBER}: not a sealed key") from None
    if document.get("kdf") != "scrypt" or n not in (2**15, 2**16, 2**17, 2**18, 2**19, 2**20):
        raise ArchiveRefused(f"{KEY_MEMBER}: unknown key derivation")
    try:
        key = _scrypt(passphrase, salt, n)
        signer = AESGCM(key).decrypt(nonce, sealed, verifier.encode()).decode()
    except (InvalidTag, ValueError):
        raise ArchiveRefused(
            f"{KEY_MEMBER}: the passphrase is wrong (or the sealed key was changed)"
        ) from None
    return signer


# --- sealed fields to a receiver's X25519 key -----------------------------------------------


def load_public_key(pem: bytes) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, X25519PublicKey):
        raise ValueError("not an X25519 public key")
    return key


def load_private_key(pem: bytes) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, X25519PrivateKey):
        raise ValueError("not an X25519 private key")
    return key


def new_receiver_key() -> tuple[bytes, bytes]:
    """A new X25519 key pair as PEM: the private key (unencrypted PKCS #8), the public key."""
    private = X25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def public_key_text(key: X25519PublicKey) -> str:
    """A public key as a token records it: base64 of its 32 raw bytes."""
    return b64(_raw(key))


def public_key_from_text(text: str) -> X25519PublicKey:
    """The key `public_key_text` wrote; ValueError if `text` is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError(f"an X25519 public key is 32 bytes, not {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _chunk_key(shared: bytes, ephemeral: bytes, receiver: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + receiver, info=_SEALED_INFO)
    return hkdf.derive(shared)


@dataclass(frozen=True)
class SealedCipher:
    """AES-256-GCM over each sealed chunk, keyed by X25519(ephemeral, receiver) through HKDF.
    The nonce is the chunk's number (the key is new for each archive); the member's name is the
    associated data, so chunks cannot be swapped."""

    key: bytes
    ephemeral: bytes

    @classmethod
    def to(cls, receiver: X25519PublicKey) -> SealedCipher:
        ephemeral = X25519PrivateKey.generate()
        public = _raw(ephemeral.public_key())
        shared = ephemeral.exchange(receiver)
        return cls(_chunk_key(shared, public, _raw(receiver)), public)

    @classmethod
    def for_receiver(cls, private: X25519PrivateKey, ephemeral: bytes) -> SealedCipher:
        peer = X25519PublicKey.from_public_bytes(ephemeral)
        shared = private.exchange(peer)
        return cls(_chunk_key(shared, ephemeral, _raw(private.public_key())), ephemeral)

    def encrypt(self, number: int, name: str, data: bytes) -> bytes:
        return AESGCM(self.key).encrypt(number.to_bytes(12, "big"), data, name.encode())

    def decrypt(self, number: int, name: str, data: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(number.to_bytes(12, "big"), data, name.encode())
        except InvalidTag:
            raise ArchiveRefused(
                f"{name}: cannot be decrypted with this private key (not the receiver's, or the "
                "member was changed)"
            ) from None


# --- the tree, appended leaf by leaf --------------------------------------------------------


class Frontier:
    """The right edge of an RFC 9162 tree: appends a leaf, returns the subtree hashes it
    completes (as `merkle_store.append_nodes` stores them), and gives the root at any size."""

    def __init__(self) -> None:
        self.stack: list[bytes] = []
        self.size = 0

    @classmethod
    def resume(cls, size: int, node: Callable[[int, int], bytes]) -> Frontier:
        """The right edge of a stored tree of `size` leaves: its complete subtrees, largest
        first, read by `node(level, index)`."""
        frontier = cls()
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                frontier.stack.append(node(level, (size >> level) - 1))
        frontier.size = size
        return frontier

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        nodes = [(0, self.size, leaf)]
        node, level, index = leaf, 0, self.size
        while index & 1:
            node = hashlib.sha256(b"\x01" + self.stack.pop() + node).digest()
            level += 1
            index >>= 1
            nodes.append((level, index, node))
        self.stack.append(node)
        self.size += 1
        return nodes

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        acc = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            acc = hashlib.sha256(b"\x01" + left + acc).digest()
        return acc
