"""Foreign CAP feeds polled by the server, against a fake partner agency (a local HTTP server)
serving real CAP 1.1 and 1.2 documents, an Atom feed with ETags, a document declaring an external
entity, and failures."""

import json
import time
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from hanano.cli import main
from hanano.service import Service
from hanano.warning.poller import FeedPoller
from hanano.web.app import build_app
from tests.helpers import auth
from tests.helpers_server import free_port
from tests.warning.test_feeds import document
from tests.warning.test_outbox import configure, wait_for

CAP12 = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>partner-12-{n}</identifier><sender>ops@partner.example</sender>
  <sent>2026-11-25T10:00:00+00:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Security</category><event>Air raid</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty>
    <expires>2026-11-25T11:00:00+00:00</expires>
    <area><areaDesc>Sakhour</areaDesc>
      <geocode><valueName>OCHA_PCODE</valueName><value>N0139</value></geocode></area>
  </info>
</alert>"""

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:partner:feed</id><title>Partner alerts</title><updated>2026-11-25T10:00:00Z</updated>
  {entries}
</feed>"""

ENTRY = """<entry><id>{href}</id><title>alert</title><updated>2026-11-25T10:00:00Z</updated>
  <link rel="alternate" type="application/cap+xml" href="{href}"/></entry>"""


def log_entries(client: TestClient, tokens: dict[str, str]) -> list[dict[str, Any]]:
    events = client.get("/api/v1/events?limit=5000", headers=auth(tokens["auditor"])).json()
    return [json.loads(e["entry"]) for e in events["events"]]


def foreign_events(client: TestClient, tokens: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in log_entries(client, tokens) if e["type"] == "warning.foreign_alert_received"]


def feed_state(client: TestClient, tokens: dict[str, str], feed_id: str) -> dict[str, Any]:
    feeds = client.get("/api/v1/feeds", headers=auth(tokens["admin"])).json()["feeds"]
    [found] = [f for f in feeds if f["feed_id"] == feed_id]
    return dict(found)


def add(client: TestClient, tokens: dict[str, str], url: str) -> str:
    response = client.post("/api/v1/feeds", json={"url": url}, headers=auth(tokens["admin"]))
    assert response.status_code == 201, response.text
    return str(response.json()["feed_id"])


