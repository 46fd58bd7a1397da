"""One writer at a time: a second server on the same PostgreSQL store waits for the writer's
lease, and takes it, with the log continuing, once the first server is gone. A writer that
loses its connection takes a new one (and the lease) before the next group."""

from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from sqlalchemy import text

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.evidence import log
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import lease
from hanano.store.sequencer import Tx
from tests.conftest import BACKEND


def _token(tx: Tx) -> int:
    create_token(tx, "test", "public", None)
    return tx.next_seq - 1


def _size(service: Service) -> int:
    with service.engine.connect() as conn:
        return log.tree_size(conn)


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite's own write lock is its lease")
def test_a_second_server_waits_for_the_lease_then_continues_the_log(
    service: Service, settings: Settings, clock: ManualClock
) -> None:
    first = service.execute(_token)
    second = Service(settings, clock=clock).start()
    try:
        waiting = second.sequencer.submit(_token)
        with pytest.raises(FutureTimeout):
            waiting.result(timeout=1.5)
        # The first server still writes while the second waits.
        assert service.execute(_token) == first + 1
        service.stop()
        assert waiting.result(timeout=10) == first + 2
        assert _size(second) == first + 2
    finally:
        second.stop()


def test_a_writer_whose_connection_is_cut_takes_a_new_one(service: Service) -> None:
    before = service.execute(_token)
    if BACKEND == "postgresql":
        # The database server ends the writer's session, as a failover does.
        with service.engine.connect() as conn:
            a, b = lease.key(conn)
            ended = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND classid = :a AND objid = :b AND objsubid = 2"
                ),
                {"a": a, "b": b % (1 << 32)},
            ).all()
            conn.commit()
        assert ended == [(True,)]
        time.sleep(0.2)
    results = []
    for _ in range(3):
        try:
            results.append(service.execute(_token))
        except Exception as exc:  # the group that met the cut connection: not acknowledged
            results.append(type(exc).__name__)
    if BACKEND == "postgresql":
        # The group that met the cut session fails, unacknowledged; the next ones are written.
        assert results[0] == "OperationalError", results
    written = [r for r in results if isinstance(r, int)]
    assert written and written == list(range(before + 1, before + 1 + len(written)))
    assert _size(service) == written[-1]
