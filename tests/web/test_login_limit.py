"""Password guessing over HTTP: failed logins slowed, then refused with 429 and Retry-After, per
username and per address, counted in the store so a restart does not forgive them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.login_limit import login_failures
from hanano.access.users import create_user, hash_password
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.sequencer import Tx
from hanano.web.app import build_app

PASSWORD = "correct horse battery"
SLOW_S = 0.25


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The real limits (5 per username, 20 per address, 15 min); a short step of slowing so the
    # test does not wait seconds, and a per-address limit the test can reach.
    return Settings(
        database_url=db_url,
        login_slow_s=SLOW_S,
        login_max_failures=5,
        login_max_failures_per_address=12,
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
def web(people: Service) -> Iterator[TestClient]:
    with TestClient(build_app(people)) as client:
        yield client


def login(client: TestClient, username: str, password: str) -> Any:
    client.cookies.delete("hanano_session")
    token = client.get("/api/v1/session").json()["csrf"]
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": token},
    )


def test_five_failures_lock_the_username_even_for_the_right_password(web: TestClient) -> None:
    took = []
    for _ in range(5):
        started = time.monotonic()
        assert login(web, "amina", "a wrong guess!").status_code == 401
        took.append(time.monotonic() - started)
    # Slowed: the n-th failure is held back (n - 1) steps before it is answered.
    assert all(took[n] >= n * SLOW_S for n in range(5)), took
    refused = login(web, "amina", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 890 <= int(refused.headers["retry-after"]) <= 900
    assert refused.json()["status"] == 429 and "try again" in refused.json()["detail"]
    # Another person at the same address is not locked out by it.
    assert login(web, "omar", PASSWORD).status_code == 200
    # Names are counted as typed into the login, whatever their case.
    assert login(web, "AMINA", PASSWORD).status_code == 429


def test_a_good_login_resets_the_usernames_count(web: TestClient) -> None:
    for _ in range(4):
        assert login(web, "amina", "a wrong guess!").status_code == 401
    assert login(web, "amina", PASSWORD).status_code == 200
    for _ in range(4):
        assert login(web, "amina", "a wrong guess!").status_code == 401
    assert login(web, "amina", PASSWORD).status_code == 200


def test_one_address_guessing_many_names_is_locked(web: TestClient) -> None:
    names = ["amina", "omar", "nobody", "layla", "ghost", "sami"] * 2
    for name in names:
        assert login(web, name, "a wrong guess!").status_code == 401
    # Twelve failures from this address, two per name: every name is refused from here now.
    refused = login(web, "layla", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_count_survives_a_restart_and_holds_no_names(
    people: Service, settings: Settings, clock: ManualClock
) -> None:
    with TestClient(build_app(people)) as client:
        for _ in range(3):
            assert login(client, "amina", "a wrong guess!").status_code == 401
    people.stop()
    again = Service(settings, clock=clock).start()
    try:
        with TestClient(build_app(again)) as client:
            for _ in range(2):
                assert login(client, "amina", "a wrong guess!").status_code == 401
            assert login(client, "amina", PASSWORD).status_code == 429
        with again.engine.connect() as conn:
            keys = conn.execute(select(login_failures.c.key)).scalars().all()
        assert keys and not any("amina" in k or "testclient" in k for k in keys)
    finally:
        again.stop()


def test_the_lock_ends_after_its_time(web: TestClient, people: Service) -> None:
    for _ in range(5):
        login(web, "amina", "a wrong guess!")
    assert login(web, "amina", PASSWORD).status_code == 429
    # Fifteen minutes on (the lock's end written as if it had passed).
    with people.engine.begin() as conn:
        conn.execute(
            login_failures.update()
            .where(login_failures.c.locked_until.is_not(None))
            .values(
                locked_until=time.time() - 1,
                window_start=login_failures.c.window_start - 1000,
            )
        )
    assert login(web, "amina", PASSWORD).status_code == 200


def test_parallel_guesses_cannot_outrun_the_count(web: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = web.get("/api/v1/session").json()["csrf"]

    def guess(_: int) -> int:
        return web.post(
            "/api/v1/session",
            json={"username": "layla", "password": "a wrong guess!"},
            headers={"X-CSRF-Token": token},
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(guess, range(12)))
    # No more than the limit were ever checked against the password; the rest were refused.
    assert codes.count(401) <= 5 and codes.count(429) >= 7
