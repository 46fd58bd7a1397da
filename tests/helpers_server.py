"""Real servers for tests: uvicorn in a thread (for a live HTTP connection, SSE), or `hanano
serve` as separate processes (for crashes, and for several servers sharing one store)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import uvicorn
from starlette.types import ASGIApp

from hanano.service import Service
from hanano.web.app import build_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(service: Service, sweep_interval_s: float = 10.0) -> Iterator[str]:
    with running_app(build_app(service, sweep_interval_s=sweep_interval_s)) as url:
        yield url


@contextmanager
def running_app(app: ASGIApp) -> Iterator[str]:
    """Any ASGI app (hanano's, or a fake partner's) served by uvicorn in a thread; its URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        # As `hanano serve` runs it: the app, not uvicorn, decides whom X-Forwarded-For is from.
        proxy_headers=False,
        # Open event streams never end by themselves; do not wait long for them at shutdown.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def spawn_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`hanano serve` on the store, as a process of its own; not yet answering."""
    env = {**os.environ, "HANANO_DATABASE_URL": db_url}
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "hanano", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # Generous: a loaded CI machine takes seconds to import and migrate before it serves.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start: " + log.read_text())


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    process = spawn_server(db_url, port, log)
    wait_until_serving(process, port, log)
    return process


@contextmanager
def serving_processes(db_url: str, count: int, log_dir: Path) -> Iterator[list[str]]:
    """`count` servers on the same store, started side by side; their base URLs."""
    started: list[tuple[subprocess.Popen[bytes], int, Path]] = []
    try:
        for n in range(count):
            port = free_port()
            log = log_dir / f"server-{n}.log"
            started.append((spawn_server(db_url, port, log), port, log))
        for process, port, log in started:
            wait_until_serving(process, port, log)
        yield [f"http://127.0.0.1:{port}" for _, port, _ in started]
    finally:
        for process, _, _ in started:
            process.send_signal(signal.SIGTERM)
        for process, _, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
