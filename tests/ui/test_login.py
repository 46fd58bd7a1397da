"""People log in with a password; the session cookie authenticates the page, guarded by CSRF."""

import json
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.tables import users
from hanano.access.users import create_user, hash_password
from hanano.cli import main
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store import schema
from hanano.store.rebuild import rebuild
from hanano.web.app import build_app
from hanano.web.permissions import ACTIONS
from tests.helpers import HANANO, auth, report_body

PASSWORD = "correct horse battery"


def make_user(service: Service, username: str = "amina", role: str = "dispatcher") -> str:
    hashed = hash_password(PASSWORD)
    return service.execute(lambda tx: create_user(tx, "test", username, role, hashed))


def login(client: TestClient, username: str = "amina", password: str = PASSWORD) -> Any:
    pre = client.get("/api/v1/session").json()
    assert pre["authenticated"] is False
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": pre["csrf"]},
    )


def test_login_sets_a_secure_cookie_and_the_session_authenticates(
    client: TestClient, aleppo: Service
) -> None:
    user_id = make_user(aleppo)
    response = login(client)
    assert response.status_code == 200, response.text
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("hanano_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    # Over plain http (this test client) the cookie cannot be Secure; over https it is.
    assert "Secure" not in cookie
    me = client.get("/api/v1/me").json()
    assert me == {
        "token_id": user_id,
        "role": "dispatcher",
        "team": None,
        "post": None,
        "may": {action.name: True for action in ACTIONS},
    }
    session = client.get("/api/v1/session").json()
    assert session["authenticated"] and session["role"] == "dispatcher" and session["csrf"]


def test_cookie_is_secure_over_https(aleppo: Service) -> None:
    make_user(aleppo)
    with TestClient(build_app(aleppo), base_url="https://ops.example") as client:
        response = login(client)
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("hanano_session=")
        )
        assert "Secure" in cookie


def test_wrong_password_unknown_user_and_missing_login_token_are_refused(
    client: TestClient, aleppo: Service
) -> None:
    make_user(aleppo)
    assert login(client, password="wrong password!").status_code == 401
    assert login(client, username="nobody").status_code == 401
    no_token = client.post("/api/v1/session", json={"username": "amina", "password": PASSWORD})
    assert no_token.status_code == 403
    assert client.get("/api/v1/me").json()["role"] == "public"


def test_state_changes_through_the_cookie_need_the_csrf_token(
    client: TestClient, aleppo: Service
) -> None:
    make_user(aleppo)
    csrf = login(client).json()["csrf"]
    body = report_body(aleppo.clock.now(), lat=HANANO[0], lon=HANANO[1])
    refused = client.post("/api/v1/reports", json=body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/v1/reports", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    accepted = client.post("/api/v1/reports", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text
    # Reads need no token: the stream and lists are GETs.
    assert client.get("/api/v1/incidents").status_code == 200


def test_logout_ends_the_session_everywhere(client: TestClient, aleppo: Service) -> None:
    make_user(aleppo)
    login(client)
    stolen = client.cookies.get("hanano_session")
    csrf = client.get("/api/v1/session").json()["csrf"]
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").json()["role"] == "public"
    client.cookies.set("hanano_session", stolen or "")
    assert client.get("/api/v1/me").status_code == 401


def test_password_hash_never_in_the_log_in_clear(
    client: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    make_user(aleppo)
    with aleppo.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
        entries = [bytes(r.canonical).decode() for r in conn.execute(select(schema.events))]
    assert stored.startswith("$argon2id$")
    created = next(json.loads(e) for e in entries if '"user.created"' in e)
    assert stored not in json.dumps(created) and PASSWORD not in json.dumps(created)
    assert "amina" not in json.dumps(created)
    listed = client.get("/api/v1/events", headers=auth(tokens["auditor"])).text
    assert stored not in listed and PASSWORD not in listed


def test_users_survive_a_rebuild(client: TestClient, aleppo: Service) -> None:
    make_user(aleppo)
    login(client)
    aleppo.sequencer.stop()
    rebuild(aleppo.engine, REGISTRY)
    aleppo.sequencer.start()
    assert client.get("/api/v1/me").json()["role"] == "dispatcher"


def test_admin_creates_users_over_the_api(client: TestClient, tokens: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/users",
        json={"username": "Omar", "role": "team_leader", "password": PASSWORD},
        headers=auth(tokens["admin"]),
    )
    assert created.status_code == 201, created.text
    again = client.post(
        "/api/v1/users",
        json={"username": "omar", "role": "team_leader", "password": PASSWORD},
        headers=auth(tokens["admin"]),
    )
    assert again.status_code == 409
    short = client.post(
        "/api/v1/users",
        json={"username": "huda", "role": "spotter", "password": "short"},
        headers=auth(tokens["admin"]),
    )
    assert short.status_code == 422
    assert login(client, "omar").status_code == 200


def test_cli_creates_a_user_with_the_password_from_stdin(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "--db",
            db_url,
            "user",
            "create",
            "--username",
            "sami",
            "--role",
            "dispatcher",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created usr_" in result.output
    listed = runner.invoke(main, ["--db", db_url, "user", "list"])
    assert "sami\tdispatcher" in listed.output
