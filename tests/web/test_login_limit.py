"""Password guessing over HTTP: from its second failure in a row, each failure of a (username,
address) pair doubles that pair's wait (429 with Retry-After), an address that fails too often
is refused whatever the username, the rightful user at another address always gets in, and the
counts live in the store so a restart does not forgive them."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.login_limit import LoginLimiter
from hanano.access.tables import login_failures
from hanano.access.users import create_user, hash_password
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.sequencer import Tx
from hanano.web.app import build_app
from tests.helpers_server import serving_processes

PASSWORD = "correct horse battery"
WRONG = "a wrong guess!"
DELAY_S = 3.0
BUDGET = 12
ATTACKER = "203.0.113.66"
RIGHTFUL = "198.51.100.7"


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The real window and lock (15 min); a first wait long enough that a burst of parallel
    # guesses cannot outlast it, and a per-address budget the test can reach.
    return Settings(
        database_url=db_url,
        login_delay_s=DELAY_S,
        login_max_delay_s=900,
        login_max_failures_per_address=BUDGET,
        login_window_s=900,
        login_lock_s=900,
    )


@pytest.fixture
def people(aleppo: Service) -> Service:
    hashed = hash_password(PASSWORD)
    for name in ("amina", "omar", "layla"):

        def make(tx: Tx, n: str = name) -> str:
            return create_user(tx, "test", n, "dispatcher", hashed)

        aleppo.execute(make)
    return aleppo


@pytest.fixture
def app(people: Service) -> FastAPI:
    return build_app(people)


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def at(app: FastAPI, address: str) -> TestClient:
    """A browser whose connection comes from `address` (the socket peer the server sees)."""
    return TestClient(app, client=(address, 40000))


def limiter(app: FastAPI) -> LoginLimiter:
    found: LoginLimiter = app.state.login_limiter
    return found


def login(
    client: TestClient, username: str, password: str, headers: dict[str, str] | None = None
) -> Any:
    client.cookies.clear()
    token = client.get("/api/v1/session").json()["csrf"]
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": token, **(headers or {})},
    )


def let_waits_pass(service: Service) -> None:
    """As if every wait and lock in force had run out (written, not slept)."""
    with service.engine.begin() as conn:
        conn.execute(
            login_failures.update()
            .where(login_failures.c.locked_until > time.time())
            .values(locked_until=time.time() - 1)
        )


def test_failures_make_the_same_name_from_the_same_address_wait(web: TestClient) -> None:
    # A first wrong password costs nothing: a typo corrected at once.
    assert login(web, "amina", WRONG).status_code == 401
    assert login(web, "amina", PASSWORD).status_code == 200
    assert login(web, "amina", WRONG).status_code == 401
    assert login(web, "amina", WRONG).status_code == 401
    refused = login(web, "amina", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert DELAY_S - 1 <= int(refused.headers["retry-after"]) <= DELAY_S
    assert refused.json()["status"] == 429 and "try again" in refused.json()["detail"]
    # Another person at the same address is not held back by it.
    assert login(web, "omar", PASSWORD).status_code == 200
    # Names are counted as typed into the login, whatever their case.
    assert login(web, "AMINA", PASSWORD).status_code == 429


def test_waits_double_with_each_failure_of_the_pair(
    app: FastAPI, web: TestClient, people: Service
) -> None:
    assert login(web, "amina", WRONG).status_code == 401
    waits = []
    took = []
    for _ in range(6):
        began = time.monotonic()
        assert login(web, "amina", WRONG).status_code == 401
        refused = login(web, "amina", WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        # The wait runs on the wall clock from the failure: what is left of it when the
        # refusal answers is shorter by the time the two logins took (seconds on a busy
        # machine, where a password hash waits for a core).
        took.append(time.monotonic() - began)
        let_waits_pass(people)
    # After the 2nd to the 7th failure in a row: 3, 6, 12, 24, 48, 96 s.
    expected = [DELAY_S * 2**n for n in range(6)]
    assert all(e - 1 - t <= w <= e for w, e, t in zip(waits, expected, took, strict=True)), (
        waits,
        took,
    )
    # Never longer than the longest wait.
    assert limiter(app).delay(30) == 900


def test_the_rightful_user_gets_in_from_another_address_while_guessed_at(
    app: FastAPI, people: Service
) -> None:
    attacker, rightful = at(app, ATTACKER), at(app, RIGHTFUL)

    def guess(n: int) -> None:
        let_waits_pass(people)
        assert login(attacker, "amina", f"{WRONG}{n}").status_code == 401

    for n in range(5):
        guess(n)
    # Five wrong passwords used to lock amina out everywhere for 15 minutes.
    assert login(rightful, "amina", PASSWORD).status_code == 200
    # The guesser is the one held back.
    assert login(attacker, "amina", WRONG).status_code == 429
    for n in range(5, BUDGET):
        guess(n)
        assert login(rightful, "amina", PASSWORD).status_code == 200
    # The guesser's address has spent its budget: refused for every name, and only it.
    refused = login(attacker, "omar", PASSWORD)
    assert refused.status_code == 429 and "from this address" in refused.json()["detail"]
    assert 890 <= int(refused.headers["retry-after"]) <= 900
    assert login(rightful, "amina", PASSWORD).status_code == 200
    assert login(rightful, "omar", PASSWORD).status_code == 200


def test_a_good_login_clears_the_pairs_count(web: TestClient, people: Service) -> None:
    for _ in range(3):
        assert login(web, "amina", WRONG).status_code == 401
        let_waits_pass(people)
    assert login(web, "amina", PASSWORD).status_code == 200
    assert login(web, "amina", WRONG).status_code == 401
    assert login(web, "amina", WRONG).status_code == 401
    # The wait starts again from the first step, not the fourth.
    assert int(login(web, "amina", WRONG).headers["retry-after"]) <= DELAY_S


def test_one_address_guessing_many_names_is_refused(app: FastAPI) -> None:
    guesser = at(app, ATTACKER)
    for n in range(BUDGET):
        assert login(guesser, f"guess{n}", WRONG).status_code == 401
    refused = login(guesser, "layla", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # That address only.
    assert login(at(app, RIGHTFUL), "layla", PASSWORD).status_code == 200


def test_a_rotated_x_forwarded_for_from_an_untrusted_peer_is_ignored(app: FastAPI) -> None:
    guesser = at(app, ATTACKER)
    for n in range(BUDGET):
        forged = {"X-Forwarded-For": f"192.0.2.{n + 1}"}
        assert login(guesser, f"guess{n}", WRONG, forged).status_code == 401
    refused = login(guesser, "layla", PASSWORD, {"X-Forwarded-For": "192.0.2.200"})
    assert refused.status_code == 429 and "from this address" in refused.json()["detail"]


def test_an_ipv6_guesser_hopping_within_its_64_is_one_address(app: FastAPI) -> None:
    for n in range(BUDGET):
        assert login(at(app, f"2001:db8:1:2::{n + 1:x}"), f"g{n}", WRONG).status_code == 401
    assert login(at(app, "2001:db8:1:2:ffff::1"), "layla", PASSWORD).status_code == 429
    assert login(at(app, "2001:db8:1:3::1"), "layla", PASSWORD).status_code == 200


@pytest.fixture
def proxied(people: Service, settings: Settings, clock: ManualClock) -> Iterator[FastAPI]:
    """The same store served behind a reverse proxy the settings trust."""
    people.stop()
    trusted = settings.model_copy(update={"trusted_proxies": "10.0.0.0/8, fd00::1"})
    service = Service(trusted, clock=clock).start()
    try:
        yield build_app(service)
    finally:
        service.stop()


def test_a_trusted_proxys_x_forwarded_for_is_honoured(proxied: FastAPI) -> None:
    proxy = at(proxied, "10.0.0.2")
    # Many clients behind the proxy, each with its own budget: none is refused for the others.
    for n in range(BUDGET + 2):
        forwarded = {"X-Forwarded-For": f"192.0.2.{n + 1}"}
        assert login(proxy, f"guess{n}", WRONG, forwarded).status_code == 401
    # What a client puts in front of the chain is not believed: the right-most address that is
    # not a trusted proxy is the client, here the same one every time.
    for n in range(BUDGET):
        forged = {"X-Forwarded-For": f"198.18.0.{n + 1}, {ATTACKER}, 10.0.0.9"}
        assert login(proxy, f"other{n}", WRONG, forged).status_code == 401
    refused = login(proxy, "layla", PASSWORD, {"X-Forwarded-For": ATTACKER})
    assert refused.status_code == 429 and "from this address" in refused.json()["detail"]
    assert login(proxy, "layla", PASSWORD, {"X-Forwarded-For": RIGHTFUL}).status_code == 200


def test_only_a_trusted_proxy_says_the_browser_spoke_https(proxied: FastAPI) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": RIGHTFUL}
    behind = login(at(proxied, "10.0.0.2"), "amina", PASSWORD, https)
    assert behind.status_code == 200 and "secure" in behind.headers["set-cookie"].lower()
    direct = login(at(proxied, RIGHTFUL), "omar", PASSWORD, https)
    assert direct.status_code == 200 and "secure" not in direct.headers["set-cookie"].lower()


def test_the_count_survives_a_restart_and_is_keyed(
    people: Service, settings: Settings, clock: ManualClock
) -> None:
    with TestClient(build_app(people)) as client:
        for _ in range(3):
            assert login(client, "amina", WRONG).status_code == 401
            let_waits_pass(people)
    people.stop()
    again = Service(settings, clock=clock).start()
    try:
        app = build_app(again)
        with TestClient(app) as client:
            assert login(client, "amina", WRONG).status_code == 401
            # The fourth failure in a row: the streak survived the restart.
            retry = int(login(client, "amina", PASSWORD).headers["retry-after"])
            assert 4 * DELAY_S - 1 <= retry <= 4 * DELAY_S
        with again.engine.connect() as conn:
            keys = set(conn.execute(select(login_failures.c.key)).scalars())
        assert limiter(app).pair_key("amina", "testclient") in keys
        # Neither the names nor their plain hashes: without the server's key a row says nothing.
        unkeyed = hashlib.sha256(b"hanano login user:amina").hexdigest()
        assert unkeyed not in keys and not any("amina" in k or "testclient" in k for k in keys)
    finally:
        again.stop()


def test_the_address_lock_ends_after_its_time(app: FastAPI, people: Service) -> None:
    guesser = at(app, ATTACKER)
    for n in range(BUDGET):
        login(guesser, f"guess{n}", WRONG)
    assert login(guesser, "amina", PASSWORD).status_code == 429
    # Fifteen minutes on (the lock's end and the window's start written as if they had passed).
    with people.engine.begin() as conn:
        conn.execute(
            login_failures.update().values(
                locked_until=time.time() - 1, window_start=login_failures.c.window_start - 1000
            )
        )
    assert login(guesser, "amina", PASSWORD).status_code == 200


def test_parallel_guesses_cannot_outrun_the_wait(web: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = web.get("/api/v1/session").json()["csrf"]

    def guess(_: int) -> int:
        return web.post(
            "/api/v1/session",
            json={"username": "layla", "password": WRONG},
            headers={"X-CSRF-Token": token},
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(guess, range(12)))
    # At most the free first failure and the second were checked; the rest waited their turn.
    assert codes.count(401) <= 2 and codes.count(429) >= 10


def test_hanano_serve_believes_no_x_forwarded_for_from_loopback(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server as deployed: uvicorn's own proxy headers (which trust 127.0.0.1) are off."""
    assert CliRunner().invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    monkeypatch.setenv("HANANO_LOGIN_MAX_FAILURES_PER_ADDRESS", "3")
    with serving_processes(db_url, 1, tmp_path) as (base,), httpx.Client(base_url=base) as http:

        def attempt(n: int) -> httpx.Response:
            csrf = http.get("/api/v1/session").json()["csrf"]
            return http.post(
                "/api/v1/session",
                json={"username": f"guess{n}", "password": WRONG},
                headers={"X-CSRF-Token": csrf, "X-Forwarded-For": f"192.0.2.{n + 1}"},
            )

        assert [attempt(n).status_code for n in range(4)] == [401, 401, 401, 429]
