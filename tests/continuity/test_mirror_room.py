"""The operations room on a mirror abroad: its own people sign in (to tables beside the log,
never to the log), read what their role reads, and may write nothing; the primary's tokens and
logins, replayed with the log, open nothing there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from hanano.access.users import create_user, hash_password
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.web.app import build_app
from hanano.web.permissions import ACTIONS
from tests.conftest import fresh_store
from tests.continuity.test_mirror import follow, report
from tests.helpers import report_body
from tests.helpers_server import free_port, running_server, start_server

PASSWORD = "a long passphrase abroad"
READS_BY_POST = {("POST", "/api/v1/recommendations/plan"), ("POST", "/api/v1/radio/parse")}
WRITES = {a.name for a in ACTIONS if a.method != "GET"}
# Written on a mirror, beside its log, by design: its own sessions and the failed-login counters.
LOCAL = {"mirror_sessions", "login_failures"}


def mirror_user(db: str, name: str = "layla", role: str = "dispatcher") -> Any:
    args = ["--db", db, "mirror", "user", "add", name, "--role", role, "--password-stdin"]
    return CliRunner().invoke(main, args, input=PASSWORD + "\n")


@pytest.fixture
def mirrored(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """A primary with an incident and a login of its own, and a mirror's store caught up with
    it: the mirror's store URL and the primary's address."""
    hashed = hash_password(PASSWORD)
    aleppo.execute(lambda tx: create_user(tx, "test", "amina", "dispatcher", hashed))
    with TestClient(build_app(aleppo)) as client:
        report(client, tokens["reporter"], clock.now())
    with fresh_store(tmp_path / "mirror.db") as db, running_server(aleppo) as url:
        done = follow(url, tokens["mirror"], aleppo.evidence.key.verifier, db)
        assert done.exit_code == 0, done.output
        yield db, url


def sign_in(client: httpx.Client | TestClient, username: str = "layla") -> Any:
    pre = client.get("/api/v1/session").json()
    assert pre["authenticated"] is False
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRF-Token": pre["csrf"]},
    )


def snapshot(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows but those a mirror writes beside its log."""
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            held = set(inspect(conn).get_table_names())
            return {
                t.name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr)
                for t in schema.metadata.sorted_tables
                if t.name in held and t.name not in LOCAL
            }
    finally:
        engine.dispose()


