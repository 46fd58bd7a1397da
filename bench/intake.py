"""Intake benchmark: sustained durable reports/s and latency of POST /api/v1/reports.

For each backend it starts `hanano serve` as a subprocess on 127.0.0.1, drives it with concurrent
keep-alive clients from a separate load process, and counts only 201 responses (each one is a
report whose transaction has committed durably). In the same run it measures the limit: how fast
this machine commits single rows with the same durability, so the server's figure can be read
against the disk rather than in the abstract.

    .venv/bin/python bench/intake.py [--duration 20] [--clients 32] [--backends sqlite,postgresql]

The last line printed is machine-readable, with the SQLite figures:
    reports_per_s=N p99_ms=N limit_rows_per_s=N
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import importlib.util
import math
import multiprocessing
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

PG_BASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"
# Aleppo's built-up area; linking clusters reports within 150 m and 30 min of each other.
LAT_RANGE = (36.15, 36.25)
LON_RANGE = (37.10, 37.22)
# A share of reports describe a strike someone else already reported, as happens in the field.
REPEAT_SHARE = 0.3
RECENT_SITES = 64
# A row about the size of a report event's canonical bytes, so the limit writes what intake does.
LIMIT_PAYLOAD = 600
GROUP_ROWS = 32
HEALTH_TIMEOUT_S = 60.0
CHILD_TIMEOUT_S = 30.0


# --- the limit: raw durable commits on this machine -----------------------------------------


@dataclass
class Limit:
    backend: str
    single_rows_per_s: float
    group_rows_per_s: float
    group_commits_per_s: float


def _timed_commits(commit_once: Callable[[], None], seconds: float) -> tuple[int, float]:
    """Call commit_once until `seconds` pass; return how many calls and the time they took."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        commit_once()
        count += 1
    return count, time.perf_counter() - start


def sqlite_limit(directory: Path, seconds: float) -> Limit:
    """Single-row and grouped commits into a scratch WAL database with synchronous=FULL."""
    path = directory / "limit.db"
    # Autocommit mode: the explicit BEGIN/COMMIT below is exactly one transaction per call.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        payload = os.urandom(LIMIT_PAYLOAD)

        def one() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO rows (payload) VALUES (?)", (payload,))
            conn.execute("COMMIT")

        def group() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO rows (payload) VALUES (?)", [(payload,)] * GROUP_ROWS)
            conn.execute("COMMIT")

        singles, single_s = _timed_commits(one, seconds)
        groups, group_s = _timed_commits(group, seconds)
    finally:
        conn.close()
    return Limit("sqlite", singles / single_s, groups * GROUP_ROWS / group_s, groups / group_s)


def postgresql_limit(schema: str, seconds: float) -> Limit:
    """The same on PostgreSQL over loopback TCP, as the server reaches it."""
    import psycopg

    with psycopg.connect(PG_BASE_URL, options=f"-csearch_path={schema}") as conn:
        conn.execute("SET synchronous_commit = on")
        conn.execute("CREATE TABLE limit_rows (id bigserial PRIMARY KEY, payload bytea NOT NULL)")
        conn.commit()
        payload = os.urandom(LIMIT_PAYLOAD)
        insert = "INSERT INTO limit_rows (payload) VALUES (%s)"

        def one() -> None:
            conn.execute(insert, (payload,))
            conn.commit()

        def group() -> None:
            with conn.cursor() as cur:
                cur.executemany(insert, [(payload,)] * GROUP_ROWS)
            conn.commit()

        singles, single_s = _timed_commits(one, seconds)
        groups, group_s = _timed_commits(group, seconds)
        conn.execute("DROP TABLE limit_rows")
        conn.commit()
    return Limit("postgresql", singles / single_s, groups * GROUP_ROWS / group_s, groups / group_s)


# --- PostgreSQL scratch schema --------------------------------------------------------------


