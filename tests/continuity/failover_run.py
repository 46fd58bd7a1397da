"""One failover under load, for the test and bench/failover.py: `hanano serve` on a PostgreSQL
pair run by Patroni, clients posting reports, the primary killed with everything of it."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from hanano.cli import main
from hanano.store import schema
from hanano.store.engine import make_engine, normalise_url
from tests.continuity import patroni_cluster
from tests.helpers_server import free_port, start_server
from tests.test_crash import make_report

CLIENTS = 4


class Load:
    """Clients that post reports, each until it is acknowledged: a refusal (503 while the store
    is away) or a cut connection is sent again with the same id, as the field app does."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.acked: list[tuple[float, str]] = []
        self.sent = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(c,)) for c in range(CLIENTS)]

    def client(self, c: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=5) as http:
            n = 0
            while not self.stop.is_set():
                body = make_report(c * 100_000 + n)
                n += 1
                while not self.stop.is_set():
                    try:
                        answer = http.post("/api/v1/reports", json=body)
                    except httpx.TransportError:
                        answer = None
                    if answer is not None and answer.status_code in (200, 201):
                        with self.lock:
                            self.acked.append((time.monotonic(), str(body["id"])))
                        break
                    assert answer is None or answer.status_code in (500, 503), answer.text
                    time.sleep(0.1)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)

    def wait_for(self, count: int, timeout_s: float) -> None:
        end = time.monotonic() + timeout_s
        while self.count() < count:
            assert time.monotonic() < end, f"only {self.count()} reports acknowledged"
            time.sleep(0.05)


@dataclass(frozen=True)
class Outcome:
    acked: list[str]
    stored: Counter[str]
    seqs: list[int]
    primary_port: int
    standby_port: int
    first_ack_after_kill_s: float
    longest_gap_s: float

    @property
    def lost(self) -> list[str]:
        return [i for i in self.acked if self.stored[i] == 0]

    @property
    def doubled(self) -> list[str]:
        return [i for i, n in self.stored.items() if n > 1]

    def line(self) -> str:
        return (
            f"acked={len(self.acked)} lost={len(self.lost)} doubled={len(self.doubled)} "
            f"first_ack_after_kill_s={self.first_ack_after_kill_s:.2f} "
            f"failover_s={self.longest_gap_s:.2f}"
        )


def _stored(url: str) -> tuple[int, Counter[str], list[int]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            primary = int(conn.execute(text("SELECT inet_server_port()")).scalar_one())
            leaves = conn.execute(
                select(schema.events.c.canonical).where(
                    schema.events.c.type == "intake.report_received"
                )
            ).scalars()
            stored = Counter(json.loads(bytes(e))["data"]["report_id"] for e in leaves)
            seqs = [s for (s,) in conn.execute(select(schema.events.c.seq).order_by("seq"))]
    finally:
        engine.dispose()
    return primary, stored, seqs


def _prepared(cluster: patroni_cluster.Cluster) -> tuple[str, str]:
    """The store's URL, initialised with Aleppo, and a dispatcher's token."""
    admin = create_engine(normalise_url(cluster.url("postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE hanano"))
    admin.dispose()
    url = cluster.url("hanano")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", url, "init", "--aleppo"]).exit_code == 0
    made = runner.invoke(main, ["--db", url, "token", "create", "--role", "dispatcher"])
    return url, made.stdout.strip()


def run_failover(work: Path) -> Outcome:
    with patroni_cluster.patroni_pair() as cluster:
        url, token = _prepared(cluster)
        port = free_port()
        server = start_server(url, port, work / "server.log")
        try:
            with Load(f"http://127.0.0.1:{port}", token) as load:
                load.wait_for(40, 60)
                cluster.node("node1").kill()
                killed_at = time.monotonic()
                acked_before = load.count()
                cluster.wait_for({"leader"}, 60)
                load.wait_for(acked_before + 40, 60)
        finally:
            server.terminate()
            server.wait(timeout=20)
        primary, stored, seqs = _stored(url)
        times = [t for t, _ in load.acked]
        return Outcome(
            acked=[i for _, i in load.acked],
            stored=stored,
            seqs=seqs,
            primary_port=primary,
            standby_port=cluster.node("node2").pg_port,
            first_ack_after_kill_s=min(times[acked_before:]) - killed_at,
            longest_gap_s=max(b - a for a, b in itertools.pairwise(times)),
        )
