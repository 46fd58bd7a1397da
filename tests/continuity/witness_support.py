"""A witness for the tests: the real app in uvicorn, or `hanano log witness serve` as a process,
and an independent check of a tlog-cosignature (cosignature/v1) line."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.types import ASGIApp


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the witness did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def witness_process(
    signer: str, log_key: str, state: Path, port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`hanano log witness serve` in a process of its own, answering; killed at the end."""
    command = [sys.executable, "-m", "hanano", "log", "witness", "serve", "--key", signer]
    command += ["--log-key", log_key, "--state", str(state), "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=dict(os.environ), stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def cosignature_verifies(body: str, line: str, witness_key: str) -> bool:
    """Check a cosignature line from the tlog-cosignature spec alone."""
    name, key_id_hex, material = witness_key.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x04, "a cosignature/v1 key"
    public = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    assert key_id.hex() == key_id_hex
    who, _, encoded = line.rstrip("\n").removeprefix("\u2014 ").partition(" ")
    blob = base64.b64decode(encoded)
    if who != name or blob[:4] != key_id or len(blob) != 4 + 8 + 64:
        return False
    timestamp = int.from_bytes(blob[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)
    except InvalidSignature:
        return False
    return timestamp > 0
