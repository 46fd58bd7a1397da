"""One writer at a time, whichever process it is in: two servers on one store take turns group
by group, and the log stays one unbroken sequence. A writer that loses its connection (its
database server gone, as in a failover) fails that group, unacknowledged, and writes the next
ones through a new connection."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select, text

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.evidence import log
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.sequencer import Tx
from tests.conftest import BACKEND


def _token(tx: Tx) -> int:
    create_token(tx, "test", "public", None)
    return tx.next_seq - 1


def test_two_servers_on_one_store_take_turns_in_one_log(
    service: Service, settings: Settings, clock: ManualClock
) -> None:
    second = Service(settings, clock=clock).start()
    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(s.execute, _token) for _ in range(40) for s in (service, second)]
            written = sorted(f.result(timeout=60) for f in futures)
        assert written == list(range(1, 81))
        with service.engine.connect() as conn:
            seqs = conn.execute(select(schema.events.c.seq).order_by(schema.events.c.seq)).all()
            assert [s for (s,) in seqs] == written
            assert log.tree_size(conn) == 80
    finally:
        second.stop()


def test_a_writer_whose_connection_is_cut_takes_a_new_one(service: Service) -> None:
    before = service.execute(_token)

    def cut(tx: Tx) -> None:
        # The database server ends the writer's own session, as a failover does.
        if BACKEND == "postgresql":
            tx.conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        else:
            tx.conn.invalidate()

    outcomes: list[object] = []
    for command in (cut, _token, _token):
        try:
            outcomes.append(service.execute(command))
        except Exception as exc:  # the group that met the cut session: not acknowledged
            outcomes.append(type(exc).__name__)
    assert isinstance(outcomes[0], str), outcomes
    assert outcomes[1:] == [before + 1, before + 2]
    with service.engine.connect() as conn:
        assert log.tree_size(conn) == before + 2


def test_a_rebuild_waits_for_the_writer_of_another_process(
    service: Service, settings: Settings, clock: ManualClock
) -> None:
    # `hanano store rebuild` beside a running server: were the two to overlap, the server's
    # update of a row the rebuild has deleted and put back would find no row, and be lost.
    service.execute(_token)
    inside, leave = threading.Event(), threading.Event()

    def held(tx: Tx) -> None:
        create_token(tx, "test", "public", None)
        inside.set()
        assert leave.wait(30)

    other = Service(settings, clock=clock).start()
    try:
        with ThreadPoolExecutor(2) as pool:
            writing = pool.submit(other.execute, held)
            assert inside.wait(30)
            rebuilding = pool.submit(service.rebuild)
            time.sleep(1.0)
            assert not rebuilding.done(), "the rebuild ran while another writer held the store"
            leave.set()
            writing.result(timeout=30)
            assert rebuilding.result(timeout=60) == 2
    finally:
        leave.set()
        other.stop()


def test_the_writer_s_mark_does_not_pass_to_the_pool_s_next_borrower(tmp_path: Path) -> None:
    """A reader that got the writer's mark would BEGIN IMMEDIATE and hold SQLite's write lock
    while it awaits the writer: both would wait, and the request fail with "database is
    locked"."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        with engine.connect() as conn:
            conn.info["writer"] = True
        with engine.connect() as conn:
            assert "writer" not in conn.info
    finally:
        engine.dispose()
