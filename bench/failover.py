"""Failover time of a PostgreSQL pair run by Patroni under report load (issue: continuity).

Each round starts etcd and two Patroni nodes (primary and synchronous standby) on free ports,
runs `hanano serve` on them with four clients posting reports, kills the primary with all its
processes, and measures how long writes stop. Needs Debian's patroni and etcd-server, and root
(PostgreSQL runs as the postgres user). Last line: `failover_s=N lost=N doubled=N`, the worst
round's.

    .venv/bin/python bench/failover.py --rounds 3
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.continuity import patroni_cluster
from tests.continuity.failover_run import run_failover


@click.command()
@click.option("--rounds", default=3, show_default=True)
def bench(rounds: int) -> None:
    missing = patroni_cluster.available()
    if missing:
        raise click.ClickException(missing)
    worst = None
    for n in range(rounds):
        with tempfile.TemporaryDirectory() as work:
            outcome = run_failover(Path(work))
        click.echo(f"round {n + 1}: {outcome.line()}")
        if worst is None or outcome.longest_gap_s > worst.longest_gap_s:
            worst = outcome
    assert worst is not None
    click.echo(
        f"failover_s={worst.longest_gap_s:.2f} lost={len(worst.lost)} doubled={len(worst.doubled)}"
    )


if __name__ == "__main__":
    bench()
