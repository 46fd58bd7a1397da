"""A real uvicorn server in a thread, for tests that need a live HTTP connection (SSE)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from hanano.service import Service
from hanano.web.app import build_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(service: Service, sweep_interval_s: float = 10.0) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        build_app(service, sweep_interval_s=sweep_interval_s),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
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
