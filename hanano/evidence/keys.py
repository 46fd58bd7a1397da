"""The log's signing key, kept in a file apart from the database.

Whoever can rewrite the database alone must not also be able to re-sign a rewritten history, so
the key lives outside it (mode 0600), and its verifier key is what investigators are given.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from hanano.evidence import note


@dataclass(frozen=True)
class LogKey:
    signer: str
    verifier: str

    @property
    def name(self) -> str:
        return self.verifier.split("+", 1)[0]


def load_or_create(path: Path, origin: str) -> LogKey:
    """Read the signer key at `path`, or make one named after the log's origin."""
    if path.exists():
        signer = path.read_text(encoding="utf-8").strip()
        try:
            verifier = note.verifier_key_from_signer(signer)
        except ValueError as exc:
            raise ValueError(f"{path}: not a signer key ({exc})") from exc
        return LogKey(signer, verifier)
    signer, verifier = note.generate_key(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(signer + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return LogKey(signer, verifier)


def default_key_path(database_url: str, configured: str | None) -> Path:
    """Beside the SQLite file (so a store and its key travel together), else the working dir."""
    if configured:
        return Path(configured)
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database + ".log-key")
    return Path("hanano-log.key")
