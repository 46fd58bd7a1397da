"""What a mirror holds of the log it follows: read by the follower and by `hanano serve`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, inspect, select

from hanano.evidence.log import Checkpoint, parse_checkpoint
from hanano.evidence.mirror_blobs import missing_blobs
from hanano.evidence.tables import mirror_state


@dataclass(frozen=True)
class MirrorState:
    origin: str
    primary_url: str
    log_key: str
    size: int
    note: str
    stored_at: str
    primary_size: int
    checked_at: str
    cosignature: str | None
    unprojected: int
    blobs_missing: int = 0
    """Media originals the log here names that are not here yet (`mirror_blobs`)."""

    @property
    def checkpoint(self) -> Checkpoint:
        return parse_checkpoint(self.note.split("\n\n", 1)[0] + "\n")

    @property
    def behind(self) -> int:
        """Entries the primary had signed when last looked at that are not stored here yet."""
        return max(0, self.primary_size - self.size)

    def view(self) -> dict[str, Any]:
        """As the API shows it (sizes and times only: the primary's checkpoint is public)."""
        return {
            "primary": self.primary_url,
            "origin": self.origin,
            "size": self.size,
            "primary_size": self.primary_size,
            "behind": self.behind,
            "stored_at": self.stored_at,
            "checked_at": self.checked_at,
            "cosignature": self.cosignature,
            # Events in the log here that need a sealed value to be shown (see mirror_project).
            "unprojected": self.unprojected,
            # A count only: the hashes are in the log's media events, which not every role reads.
            "blobs_missing": self.blobs_missing,
        }


def read_mirror(conn: Connection) -> MirrorState | None:
    """The store's mirror record, or None when the store is no mirror (or predates the table)."""
    if not inspect(conn).has_table(mirror_state.name):
        return None
    row = conn.execute(select(mirror_state).limit(1)).first()
    if row is None:
        return None
    return MirrorState(**row._mapping, blobs_missing=missing_blobs(conn))


def mirror_of(engine: Engine) -> MirrorState | None:
    with engine.connect() as conn:
        return read_mirror(conn)