def test_atom_feed_of_cap_11_and_12_is_imported_once(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    fake.pages["/cap11.xml"] = (200, document("partner-11-1").encode(), "")
    fake.pages["/cap12.xml"] = (200, CAP12.format(n=1).encode(), "")
    entries = ENTRY.format(href="cap11.xml") + ENTRY.format(href=f"{base}/cap12.xml")
    fake.pages["/feed.atom"] = (200, ATOM.format(entries=entries).encode(), '"v1"')
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    with TestClient(build_app(aleppo)) as client:
        feed_id = add(client, tokens, f"{base}/feed.atom")
        # Adding it wakes the server's poller thread, which reads it at once.
        state = wait_for(
            lambda: (
                feed_state(client, tokens, feed_id)["status"]
                and feed_state(client, tokens, feed_id)
            )
        )
        assert state["status"] == "ok" and state["imported"] == 2 and state["error"] is None
        received = foreign_events(client, tokens)
        assert sorted(e["data"]["identifier"] for e in received) == ["partner-11-1", "partner-12-1"]
        assert {e["actor"] for e in received} == {"hanano:feeds"}
        levels = {a["level"] for a in client.get("/api/v1/alerts").json()["alerts"]}
        assert "imminent" in levels  # the CAP 1.1 raid, Immediate and Extreme

        poller: FeedPoller = client.app.state.workers["warning"].poller  # type: ignore[attr-defined]
        [again] = poller.poll_all()
        assert again.status == "not_modified" and fake.not_modified == 1

        # The feed changes: an entry already read and a new one; only the new one is read.
        fake.pages["/cap12-2.xml"] = (200, CAP12.format(n=2).encode(), "")
        entries += ENTRY.format(href="/cap12-2.xml")
        fake.pages["/feed.atom"] = (200, ATOM.format(entries=entries).encode(), '"v2"')
        [changed] = poller.poll_all()
        assert changed.status == "ok" and [i["identifier"] for i in changed.imported] == [
            "partner-12-2"
        ]
        assert fake.hits["/cap11.xml"] == 1 and fake.hits["/cap12.xml"] == 1
        assert len(foreign_events(client, tokens)) == 3
        assert feed_state(client, tokens, feed_id)["imported"] == 3


def test_a_single_cap_document_and_its_repeats(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    # No ETag: every poll reads it whole, and the alert in it is still imported once.
    fake.pages["/alert.cap"] = (200, CAP12.format(n=7).encode(), "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    with TestClient(build_app(aleppo)) as client:
        feed_id = add(client, tokens, f"{base}/alert.cap")
        wait_for(lambda: feed_state(client, tokens, feed_id)["status"])
        poller: FeedPoller = client.app.state.workers["warning"].poller  # type: ignore[attr-defined]
        [again] = poller.poll_all()
        assert again.status == "ok" and again.imported == []
        assert fake.hits["/alert.cap"] == 2
        assert [e["data"]["identifier"] for e in foreign_events(client, tokens)] == ["partner-12-7"]


def test_external_entities_are_never_resolved_and_failures_are_recorded(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    xxe = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE alert [<!ENTITY leak SYSTEM "{base}/secret">]>\n'
        + CAP12.format(n=9)
        .split("?>", 1)[1]
        .replace("<scope>Public</scope>", "<note>&leak;</note>")
    ).encode()
    fake.pages["/xxe.cap"] = (200, xxe, "")
    fake.pages["/secret"] = (200, b"root:x:0:0", "")
    fake.pages["/ok.cap"] = (200, CAP12.format(n=10).encode(), "")
    entries = ENTRY.format(href="xxe.cap") + ENTRY.format(href="ok.cap")
    fake.pages["/mixed.atom"] = (200, ATOM.format(entries=entries).encode(), "")
    fake.pages["/broken"] = (500, b"", "")
    fake.pages["/huge.atom"] = (200, b"<feed>" + b" " * 4096 + b"</feed>", "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None, feed_max_bytes=2048, feed_timeout_s=2)
    with TestClient(build_app(aleppo)) as client:
        ids = {
            name: add(client, tokens, f"{base}{path}")
            for name, path in (
                ("xxe", "/xxe.cap"),
                ("mixed", "/mixed.atom"),
                ("broken", "/broken"),
                ("huge", "/huge.atom"),
            )
        }
        ids["gone"] = add(client, tokens, f"http://127.0.0.1:{free_port()}/nobody.atom")
        poller: FeedPoller = client.app.state.workers["warning"].poller  # type: ignore[attr-defined]
        outcomes = {o.feed_id: o for o in poller.poll_all()}
        assert len(outcomes) == 5
        states = {name: feed_state(client, tokens, fid) for name, fid in ids.items()}
        assert "entities" in states["xxe"]["error"]
        assert "xxe.cap" in states["mixed"]["error"] and "entities" in states["mixed"]["error"]
        assert states["broken"]["error"] == "HTTP 500"
        assert "larger than 2048 bytes" in states["huge"]["error"]
        assert "ConnectError" in states["gone"]["error"]
        for name in ("xxe", "mixed", "broken", "huge", "gone"):
            assert states[name]["status"] == "failed" and states[name]["failures"] >= 1
        assert fake.hits.get("/secret", 0) == 0
        # The good document beside the bad one is imported once; the bad one is tried again at
        # each poll, its error kept on the feed, and what its entity names is never fetched.
        assert [e["data"]["identifier"] for e in foreign_events(client, tokens)] == [
            "partner-12-10"
        ]
        hits = fake.hits["/xxe.cap"]
        poller.poll_all()
        assert fake.hits["/xxe.cap"] == hits + 2  # as the feed "xxe" and linked from "mixed"
        assert fake.hits["/ok.cap"] == 1 and fake.hits.get("/secret", 0) == 0
        assert "entities" in feed_state(client, tokens, ids["mixed"])["error"]
        assert feed_state(client, tokens, ids["broken"])["failures"] >= 2


def test_feeds_api_and_cli(
    aleppo: Service, tokens: dict[str, str], partner: Any, db_url: str
) -> None:
    base, fake = partner
    fake.pages["/a.cap"] = (200, CAP12.format(n=20).encode(), "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    admin = auth(tokens["admin"])
    with TestClient(build_app(aleppo)) as client:
        for body, field in (
            ({"url": "ftp://partner.example/feed"}, "url"),
            ({"url": ""}, "url"),
            ({}, "url"),
            ({"url": "http://" + "a" * 2000 + ".example/"}, "url"),
        ):
            response = client.post("/api/v1/feeds", json=body, headers=admin)
            assert response.status_code == 422, body
            assert response.json()["errors"][0]["field"] == field
        as_json = {**admin, "Content-Type": "application/json"}
        assert client.post("/api/v1/feeds", content=b"[", headers=as_json).status_code == 422
        assert client.get("/api/v1/feeds", headers=admin).json()["count"] == 0
        feed_id = add(client, tokens, f"{base}/a.cap")
        duplicate = client.post("/api/v1/feeds", json={"url": f"{base}/a.cap"}, headers=admin)
        assert duplicate.status_code == 409
        assert client.delete("/api/v1/feeds/feed-nope", headers=admin).status_code == 404
        forbidden = client.post(
            "/api/v1/feeds", json={"url": f"{base}/b"}, headers=auth(tokens["dispatcher"])
        )
        assert forbidden.status_code == 403
        assert client.delete(f"/api/v1/feeds/{feed_id}", headers=admin).status_code == 200
        assert client.get("/api/v1/feeds", headers=admin).json()["feeds"] == []
        types = [e["type"] for e in log_entries(client, tokens)]
        assert types.count("warning.foreign_feed_added") == 1
        assert types.count("warning.foreign_feed_removed") == 1
    aleppo.stop()

    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["--db", db_url, "warn", *args])

    out = run("feeds", "add", f"{base}/a.cap")
    assert out.exit_code == 0, out.output
    cli_feed = out.output.split()[1]
    out = run("feeds", "list")
    assert cli_feed in out.output and "not fetched yet" in out.output
    assert run("feeds", "add", "gopher://x").exit_code != 0
    out = run("feeds", "remove", cli_feed)
    assert out.exit_code == 0 and "removed" in out.output
    assert run("feeds", "remove", cli_feed).exit_code != 0
    assert run("feeds", "list").output == ""


def test_poller_thread_runs_with_the_app(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    fake.pages["/feed.atom"] = (200, ATOM.format(entries="").encode(), "")
    configure(aleppo, feed_poll_s=0.2, mqtt_url=None)
    with TestClient(build_app(aleppo)) as client:
        add(client, tokens, f"{base}/feed.atom")
        wait_for(lambda: fake.hits.get("/feed.atom", 0) >= 3)
    # Stopped with the app: no more fetches.
    seen = fake.hits["/feed.atom"]
    time.sleep(0.6)
    assert fake.hits["/feed.atom"] == seen


def test_a_fetch_that_ends_after_its_feed_was_removed_leaves_no_state(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    fake.pages["/late.cap"] = (200, CAP12.format(n=31).encode(), "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    with TestClient(build_app(aleppo)) as client:
        feed_id = add(client, tokens, f"{base}/late.cap")
        poller: FeedPoller = client.app.state.workers["warning"].poller  # type: ignore[attr-defined]
        wait_for(lambda: feed_state(client, tokens, feed_id)["status"])
        admin = auth(tokens["admin"])
        assert client.delete(f"/api/v1/feeds/{feed_id}", headers=admin).status_code == 200
        # A fetch already under way when the feed was removed finishes now.
        outcome = poller.poll_feed(feed_id, f"{base}/late.cap")
        assert outcome.status == "ok"
        # The same URL added again is the same feed id, and it starts as never fetched.
        poller.stop()
        again = client.post("/api/v1/feeds", json={"url": f"{base}/late.cap"}, headers=admin)
        assert again.status_code == 201 and again.json()["feed_id"] == feed_id
        assert feed_state(client, tokens, feed_id)["status"] is None
