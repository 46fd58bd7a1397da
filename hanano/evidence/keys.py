"""The log's signing key, kept in a file apart from the database.

Whoever can rewrite the database alone must not also be able to re-sign a rewritten history, so
the key lives outside it (mode 0600), and its verifier key is what investigators are given.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from hanano.evidence import note

KEY_SETTING = "HANANO_LOG_KEY_FILE"


class LogKeyError(Exception):
    """The log's key cannot be used: missing, unreadable, or not the key this store's log has."""


@dataclass(frozen=True)
class LogKey:
    signer: str
    verifier: str

    @property
    def name(self) -> str:
        return self.verifier.split("+", 1)[0]


def load_key(path: Path) -> LogKey:
    """Read the signer key at `path`; LogKeyError if it is not there or not a key."""
    try:
        signer = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise LogKeyError(f"the log's signing key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LogKeyError(f"cannot read the log's signing key file {path}: {exc}") from None
    try:
        verifier = note.verifier_key_from_signer(signer)
    except ValueError as exc:
        raise LogKeyError(f"{path}: not a signer key ({exc})") from None
    return LogKey(signer, verifier)


def load_or_create(path: Path, origin: str) -> LogKey:
    """Read the signer key at `path`, or make one named after the log's origin."""
    if path.exists():
        return load_key(path)
    signer, verifier = note.generate_key(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process made it a moment ago: that key is the one.
        return load_key(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(signer + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return LogKey(signer, verifier)


def beside_sqlite(database_url: str) -> Path | None:
    """`<database>.log-key` for a SQLite store (a store and its key travel together), else None."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database + ".log-key")
    return None


def default_key_path(database_url: str) -> Path:
    """Where a new store's key is made: beside the SQLite file, else the working directory."""
    return beside_sqlite(database_url) or Path("hanano-log.key")


def purpose_key(signer: str, purpose: str) -> bytes:
    """A 32-byte key for one of the server's own purposes (keyed fingerprints, login counters),
    derived from the log's signing key with HKDF: no second secret to keep, and none of these
    keys reveals the signing key or can sign."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hanano " + purpose.encode())
    return hkdf.derive(signer.encode())
