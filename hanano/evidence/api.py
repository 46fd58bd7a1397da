"""The evidence log's use cases for the HTTP routes and the CLI."""

from __future__ import annotations

from hanano.domain import Runtime
from hanano.store.records import read_entries


def log_entries(runtime: Runtime, after: int, limit: int) -> list[tuple[int, bytes, bytes]]:
    """Log entries as hashed: (seq, canonical bytes, leaf hash), in log order. What a caller's
    role may read of each is the route's to shape (`hanano.access.visibility.entry_view`)."""
    with runtime.engine.connect() as conn:
        return read_entries(conn, after, limit)
