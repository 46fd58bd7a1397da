"""Defect 12, signatures: a feed or partner registered with its signing certificate has every
alert checked (XML-DSig enveloped, by signxml); one whose signature, digest or certificate does
not check out is recorded as refused, with the reason, and never acted on: no threat, no alert.

The partner's self-signed certificates are made here with `cryptography`; its server is the fake
partner agency of tests/warning/conftest.py."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import inspect, select

from hanano.cli import main
from hanano.domains import MIGRATIONS, REGISTRY
from hanano.service import Service
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.store.rebuild import rebuild, snapshot
from hanano.warning.poller import FeedPoller
from hanano.warning.tables import foreign_alerts, threats
from hanano.web.app import build_app
from tests.helpers import auth
from tests.warning.capdocs import Signer, alert, make_signer
from tests.warning.test_feed_poller import ATOM, ENTRY, feed_state, log_entries
from tests.warning.test_outbox import configure, wait_for

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def partner_key() -> Signer:
    return make_signer("warnings.met.partner.example")


@pytest.fixture(scope="module")
def stranger_key() -> Signer:
    return make_signer("someone-else.example")


def inner_info_signed(signer: Signer, identifier: str) -> bytes:
    """A partner's signature over one <info> of an alert only (by its Id): the alert around it,
    with its identifier and zones, is not covered, so it can be swapped for another."""
    genuine = alert(identifier).replace(b"<info>", b'<info Id="info-1">', 1)
    signed = signer.sign(genuine, reference_uri="#info-1")
    return signed.replace(b"N0139", b"N0129").replace(identifier.encode(), b"forged-1")


def wrapped(signer: Signer, identifier: str) -> bytes:
    """The signature wrapping trick: the partner's genuinely signed alert tucked inside a forged
    alert, whose root now carries the genuine signature."""
    genuine = etree.fromstring(signer.sign(alert(identifier)))
    signature = genuine.find(f"{DSIG}Signature")
    assert signature is not None
    genuine.remove(signature)
    forged = etree.fromstring(alert("forged-2", pcode="N0129"))
    forged.append(genuine)
    forged.append(signature)
    out: bytes = etree.tostring(forged, xml_declaration=True, encoding="UTF-8")
    return out


def tampered(signer: Signer, identifier: str) -> bytes:
    """One byte of the signed content changed: Severe becomes Extreme (a warning made imminent)."""
    signed = signer.sign(alert(identifier))
    assert signed.count(b"Severe") == 2
    return signed.replace(b"Severe", b"Extreme", 1)


def refusals(partner: Signer, stranger: Signer, expired: Signer) -> dict[str, tuple[bytes, str]]:
    """Each way an alert fails its partner's certificate, with a word of the reason given."""
    return {
        "digest": (tampered(partner, "bad-digest"), "digest does not match"),
        "other key": (stranger.sign(alert("other-key")), "does not verify"),
        "missing": (alert("unsigned"), "no enveloped XML-DSig signature"),
        "inner element": (inner_info_signed(partner, "inner"), "does not cover the whole alert"),
        "wrapped": (wrapped(partner, "wrapped"), "digest does not match"),
        "expired": (expired.sign(alert("expired-cert")), "certificate does not check out"),
    }


def refused_events(client: TestClient, tokens: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in log_entries(client, tokens) if e["type"] == "warning.foreign_alert_refused"]


