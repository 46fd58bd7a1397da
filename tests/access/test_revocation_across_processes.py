"""A revocation or a logout takes effect in every process on the store within 5 s.

Two real `hanano serve` processes share one store. A token (and a login session) is used on
both, so each holds it in memory, and a live stream is opened with it; then it is revoked from a
third process (the CLI) or through the other server, and both servers must answer 401, and the
open stream must end, within 5 s, measured.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from click.testing import CliRunner

from hanano.cli import main
from tests.helpers_server import serving_processes

LIMIT_S = 5.0
PASSWORD = "correct horse battery"


def cli(db_url: str, *args: str, stdin: str | None = None) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout.strip(), result.stderr.strip()


def issue(db_url: str, role: str) -> tuple[str, str]:
    """A new token's id and secret, made by the CLI."""
    secret, told = cli(db_url, "token", "create", "--role", role)
    return told.removeprefix("token_id: ").split()[0], secret


@pytest.fixture
def store(db_url: str) -> str:
    cli(db_url, "init", "--aleppo")
    return db_url


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def seconds_until_refused(asks: dict[str, Callable[[], int]], since: float) -> dict[str, float]:
    """Ask each server again and again until it answers 401; how long each took from `since`.
    Gives up a little after the limit, so a server that never refuses fails the test quickly."""
    took: dict[str, float] = {}
    while len(took) < len(asks) and time.monotonic() - since < LIMIT_S + 1:
        for name, ask in asks.items():
            if name not in took and ask() == 401:
                took[name] = time.monotonic() - since
        time.sleep(0.05)
    return took


class OpenStream:
    """`GET /api/v1/stream` read in a thread: when it connected, and when and how it ended."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.ended_by: str | None = None
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        timeout = httpx.Timeout(5, read=LIMIT_S + 5)
        try:
            with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
                for line in response.iter_lines():
                    if line.startswith(": connected"):
                        self.connected.set()
                    elif line.startswith("event: "):
                        self.ended_by = line.removeprefix("event: ")
        except httpx.TransportError:
            self.ended_by = "transport error"
        finally:
            self.closed.set()

    def seconds_until_closed(self, since: float) -> float | None:
        if not self.closed.wait(max(0.0, LIMIT_S + 1 - (time.monotonic() - since))):
            return None
        return time.monotonic() - since


def report(now: datetime) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "strike",
        "observed_at": now.isoformat(),
        "lat": 36.2,
        "lon": 37.15,
        "source": "citizen",
    }


def cli_revocation_reaches_both(store: str, one: str, two: str, http: httpx.Client) -> None:
    token_id, secret = issue(store, "reporter")
    for base in (one, two):
        assert http.get(f"{base}/api/v1/me", headers=bearer(secret)).status_code == 200
    stream = OpenStream(f"{two}/api/v1/stream", bearer(secret))
    revoked, _ = cli(store, "token", "revoke", token_id, "--reason", "phone captured")
    since = time.monotonic()
    assert revoked == f"revoked {token_id}"

    took = seconds_until_refused(
        {
            base: lambda b=base: http.get(f"{b}/api/v1/me", headers=bearer(secret)).status_code
            for base in (one, two)
        },
        since,
    )
    assert set(took) == {one, two} and max(took.values()) < LIMIT_S, took
    # The stream it had open ends too, instead of carrying operations on for ever.
    closed = stream.seconds_until_closed(since)
    assert closed is not None and closed < LIMIT_S and stream.ended_by == "ended"
    # Nor can it write: the defect let a revoked token record a threat minutes later.
    for base in (one, two):
        refused = http.post(
            f"{base}/api/v1/reports", json=report(datetime.now(UTC)), headers=bearer(secret)
        )
        assert refused.status_code == 401


def login(http: httpx.Client, base: str) -> tuple[str, str]:
    """Log in to the operations room on one server; the session secret and its CSRF token. The
    client forgets the cookies after, so each request below says which it sends."""
    prelogin = http.get(f"{base}/api/v1/session")
    answer = http.post(
        f"{base}/api/v1/session",
        json={"username": "amina", "password": PASSWORD},
        headers={"X-CSRF-Token": prelogin.json()["csrf"]},
    )
    assert answer.status_code == 200, answer.text
    http.cookies.clear()
    return answer.cookies["hanano_session"], answer.json()["csrf"]


def revocation_and_logout_on_one_reach_the_other(
    store: str, one: str, two: str, http: httpx.Client
) -> None:
    _, admin = issue(store, "admin")
    token_id, secret = issue(store, "spotter")
    session, csrf = login(http, one)
    cookie = {"Cookie": f"hanano_session={session}"}
    for base in (one, two):
        assert http.get(f"{base}/api/v1/me", headers=bearer(secret)).status_code == 200
        assert http.get(f"{base}/api/v1/me", headers=cookie).json()["role"] == "dispatcher"
    streams = {
        "token stream": OpenStream(f"{two}/api/v1/stream", bearer(secret)),
        "session stream": OpenStream(f"{two}/api/v1/stream", cookie),
    }

    revoked = http.post(
        f"{one}/api/v1/tokens/{token_id}/revoke",
        json={"reason": "phone captured"},
        headers=bearer(admin),
    )
    assert revoked.status_code == 200, revoked.text
    ended = http.delete(f"{one}/api/v1/session", headers={**cookie, "X-CSRF-Token": csrf})
    assert ended.status_code == 204
    since = time.monotonic()
    # The server that committed them refuses at once.
    assert http.get(f"{one}/api/v1/me", headers=bearer(secret)).status_code == 401
    assert http.get(f"{one}/api/v1/me", headers=cookie).status_code == 401

    took = seconds_until_refused(
        {
            "token": lambda: http.get(f"{two}/api/v1/me", headers=bearer(secret)).status_code,
            "session": lambda: http.get(f"{two}/api/v1/me", headers=cookie).status_code,
        },
        since,
    )
    assert set(took) == {"token", "session"} and max(took.values()) < LIMIT_S, took
    for name, stream in streams.items():
        closed = stream.seconds_until_closed(since)
        assert closed is not None and closed < LIMIT_S and stream.ended_by == "ended", name


def test_revocations_and_logouts_reach_every_running_server(store: str, tmp_path: Path) -> None:
    cli(store, "user", "create", "--username", "amina", "--role", "dispatcher",
        "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    with serving_processes(store, 2, tmp_path) as (one, two), httpx.Client(timeout=5) as http:
        # Revoked by a third process, the CLI.
        cli_revocation_reaches_both(store, one, two, http)
        # Revoked, and logged out, through one server; the other must follow.
        revocation_and_logout_on_one_reach_the_other(store, one, two, http)
