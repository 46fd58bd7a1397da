"""`/api/v1/opening`: every list the room reads as it opens, each answered exactly as its own
route answers the same caller, gate and visibility rule included."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.access.users import create_user, hash_password
from hanano.events import ROLES
from hanano.service import Service
from hanano.web.opening import OPENING_READS
from tests.helpers import auth, post, report_body


@pytest.fixture
def busy(client: TestClient, aleppo: Service, tokens: dict[str, str]) -> TestClient:
    """An open incident with trapped people and its reporter's text."""
    body = report_body(
        aleppo.clock.now(), lat=36.2021, lon=37.1343, trapped=3, text="canary-7f3 under the rubble"
    )
    assert post(client, tokens["dispatcher"], body).status_code == 201
    return client


@pytest.mark.parametrize("role", ROLES)
def test_each_part_is_what_its_route_answers(
    busy: TestClient, tokens: dict[str, str], role: str
) -> None:
    headers = auth(tokens[role])
    opened = busy.get("/api/v1/opening", headers=headers)
    assert opened.status_code == 200, opened.text
    reads: dict[str, Any] = opened.json()["reads"]
    assert list(reads) == list(OPENING_READS)
    for path in OPENING_READS:
        alone = busy.get(path, headers=headers)
        assert reads[path]["status"] == alone.status_code, (role, path)
        assert reads[path]["body"] == alone.json(), (role, path)


def test_a_reporter_reads_no_incident_through_it(busy: TestClient, tokens: dict[str, str]) -> None:
    reads = busy.get("/api/v1/opening", headers=auth(tokens["reporter"])).json()["reads"]
    incidents = reads["/api/v1/incidents?limit=5000"]
    # As the public sees them: none until the public delay has passed since the first report.
    assert incidents["status"] == 200
    assert incidents["body"]["incidents"] == []
    dispatcher = busy.get("/api/v1/opening", headers=auth(tokens["dispatcher"])).json()["reads"]
    [seen] = dispatcher["/api/v1/incidents?limit=5000"]["body"]["incidents"]
    assert seen["trapped"] == 3
    assert seen["id"] not in str(reads)


def test_without_credentials_it_is_refused(busy: TestClient, tokens: dict[str, str]) -> None:
    refused = busy.get("/api/v1/opening")
    assert refused.status_code == 401
    # The public role's own token is a credential: its parts are the public's answers.
    public = busy.get("/api/v1/opening", headers=auth(tokens["public"])).json()["reads"]
    readable = {p for p, r in public.items() if r["status"] == 200}
    assert readable == {
        "/api/v1/neighbourhoods",
        "/api/v1/alerts?outlines=false",
        "/api/v1/incidents?limit=5000",
    }, public
    assert public["/api/v1/incidents?limit=5000"]["body"]["incidents"] == []


def test_signed_in_page_names_its_opening_reads_as_preloads(
    busy: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    preload = '<link rel="preload" as="fetch" crossorigin="anonymous" href="/api/v1/opening">'
    assert preload not in busy.get("/").text
    hashed = hash_password("a long enough passphrase")
    aleppo.execute(lambda tx: create_user(tx, "test", "duty", "dispatcher", hashed))
    csrf = busy.get("/api/v1/session").json()["csrf"]
    signed_in = busy.post(
        "/api/v1/session",
        json={"username": "duty", "password": "a long enough passphrase"},
        headers={"X-CSRF-Token": csrf},
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["may"]["assign_team"] is True
    assert preload in busy.get("/").text
    # A Bearer token beside the cookie is who the API acts as, and so who the session names.
    both = busy.get("/api/v1/session", headers=auth(tokens["reporter"])).json()
    assert (both["role"], both["csrf"]) == ("reporter", None)
    assert "assign_team" not in [k for k, v in both["may"].items() if v]