def test_a_signed_alert_is_acted_on_and_every_bad_one_is_refused_through_the_api(
    client: TestClient,
    aleppo: Service,
    tokens: dict[str, str],
    partner_key: Signer,
    stranger_key: Signer,
) -> None:
    dispatcher = auth(tokens["dispatcher"])
    expired = make_signer("old", not_after=datetime(2026, 1, 1, tzinfo=UTC))
    cert = partner_key.pem.decode()
    for name, (document, reason) in refusals(partner_key, stranger_key, expired).items():
        pem = expired.pem.decode() if name == "expired" else cert
        response = client.post(
            "/api/v1/alerts/foreign",
            json={"cap": document.decode(), "cert": pem},
            headers=dispatcher,
        )
        assert response.status_code == 422, (name, response.text)
        problem = response.json()
        assert problem["errors"][0]["field"] == "cap" and reason in problem["detail"], name
    assert client.get("/api/v1/alerts").json()["alerts"] == []
    with aleppo.engine.connect() as conn:
        assert conn.execute(select(threats.c.threat_id)).all() == []
        assert conn.execute(select(foreign_alerts.c.foreign_id)).all() == []
    recorded = refused_events(client, tokens)
    assert len(recorded) == 6
    assert {e["data"]["source"] for e in recorded} == {"api"}
    assert all(e["data"]["reason"] for e in recorded)
    missing = next(e for e in recorded if e["data"]["claimed_identifier"] == "unsigned")
    assert missing["data"]["document_sha256"] == hashlib.sha256(alert("unsigned")).hexdigest()

    good = client.post(
        "/api/v1/alerts/foreign",
        json={"cap": partner_key.sign(alert("good-1")).decode(), "cert": cert},
        headers=dispatcher,
    )
    assert good.status_code == 201, good.text
    [item] = good.json()["imported"]
    assert item["identifier"] == "good-1" and item["level"] == "warning"
    assert item["pcodes"] == ["N0139"]
    assert [a["level"] for a in client.get("/api/v1/alerts").json()["alerts"]] == ["warning"]
    [received] = [
        e for e in log_entries(client, tokens) if e["type"] == "warning.foreign_alert_received"
    ]
    assert received["data"]["signed_by"] == partner_key.sha256
    listed = client.get("/api/v1/feeds", headers=auth(tokens["admin"])).json()
    assert len(listed["refused"]) == 6 and listed["refused"][0]["reason"]


