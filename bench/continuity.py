"""Continuity benchmark: serving the log as C2SP tlog-tiles.

Builds a SQLite store (WAL, synchronous=FULL) whose log holds --events entries, starts `hanano
serve` on it as a process of its own, and fetches from it, over loopback HTTP with keep-alive
connections from --clients threads for --seconds: random full level-0 hash tiles (8,192 bytes,
public), and random full entry bundles (with a mirror's token). Every answer's length is
checked (a tile is 256 hashes; a bundle splits into 256 entries). Reports tiles per second,
MB/s and latency percentiles for each.

    .venv/bin/python bench/continuity.py [--events 50000] [--clients 4] [--seconds 10]
        [--only all|tiles|mirror]

Then (unless --only tiles) a mirror catches up with the whole log, in this process, into an
empty SQLite store (`hanano mirror follow --once`): every hash tile and entry bundle fetched,
checked and stored with the projections; reports entries per second, end to end.

The last line printed is machine-readable: key=value pairs of the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx

from hanano.access.tokens import create_token
from hanano.clock import SystemClock
from hanano.domains import DOMAINS
from hanano.evidence.mirror import Primary, follow_once
from hanano.evidence.tiles import encode_index
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.store.registry import Registry
from hanano.store.sequencer import Tx

BATCH = 5000


def build_store(db_url: str, events: int) -> tuple[str, str]:
    """A store whose log holds `events` entries; returns a mirror's token and the log's key."""
    service = Service(Settings(database_url=db_url, mqtt_url=None)).start()
    try:
        verifier = service.evidence.key.verifier
        mirror = service.execute(lambda tx: create_token(tx, "bench", "mirror", "bench")).secret
        made = 1

        def append(tx: Tx, count: int) -> None:
            for _ in range(count):
                create_token(tx, "bench", "public", None)

        while made < events:
            count = min(BATCH, events - made)
            service.execute(lambda tx, n=count: append(tx, n))
            made += count
    finally:
        service.stop()
    return mirror, verifier


def mirror_catch_up(
    base: str, token: str, verifier: str, db_url: str, project: bool
) -> dict[str, float]:
    """`hanano mirror follow --once` into an empty SQLite store, in this process: every tile,
    bundle and entry fetched over HTTP and checked, then stored (with the projections, or with
    no projector at all to time the log's own path)."""
    engine = make_engine(db_url)
    migrate(engine, [(d.name, d.migrations) for d in DOMAINS])
    handlers = [d.handlers for d in DOMAINS] if project else []
    registry = Registry.merge(handlers, (t for d in DOMAINS for t in d.tables))
    primary = Primary(base, token)
    try:
        began = time.monotonic()
        done = follow_once(engine, primary, verifier, registry, SystemClock())
        elapsed = time.monotonic() - began
    finally:
        primary.close()
        engine.dispose()
    return {"entries": done.entries, "seconds": elapsed, "per_s": done.entries / elapsed}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HANANO_DATABASE_URL": db_url, "HANANO_MQTT_URL": ""}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hanano", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start: " + log.read_text())


def check_bundle(body: bytes) -> None:
    at, count = 0, 0
    while at < len(body):
        at += 2 + int.from_bytes(body[at : at + 2], "big")
        count += 1
    if at != len(body) or count != 256:
        raise RuntimeError(f"a bundle split into {count} entries")


def hammer(
    base: str, kind: str, tiles: int, clients: int, seconds: float, token: str
) -> dict[str, float]:
    """Fetch random full tiles of `kind` ("hash" or "entries") from `clients` threads."""
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"} if kind == "entries" else {}
    prefix = "tile/entries" if kind == "entries" else "tile/0"

    def worker(seed: int) -> None:
        pick = random.Random(seed)
        mine: list[float] = []
        got = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while time.monotonic() < stop:
                index = pick.randrange(tiles)
                began = time.perf_counter()
                response = client.get(f"/tlog/{prefix}/{encode_index(index)}")
                mine.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
                if kind == "hash" and len(response.content) != 8192:
                    raise RuntimeError("a full tile is not 8,192 bytes")
                if kind == "entries":
                    check_bundle(response.content)
                got += len(response.content)
        with lock:
            latencies.extend(mine)
            sizes.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "per_s": len(latencies) / elapsed,
        "mb_s": sum(sizes) / elapsed / 1e6,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "count": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--only", choices=("all", "tiles", "mirror"), default="all", help="which figures to take"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'hanano.db'}"
        os.environ["HANANO_LOG_KEY_FILE"] = str(Path(tmp) / "log.key")
        began = time.monotonic()
        mirror, verifier = build_store(db_url, args.events)
        print(f"store with {args.events} log entries built in {time.monotonic() - began:.1f} s")
        port = free_port()
        process = serve(db_url, port, Path(tmp) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            full = args.events // 256
            figures: dict[str, dict[str, float]] = {}
            kinds = () if args.only == "mirror" else ("hash", "entries")
            for kind in kinds:
                result = hammer(base, kind, full, args.clients, args.seconds, mirror)
                figures[kind] = result
                print(
                    f"{kind} tiles: {result['per_s']:.0f}/s ({result['mb_s']:.1f} MB/s), "
                    f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                    f"{result['count']:.0f} fetched"
                )
            for project in () if args.only == "tiles" else (False, True):
                store = f"sqlite:///{Path(tmp) / f'mirror-{project}.db'}"
                caught = mirror_catch_up(base, mirror, verifier, store, project)
                what = "mirror" if project else "mirror_log_only"
                figures[what] = caught
                print(
                    f"mirror catch-up ({'with' if project else 'without'} projections): "
                    f"{caught['entries']:.0f} entries fetched, checked and stored in "
                    f"{caught['seconds']:.1f} s: {caught['per_s']:.0f} entries/s"
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(" ".join(machine_readable(figures)) + f" events={args.events}")


def machine_readable(figures: dict[str, dict[str, float]]) -> list[str]:
    found = []
    if "hash" in figures:
        found += [
            f"hash_tiles_per_s={figures['hash']['per_s']:.0f}",
            f"hash_p99_ms={figures['hash']['p99_ms']:.2f}",
            f"entry_bundles_per_s={figures['entries']['per_s']:.0f}",
            f"entries_p99_ms={figures['entries']['p99_ms']:.2f}",
        ]
    if "mirror" in figures:
        found.append(f"mirror_log_only_per_s={figures['mirror_log_only']['per_s']:.0f}")
        found.append(f"mirror_entries_per_s={figures['mirror']['per_s']:.0f}")
    return found


if __name__ == "__main__":
    main()