def postgresql_reachable() -> str | None:
    """None if the bench database answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_BASE_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


@contextlib.contextmanager
def postgresql_schema() -> Iterator[str]:
    """A fresh schema, dropped with everything in it afterwards."""
    import psycopg

    name = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_BASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_BASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def postgresql_url(schema: str) -> str:
    return f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"


# --- the server -----------------------------------------------------------------------------


def hanano_command() -> list[str]:
    """How to run the CLI with this interpreter: as a module if it can be, else its script."""
    spec = importlib.util.find_spec("hanano.cli")
    if spec is not None and spec.origin is not None:
        source = Path(spec.origin).read_text(encoding="utf-8")
        if 'if __name__ == "__main__":' in source:
            return [sys.executable, "-m", "hanano.cli"]
    return [str(Path(sys.executable).with_name("hanano"))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def prepare_store(db_url: str) -> str:
    """Create the store with Aleppo's zones and return a reporter token."""
    cli = hanano_command()
    subprocess.run(
        [*cli, "--db", db_url, "init", "--aleppo"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    issued = subprocess.run(
        [*cli, "--db", db_url, "token", "create", "--role", "reporter", "--name", "bench"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return issued.stdout.strip().splitlines()[-1]


def wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {HEALTH_TIMEOUT_S:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def running_server(db_url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """`hanano serve` on a free loopback port; yields (base URL, pid); always stopped after."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    env = {**os.environ, "HANANO_DATABASE_URL": db_url}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*hanano_command(), "serve", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_healthy(proc, base, log)
        yield base, proc.pid
    finally:
        # SIGTERM first so the sequencer finishes its group and the store closes cleanly.
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return math.nan
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the load generator (runs in its own process) -------------------------------------------


@dataclass
class LoadPlan:
    url: str
    token: str
    clients: int
    start: float  # time.monotonic() values; CLOCK_MONOTONIC is shared by all processes
    measure_from: float
    measure_to: float
    seed: int


@dataclass
class LoadResult:
    ok: int = 0
    latencies_ms: array.array[float] = field(default_factory=lambda: array.array("d"))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    sent: int = 0
    server_cpu: float = 0.0  # CPU seconds per measured second (1.0 = one core busy)
    load_cpu: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.ok += other.ok
        self.latencies_ms.extend(other.latencies_ms)
        self.errors.update(other.errors)
        self.error_samples.extend(other.error_samples[: 5 - len(self.error_samples)])
        self.sent += other.sent


class ReportMaker:
    """Reports spread over the city, some close to a recent strike that others reported."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.recent: list[tuple[float, float]] = []

    def body(self) -> bytes:
        rng = self.rng
        report: dict[str, Any] = {"id": str(uuid.uuid4()), "source": "citizen", "accuracy_m": 20}
        if self.recent and rng.random() < REPEAT_SHARE:
            lat, lon = rng.choice(self.recent)
            # Within about 60 m of the earlier point: the same strike, seen from elsewhere.
            lat += rng.uniform(-0.0005, 0.0005)
            lon += rng.uniform(-0.0005, 0.0005)
            report["kind"] = rng.choice(("strike", "collapse", "trapped"))
            if report["kind"] == "trapped":
                report["trapped"] = rng.randint(1, 12)
                report["text"] = "people under the rubble, need a team"
        else:
            lat = rng.uniform(*LAT_RANGE)
            lon = rng.uniform(*LON_RANGE)
            report["kind"] = "strike"
            self.recent.append((lat, lon))
            if len(self.recent) > RECENT_SITES:
                self.recent.pop(0)
        if rng.random() < 0.2:
            report["casualties"] = rng.randint(0, 5)
        report["lat"] = round(lat, 6)
        report["lon"] = round(lon, 6)
        observed = datetime.now(UTC) - timedelta(seconds=rng.uniform(0, 120))
        report["observed_at"] = observed.isoformat(timespec="seconds")
        return orjson.dumps(report)


async def _client(session: Any, plan: LoadPlan, maker: ReportMaker, result: LoadResult) -> None:
    import aiohttp

    while time.monotonic() < plan.measure_to:
        body = maker.body()
        started = time.monotonic()
        status: str
        try:
            async with session.post(plan.url, data=body) as resp:
                text = await resp.read()
                status = str(resp.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, text = type(exc).__name__, str(exc).encode()
        done = time.monotonic()
        result.sent += 1
        if status != "201":
            result.errors[status] += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"{status}: {text[:300].decode(errors='replace')}")
        elif plan.measure_from <= done <= plan.measure_to:
            result.ok += 1
            result.latencies_ms.append((done - started) * 1000)


async def _drive(plan: LoadPlan) -> LoadResult:
    import aiohttp

    result = LoadResult()
    connector = aiohttp.TCPConnector(limit=plan.clients, limit_per_host=plan.clients)
    headers = {"Authorization": f"Bearer {plan.token}", "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=CHILD_TIMEOUT_S)
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, timeout=timeout
    ) as session:
        await asyncio.sleep(max(0.0, plan.start - time.monotonic()))
        makers = [ReportMaker(random.Random(plan.seed * 1000 + i)) for i in range(plan.clients)]
        await asyncio.gather(*(_client(session, plan, m, result) for m in makers))
    return result


def load_process(plan: LoadPlan, conn: Any) -> None:
    """Entry point of a load process: drive the server, send the result back through a pipe."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(_drive(plan))
    conn.send(result)
    conn.close()


def run_load(base: str, token: str, server_pid: int, args: argparse.Namespace) -> LoadResult:
    ctx = multiprocessing.get_context("spawn")
    # Start a little later so every load process is ready before the warm-up begins.
    start = time.monotonic() + 2.0
    measure_from = start + args.warmup
    measure_to = measure_from + args.duration
    per_proc = [
        args.clients // args.load_procs + (i < args.clients % args.load_procs)
        for i in range(args.load_procs)
    ]
    procs = []
    for index, clients in enumerate(per_proc):
        plan = LoadPlan(
            f"{base}/api/v1/reports", token, clients, start, measure_from, measure_to, index + 1
        )
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=load_process, args=(plan, sender), daemon=True)
        proc.start()
        procs.append((proc, receiver))
    total = LoadResult()
    try:
        # CPU shares over the measured window only, so start-up and warm-up do not dilute them.
        pids = [server_pid] + [p.pid for p, _ in procs if p.pid is not None]
        time.sleep(max(0.0, measure_from - time.monotonic()))
        before = [cpu_seconds(pid) for pid in pids]
        time.sleep(max(0.0, measure_to - time.monotonic()))
        used = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
        total.server_cpu = used[0] / args.duration
        total.load_cpu = sum(used[1:]) / args.duration
        for _, receiver in procs:
            if not receiver.poll(CHILD_TIMEOUT_S + 10):
                raise RuntimeError("a load process did not report back in time")
            total.merge(receiver.recv())
    finally:
        for proc, _ in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
    return total


# --- one backend ----------------------------------------------------------------------------


@dataclass
class Outcome:
    backend: str
    reports_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    ok: int
    sent: int
    errors: Counter[str]
    error_samples: list[str]
    server_cpu: float  # CPU seconds per measured second (1.0 = one core busy)
    load_cpu: float
    stored: tuple[int, int, int]  # reports, incidents, largest incident's report count


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


STORED_SQL = (
    "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM incidents), "
    "(SELECT coalesce(max(report_count), 0) FROM incidents)"
)


def stored_sqlite(path: Path) -> tuple[int, int, int]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute(STORED_SQL).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def stored_postgresql(schema: str) -> tuple[int, int, int]:
    import psycopg

    with psycopg.connect(PG_BASE_URL, options=f"-csearch_path={schema}") as conn:
        row = conn.execute(STORED_SQL).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def bench_backend(
    backend: str,
    db_url: str,
    workdir: Path,
    args: argparse.Namespace,
    stored: Callable[[], tuple[int, int, int]],
) -> Outcome:
    token = prepare_store(db_url)
    with running_server(db_url, workdir) as (base, pid):
        load = run_load(base, token, pid, args)
    latencies = sorted(load.latencies_ms)
    return Outcome(
        backend=backend,
        reports_per_s=load.ok / args.duration,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else math.nan,
        ok=load.ok,
        sent=load.sent,
        errors=load.errors,
        error_samples=load.error_samples,
        server_cpu=load.server_cpu,
        load_cpu=load.load_cpu,
        stored=stored(),
    )


# --- report ---------------------------------------------------------------------------------


def machine_line() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {model}, {platform.system()} {platform.release()}; "
        f"load average {load}"
    )


def filesystem_of(path: Path) -> str:
    """The mount a path lives on, since fsync on tmpfs would make "durable" figures meaningless."""
    best = ("?", "?", "")
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype = line.split()[:3]
            if str(path).startswith(mount.rstrip("/") + "/") and len(mount) >= len(best[2]):
                best = (device, fstype, mount)
    return f"{path} on {best[0]} ({best[1]})"


def print_outcomes(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    print()
    print(
        f"intake: {args.clients} clients, {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured; only 201 responses count"
    )
    head = (
        f"{'backend':<11} {'reports/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'errors':>7} {'srv CPU':>8} {'load CPU':>9}  stored (reports/incidents/largest)"
    )
    print(head)
    print("-" * len(head))
    for o in outcomes:
        print(
            f"{o.backend:<11} {o.reports_per_s:>10.0f} {o.p50_ms:>8.1f} {o.p99_ms:>8.1f} "
            f"{o.max_ms:>8.1f} {sum(o.errors.values()):>7} {o.server_cpu:>8.0%} "
            f"{o.load_cpu:>9.0%}  {o.stored[0]}/{o.stored[1]}/{o.stored[2]}"
        )
    for o in outcomes:
        if o.errors:
            print(f"{o.backend}: non-201 responses: {dict(o.errors)}")
            for sample in o.error_samples:
                print(f"  {sample}")


def print_limits(limits: list[Limit]) -> None:
    print()
    print(f"limit: durable commits straight to the database ({LIMIT_PAYLOAD}-byte rows)")
    head = (
        f"{'backend':<11} {'1 row/commit rows/s':>20} "
        f"{f'{GROUP_ROWS} rows/commit rows/s':>22} {'commits/s':>10}"
    )
    print(head)
    print("-" * len(head))
    for lim in limits:
        print(
            f"{lim.backend:<11} {lim.single_rows_per_s:>20.0f} {lim.group_rows_per_s:>22.0f} "
            f"{lim.group_commits_per_s:>10.0f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--load-procs", type=int, default=1, help="load-generator processes sharing the clients"
    )
    parser.add_argument(
        "--limit-seconds", type=float, default=3.0, help="seconds for each raw-commit measurement"
    )
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.clients < 1 or not 1 <= args.load_procs <= args.clients:
        parser.error("need clients >= 1 and 1 <= load-procs <= clients")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"machine: {machine_line()}")
    print(f"started: {datetime.now(UTC).isoformat(timespec='seconds')}")
    pg_skip = postgresql_reachable() if "postgresql" in args.backends else None
    if pg_skip:
        print(f"note: PostgreSQL at {PG_BASE_URL} unreachable, skipped ({pg_skip})")
    outcomes: list[Outcome] = []
    limits: list[Limit] = []
    with tempfile.TemporaryDirectory(prefix="hanano-bench-") as tmp:
        workdir = Path(tmp)
        print(f"store: {filesystem_of(workdir)}")
        # The limits first, while nothing of ours competes for the disk or the CPU.
        limits.append(sqlite_limit(workdir, args.limit_seconds))
        if "postgresql" in args.backends and not pg_skip:
            with postgresql_schema() as schema:
                limits.append(postgresql_limit(schema, args.limit_seconds))
        if "sqlite" in args.backends:
            db = workdir / "intake.db"
            outcomes.append(
                bench_backend("sqlite", f"sqlite:///{db}", workdir, args, lambda: stored_sqlite(db))
            )
        if "postgresql" in args.backends and not pg_skip:
            with postgresql_schema() as schema:
                outcomes.append(
                    bench_backend(
                        "postgresql",
                        postgresql_url(schema),
                        workdir,
                        args,
                        lambda: stored_postgresql(schema),
                    )
                )
    print_outcomes(outcomes, args)
    print_limits(limits)
    print(f"\nfinished: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sqlite_run = next((o for o in outcomes if o.backend == "sqlite"), None)
    sqlite_lim = limits[0].single_rows_per_s
    if sqlite_run is None:
        print("SQLite not benchmarked: no summary line")
        return 0
    ratio = sqlite_run.reports_per_s / sqlite_lim
    print(f"ratio (SQLite reports/s ÷ SQLite single-row commits/s): {ratio:.2f}")
    print(
        f"reports_per_s={sqlite_run.reports_per_s:.0f} p99_ms={sqlite_run.p99_ms:.1f} "
        f"limit_rows_per_s={sqlite_lim:.0f}"
    )
    return 1 if any(o.errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