def test_without_a_certificate_alerts_are_read_as_before(
    client: TestClient, tokens: dict[str, str], partner_key: Signer
) -> None:
    dispatcher = auth(tokens["dispatcher"])
    for document in (alert("plain"), partner_key.sign(alert("signed-anyway"))):
        response = client.post(
            "/api/v1/alerts/foreign", json={"cap": document.decode()}, headers=dispatcher
        )
        assert response.status_code == 201, response.text
    assert refused_events(client, tokens) == []
    bad = client.post(
        "/api/v1/alerts/foreign",
        json={"cap": alert("x").decode(), "cert": "not a certificate"},
        headers=dispatcher,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cert"
    lone_surrogate = client.post(
        "/api/v1/alerts/foreign",
        content=b'{"cap": "\\ud800"}',
        headers={**dispatcher, "Content-Type": "application/json"},
    )
    assert lone_surrogate.status_code == 422
    assert lone_surrogate.json()["errors"][0]["field"] == "cap"
    nested = client.post(
        "/api/v1/alerts/foreign",
        content=b"[" * 30_000,
        headers={**dispatcher, "Content-Type": "application/json"},
    )
    assert nested.status_code == 422 and nested.json()["errors"][0]["field"] == "body"


def test_a_signed_feed_imports_only_what_its_partner_signed(
    aleppo: Service, tokens: dict[str, str], partner: Any, partner_key: Signer, stranger_key: Signer
) -> None:
    base, fake = partner
    expired = make_signer("old", not_after=datetime(2026, 1, 1, tzinfo=UTC))
    bad = refusals(partner_key, stranger_key, expired)
    del bad["expired"]  # the feed's certificate is the partner's, still valid
    entries = ENTRY.format(href="good.cap")
    fake.pages["/good.cap"] = (200, partner_key.sign(alert("feed-good")), "")
    for name, (document, _) in bad.items():
        path = "/" + name.replace(" ", "-") + ".cap"
        fake.pages[path] = (200, document, "")
        entries += ENTRY.format(href=path.lstrip("/"))
    fake.pages["/signed.atom"] = (200, ATOM.format(entries=entries).encode(), "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    admin = auth(tokens["admin"])
    with TestClient(build_app(aleppo)) as client:
        created = client.post(
            "/api/v1/feeds",
            json={"url": f"{base}/signed.atom", "cert": partner_key.pem.decode()},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        feed_id = created.json()["feed_id"]
        state = wait_for(
            lambda: (
                feed_state(client, tokens, feed_id)["status"]
                and feed_state(client, tokens, feed_id)
            )
        )
        assert state["status"] == "failed" and state["imported"] == 1
        assert state["cert_sha256"] == created.json()["cert_sha256"]
        reasons = {r["url"].rsplit("/", 1)[1]: r["reason"] for r in state["refused"]}
        assert set(reasons) == {
            "digest.cap",
            "other-key.cap",
            "missing.cap",
            "inner-element.cap",
            "wrapped.cap",
        }
        for name, (_, reason) in bad.items():
            assert reason in reasons[name.replace(" ", "-") + ".cap"]
            assert reason in state["error"]
        received = [
            e for e in log_entries(client, tokens) if e["type"] == "warning.foreign_alert_received"
        ]
        assert [e["data"]["identifier"] for e in received] == ["feed-good"]
        assert [a["level"] for a in client.get("/api/v1/alerts").json()["alerts"]] == ["warning"]
        with aleppo.engine.connect() as conn:
            zones = conn.execute(select(threats.c.zones)).scalars().all()
        assert len(zones) == 1 and "N0129" not in zones[0]

        # Read again, the refused documents are tried again but recorded once.
        poller: FeedPoller = client.app.state.workers["warning"].poller  # type: ignore[attr-defined]
        [again] = poller.poll_all()
        assert again.status == "failed" and again.imported == []
        assert len(refused_events(client, tokens)) == 5
        assert {e["data"]["feed_id"] for e in refused_events(client, tokens)} == {feed_id}

        # An alert inline in a signed feed cannot carry its own enveloped signature.
        inline_alert = partner_key.sign(alert("inline")).decode().split("?>", 1)[1]
        inline_feed = ATOM.format(entries=f"<entry>{inline_alert}</entry>")
        fake.pages["/inline.atom"] = (200, inline_feed.encode(), "")
        inline = client.post(
            "/api/v1/feeds",
            json={"url": f"{base}/inline.atom", "cert": partner_key.pem.decode()},
            headers=admin,
        ).json()["feed_id"]
        inline_state = wait_for(
            lambda: (
                feed_state(client, tokens, inline)["status"] and feed_state(client, tokens, inline)
            )
        )
        assert inline_state["imported"] == 0 and "not a signed CAP <alert>" in inline_state["error"]

        with aleppo.engine.connect() as conn:
            live = snapshot(conn, REGISTRY)
    aleppo.sequencer.stop()
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_only_the_partners_certificate_can_change_or_cancel_its_signed_alert(
    client: TestClient, aleppo: Service, tokens: dict[str, str], partner_key: Signer
) -> None:
    dispatcher = auth(tokens["dispatcher"])
    cert = partner_key.pem.decode()

    def post(document: bytes, pem: str | None = None) -> Any:
        body = {"cap": document.decode(), **({"cert": pem} if pem else {})}
        response = client.post("/api/v1/alerts/foreign", json=body, headers=dispatcher)
        assert response.status_code == 201, response.text
        return response.json()["imported"][0]

    def threatened() -> list[str]:
        with aleppo.engine.connect() as conn:
            rows = conn.execute(select(threats.c.zones)).scalars().all()
        return sorted(z["pcode"] for row in rows for z in json.loads(row))

    assert post(partner_key.sign(alert("signed-1")), cert)["level"] == "warning"
    assert threatened() == ["N0139"]
    # Unsigned, naming the signed alert: a cancel, and the same alert moved to another zone.
    post(alert("fake-cancel", cancels="signed-1"))
    moved = post(alert("signed-1", pcode="N0129"))
    assert moved["level"] is None and moved["reason"].startswith("passed over")
    assert threatened() == ["N0139"]
    # The partner's own signed cancel ends it.
    post(partner_key.sign(alert("signed-1-cancel", cancels="signed-1")), cert)
    assert threatened() == []


def test_feed_registration_refuses_a_bad_or_expired_certificate(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = auth(tokens["admin"])
    expired = make_signer("old", not_after=datetime(2026, 1, 1, tzinfo=UTC))
    for cert, words in (
        ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "not a readable"),
        ("a key, not a certificate", "PEM"),
        (expired.pem.decode(), "expired"),
        (42, "PEM"),
    ):
        response = client.post(
            "/api/v1/feeds",
            json={"url": "https://partner.example/feed", "cert": cert},
            headers=admin,
        )
        assert response.status_code == 422, cert
        [error] = response.json()["errors"]
        assert error["field"] == "cert" and words in error["message"]
    for url in ("http://partner.example/\\ud800", "http://partner.example/a\\u0000b"):
        response = client.post(
            "/api/v1/feeds",
            content=f'{{"url": "{url}"}}'.encode(),
            headers={**admin, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["field"] == "url"
    assert client.get("/api/v1/feeds", headers=admin).json()["count"] == 0


def test_cli_import_cap_with_a_certificate_exits_1_on_a_refused_alert(
    aleppo: Service, db_url: str, tmp_path: Any, partner_key: Signer, stranger_key: Signer
) -> None:
    aleppo.stop()
    runner = CliRunner()
    cert = tmp_path / "partner.pem"
    cert.write_bytes(partner_key.pem)
    expired = make_signer("old", not_after=datetime(2026, 1, 1, tzinfo=UTC))
    old_cert = tmp_path / "old.pem"
    old_cert.write_bytes(expired.pem)

    def import_cap(document: bytes, pem: Any = cert) -> Any:
        path = tmp_path / "alert.xml"
        path.write_bytes(document)
        return runner.invoke(
            main, ["--db", db_url, "warn", "import-cap", str(path), "--cert", str(pem)]
        )

    for name, (document, reason) in refusals(partner_key, stranger_key, expired).items():
        out = import_cap(document, old_cert if name == "expired" else cert)
        assert out.exit_code == 1, (name, out.output)
        assert out.output.startswith("refused: ") and reason in out.output, name
        assert hashlib.sha256(document).hexdigest() in out.output
    listed = runner.invoke(main, ["--db", db_url, "warn", "feeds", "list"])
    assert "refused outside feeds:" in listed.output
    assert listed.output.count("import-cap") == 6
    as_json = json.loads(
        runner.invoke(main, ["--db", db_url, "warn", "feeds", "list", "--json"]).output
    )
    assert len(as_json["refused"]) == 6

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(threats.c.threat_id)).all() == []
            assert conn.execute(select(foreign_alerts.c.foreign_id)).all() == []
    finally:
        engine.dispose()

    good = import_cap(partner_key.sign(alert("cli-good")))
    assert good.exit_code == 0, good.output
    assert "cli-good: warning N0139" in good.output
    not_pem = tmp_path / "junk.pem"
    not_pem.write_bytes(b"junk")
    assert import_cap(alert("x"), not_pem).exit_code != 0


def test_cli_feeds_add_with_a_certificate_and_list_its_refusals(
    aleppo: Service, db_url: str, tmp_path: Any, partner: Any, partner_key: Signer
) -> None:
    base, fake = partner
    fake.pages["/unsigned.cap"] = (200, alert("cli-unsigned"), "")
    aleppo.stop()
    cert = tmp_path / "partner.pem"
    cert.write_bytes(partner_key.pem)
    runner = CliRunner()
    out = runner.invoke(
        main, ["--db", db_url, "warn", "feeds", "add", f"{base}/unsigned.cap", "--cert", str(cert)]
    )
    assert out.exit_code == 0, out.output
    assert "signed by certificate SHA-256" in out.output
    feed_id = out.output.split()[1]
    service = Service(aleppo.settings).start()
    try:
        poller = FeedPoller(service)
        [outcome] = poller.poll_all()
        poller.client.close()
    finally:
        service.stop()
    assert outcome.status == "failed" and outcome.imported == []
    listed = runner.invoke(main, ["--db", db_url, "warn", "feeds", "list"])
    lines = listed.output.splitlines()
    assert lines[0].startswith(feed_id) and "cert " in lines[0]
    assert "refused" in lines[1] and "cli-unsigned" in lines[1]
    assert "no enveloped XML-DSig signature" in lines[1]


def test_a_store_from_before_signed_feeds_gains_their_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, MIGRATIONS)
        with engine.begin() as conn:
            # warning_feeds as migration 10 made it before feeds had certificates.
            conn.exec_driver_sql("DROP TABLE warning_foreign_refused")
            conn.exec_driver_sql("DROP TABLE warning_feeds")
            conn.exec_driver_sql(
                "CREATE TABLE warning_feeds (feed_id VARCHAR(40) PRIMARY KEY, url TEXT NOT NULL,"
                " added_at VARCHAR(40) NOT NULL, actor VARCHAR(200) NOT NULL)"
            )
            conn.exec_driver_sql("ALTER TABLE warning_foreign_alerts DROP COLUMN signed_by")
            recorded = schema.domain_migrations
            conn.execute(
                recorded.delete().where(recorded.c.domain == "warning", recorded.c.number == 4)
            )
        applied = migrate(engine, MIGRATIONS)
        assert [(a.domain, a.migration.number) for a in applied] == [("warning", 4)]
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("warning_feeds")}
            assert {"cert_pem", "cert_sha256"} <= columns
            alert_columns = inspect(conn).get_columns("warning_foreign_alerts")
            assert "signed_by" in {c["name"] for c in alert_columns}
            assert inspect(conn).has_table("warning_foreign_refused")
    finally:
        engine.dispose()