def test_hanano_serve_on_a_mirror_lets_its_own_people_in_read_only(
    mirrored: tuple[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    db, primary = mirrored
    added = mirror_user(db)
    assert added.exit_code == 0, added.output
    assert "read-only on this mirror" in added.output
    before = snapshot(db)
    port = free_port()
    process = start_server(db, port, tmp_path / "mirror-room.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert "mirror-banner" in client.get("/").text
            signed = sign_in(client)
            assert signed.status_code == 200, signed.text
            session = signed.json()
            assert session["username"] == "layla" and session["role"] == "dispatcher"
            assert {n for n, v in session["may"].items() if v} <= {
                "read_recommendations",
                "read_victim_identity",
            }
            me = client.get("/api/v1/me").json()
            assert me["role"] == "dispatcher" and me["token_id"].startswith("mus_")
            assert [n for n in WRITES if me["may"][n] is not False] == []
            assert client.get("/api/v1/mirror").json()["mirror"]["primary"] == primary
            incidents = client.get("/api/v1/incidents")
            assert incidents.status_code == 200 and incidents.json(), incidents.text

            csrf = {"X-CSRF-Token": session["csrf"]}
            body = report_body(datetime.now(UTC), text="x")
            refused = client.post("/api/v1/reports", json=body, headers=csrf)
            assert refused.status_code == 409 and primary in refused.json()["detail"]
            made = client.post(
                "/api/v1/users",
                json={"username": "other", "role": "dispatcher", "password": PASSWORD},
                headers=csrf,
            )
            assert made.status_code == 403, made.text  # no admin on a mirror

            secret = client.cookies["hanano_session"]
            assert client.delete("/api/v1/session", headers=csrf).status_code == 204
            ended = client.get("/api/v1/me", headers={"Cookie": f"hanano_session={secret}"})
            assert ended.status_code == 401, ended.text
        # The primary's login and tokens, in the mirror's copy of the log, open nothing here.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as stranger:
            assert sign_in(stranger, "amina").status_code == 401
            for role in ("reporter", "spotter", "team_leader", "dispatcher", "admin", "mirror"):
                answer = stranger.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {tokens[role]}"}
                )
                assert answer.status_code == 401, (role, answer.text)
                assert "accepts only its own tokens" in answer.json()["detail"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert snapshot(db) == before


def _write_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every route that is not a read, as the API describes itself, but the login itself."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path.replace("{", "").replace("}", ""))
        for path, operations in paths.items()
        for method in operations
        if method not in ("get", "head") and path != "/api/v1/session"
    ]


def test_no_write_route_writes_on_a_mirror(mirrored: tuple[str, str]) -> None:
    db, primary = mirrored
    assert mirror_user(db).exit_code == 0
    token = mirror_token(db, "dispatcher")
    before = snapshot(db)
    mirror = Service(Settings(database_url=db)).start()
    try:
        with TestClient(build_app(mirror)) as client:
            routes = _write_routes(client)
            assert len(routes) > 20
            csrf = {"X-CSRF-Token": sign_in(client).json()["csrf"]}
            accepted = []
            for method, path in routes:
                for headers in (csrf, {"Authorization": f"Bearer {token}"}):
                    answer = client.request(method, path, json={}, headers=headers)
                    if answer.status_code < 400:
                        accepted.append((method, path, answer.status_code))
            # Answered, but reads only: a plan of who would go where, a radio line read back.
            assert {(m, p) for m, p, _ in accepted} <= READS_BY_POST, accepted
            # Well-formed writes reach the writer, which refuses them naming the primary.
            body = report_body(datetime.now(UTC), text="x")
            refused = client.post("/api/v1/reports", json=body, headers=csrf)
            assert refused.status_code == 409 and primary in refused.json()["detail"]
    finally:
        mirror.stop()
    assert snapshot(db) == before


def mirror_token(db: str, role: str) -> str:
    done = CliRunner().invoke(main, ["--db", db, "mirror", "token", "add", "--role", role])
    assert done.exit_code == 0, done.output
    return str(done.output.split("\t")[2].strip())


def test_a_mirror_token_is_refused_once_revoked(mirrored: tuple[str, str]) -> None:
    db, _ = mirrored
    token = mirror_token(db, "auditor")
    listed = CliRunner().invoke(main, ["--db", db, "mirror", "accounts"]).output
    token_id = next(line.split("\t")[0] for line in listed.splitlines() if "\tauditor" in line)
    mirror = Service(Settings(database_url=db, auth_cache_s=0.2)).start()
    try:
        with TestClient(build_app(mirror)) as client:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
            assert me["role"] == "auditor" and not any(me["may"][n] for n in WRITES)
        revoked = CliRunner().invoke(main, ["--db", db, "mirror", "token", "revoke", token_id])
        assert revoked.exit_code == 0, revoked.output
        time.sleep(0.3)  # the server remembers a token it found for auth_cache_s
        with TestClient(build_app(mirror)) as client:
            answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401
    finally:
        mirror.stop()


def test_the_mirror_commands_refuse_a_primary_store_and_bad_input(
    service: Service, mirrored: tuple[str, str]
) -> None:
    db, _ = mirrored
    on_primary = mirror_user(service.settings.database_url)
    assert on_primary.exit_code == 1 and "no mirror's" in on_primary.output
    assert "hanano user create" in on_primary.output
    wrong_role = mirror_user(db, role="admin")
    assert wrong_role.exit_code == 2 and "--role" in wrong_role.output
    assert mirror_user(db, name="A B").exit_code == 1
    assert mirror_user(db).exit_code == 0
    again = mirror_user(db)
    assert again.exit_code == 1 and "exists" in again.output
    listed = CliRunner().invoke(main, ["--db", db, "mirror", "accounts"]).output
    assert listed.count("\tuser\t") == 1 and PASSWORD not in listed
