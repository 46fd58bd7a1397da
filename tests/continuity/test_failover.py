"""A standby that takes over: `hanano serve` on a PostgreSQL pair run by Patroni (primary and
synchronous standby), under load from several clients. The primary is killed with everything of
it; Patroni promotes the standby; the server reconnects. Every acknowledged report is on the
new primary exactly once, and writes resume within the target (15 s), measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BACKEND
from tests.continuity import patroni_cluster
from tests.continuity.failover_run import run_failover

RESUME_TARGET_S = 15.0

pytestmark = [
    pytest.mark.skipif(
        BACKEND != "postgresql", reason="a PostgreSQL standby: run in the suite's PostgreSQL pass"
    ),
    pytest.mark.skipif(
        patroni_cluster.available() is not None, reason=str(patroni_cluster.available())
    ),
]


def test_a_killed_primary_costs_no_acknowledged_report(tmp_path: Path) -> None:
    outcome = run_failover(tmp_path)
    print("failover:", outcome.line())
    assert outcome.primary_port == outcome.standby_port
    assert len(outcome.acked) >= 80
    assert outcome.lost == [] and outcome.doubled == []
    assert outcome.seqs == list(range(1, len(outcome.seqs) + 1))
    assert outcome.longest_gap_s <= RESUME_TARGET_S, outcome.line()
