"""Kill the server with SIGKILL under load: every acknowledged report survives, exactly once."""

import json
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
from click.testing import CliRunner
from sqlalchemy import select

from hanano.cli import main
from hanano.domains import REGISTRY
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.rebuild import rebuild, snapshot
from tests.helpers_server import free_port, start_server

CLIENTS = 8
PER_CLIENT = 120


def make_report(n: int) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "strike",
        "observed_at": datetime.now(UTC).isoformat(),
        "lat": 36.15 + (n % 97) * 0.001,
        "lon": 37.10 + (n % 89) * 0.0013,
        "accuracy_m": 20.0,
        "source": "citizen",
        "trapped": n % 4,
    }


def test_sigkill_mid_load_loses_no_acknowledged_report(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    token = runner.invoke(
        main, ["--db", db_url, "token", "create", "--role", "dispatcher"]
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = start_server(db_url, port, log)

    plans = [[make_report(c * PER_CLIENT + i) for i in range(PER_CLIENT)] for c in range(CLIENTS)]
    acked: dict[str, str] = {}
    unanswered: list[dict[str, object]] = []
    lock = threading.Lock()
    killed = threading.Event()

    def client(plan: list[dict[str, object]]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
            for body in plan:
                if killed.is_set():
                    with lock:
                        unanswered.append(body)
                    continue
                try:
                    response = http.post("/api/v1/reports", json=body)
                except httpx.TransportError:
                    with lock:
                        unanswered.append(body)
                    continue
                assert response.status_code == 201, response.text
                with lock:
                    acked[str(body["id"])] = response.json()["incident"]["id"]

    threads = [threading.Thread(target=client, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < CLIENTS * PER_CLIENT // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait()
    killed.set()
    for thread in threads:
        thread.join()
    acked_before_kill = dict(acked)
    assert 0 < len(acked_before_kill) < CLIENTS * PER_CLIENT
    assert unanswered, "the kill should have cut some requests off"

    server = start_server(db_url, port, log)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for body in unanswered:
                response = http.post("/api/v1/reports", json=body)
                assert response.status_code == 201, response.text
                acked[str(body["id"])] = response.json()["incident"]["id"]
            # A retry of an acknowledged report returns its original answer.
            sample = next(iter(acked_before_kill))
            plan_body = next(b for p in plans for b in p if b["id"] == sample)
            replay = http.post("/api/v1/reports", json=plan_body)
            assert replay.json()["incident"]["id"] == acked_before_kill[sample]
            assert replay.headers["Idempotent-Replayed"] == "true"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            entries = (
                conn.execute(
                    select(schema.events.c.canonical).where(
                        schema.events.c.type == "intake.report_received"
                    )
                )
                .scalars()
                .all()
            )
            stored = Counter(json.loads(bytes(e))["data"]["report_id"] for e in entries)
            seqs = (
                conn.execute(select(schema.events.c.seq).order_by(schema.events.c.seq))
                .scalars()
                .all()
            )
            live = snapshot(conn, REGISTRY)
        assert all(stored[i] == 1 for i in acked_before_kill)
        assert set(stored) == {str(b["id"]) for p in plans for b in p}
        assert max(stored.values()) == 1
        assert seqs == list(range(1, len(seqs) + 1))
        rebuild(engine, REGISTRY)
        with engine.connect() as conn:
            assert snapshot(conn, REGISTRY) == live
    finally:
        engine.dispose()
