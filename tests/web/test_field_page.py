"""The field app's page and service worker hold files and no data: every role, and no token at
all, gets the same bytes. The routes the app sends through answer with the log index, and a
resend of the same item answers with the same one."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.events import ROLES
from hanano.service import Service
from tests.helpers import HANANO, auth, post, report_body
from tests.warning.common import setup_posts, sighting_body, spotter_at


@pytest.mark.parametrize("path", ["/field/", "/field/sw.js"])
def test_the_page_and_its_worker_are_the_same_for_every_role(
    client: TestClient, tokens: dict[str, str], path: str
) -> None:
    public = client.get(path)
    assert public.status_code == 200
    assert public.headers["cache-control"] == "no-cache"
    for role in ROLES:
        answer = client.get(path, headers=auth(tokens[role]))
        assert answer.status_code == 200, role
        assert answer.content == public.content, role


def test_the_worker_keeps_the_page_and_its_files_by_content_and_nothing_of_the_api(
    client: TestClient,
) -> None:
    worker = client.get("/field/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    files = json.loads(re.search(r"const FILES = (\[.*?\]);", worker.text)[1])  # type: ignore[index]
    assert "/field/" in files and "/static/field/manifest.webmanifest" in files
    assert not [f for f in files if f.startswith("/api/")]
    page = client.get("/field/").text
    for module in re.findall(r'modulepreload" href="([^"]+)"', page):
        assert module in files, module
        assert re.search(r"\.[0-9a-f]{12}\.js$", module), module
        kept = client.get(module)
        assert kept.status_code == 200 and "immutable" in kept.headers["cache-control"]
    # The app uses a few of the room's modules, not the room itself.
    assert any("/static/room/util." in f for f in files)
    assert not any("/static/room/map." in f or "/static/room/main." in f for f in files)


def test_the_page_loads_nothing_from_elsewhere_and_its_manifest_installs_it(
    client: TestClient,
) -> None:
    page = client.get("/field/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    manifest = client.get("/static/field/manifest.webmanifest").json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/field/",
        "/field/",
        "standalone",
    )


def test_a_report_and_a_sighting_are_answered_with_their_log_index_again_on_a_resend(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], trapped=2)
    first = post(client, tokens["reporter"], body)
    again = post(client, tokens["reporter"], body)
    assert first.status_code == again.status_code == 201
    assert isinstance(first.json()["log_index"], int)
    assert again.json()["log_index"] == first.json()["log_index"]
    assert again.headers["idempotent-replayed"] == "true"
    # Still nothing of the incident for a reporter.
    assert "incident" not in first.json()
    setup_posts(aleppo)
    spotter = spotter_at(aleppo)
    seen = sighting_body(clock.now(), activity="bearing", bearing_deg=90.0, pcode=None)
    sent = [client.post("/api/v1/sightings", json=seen, headers=auth(spotter)) for _ in range(2)]
    assert [s.status_code for s in sent] == [201, 201]
    assert sent[0].json()["log_index"] == sent[1].json()["log_index"] > first.json()["log_index"]
    assert "track" not in sent[0].json()
