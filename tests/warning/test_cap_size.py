"""Defect 12, size: a national weather service's CAP alert of 880 KB was refused by a 512 KiB
limit (and by the API's 64 KiB body limit). Foreign CAP up to 5 MB is read as a stream, DTDs and
entities still refused; one byte more is refused with the limit named."""

import tracemalloc
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.cli import main
from hanano.errors import Problem
from hanano.service import Service
from hanano.store.engine import make_engine
from hanano.warning.cap import ForeignCapError, parse_foreign
from hanano.warning.foreign import read_cap
from hanano.warning.tables import foreign_alerts, threats
from hanano.web.app import build_app
from tests.helpers import auth
from tests.warning.capdocs import alert, large_cap
from tests.warning.test_feed_poller import add, feed_state
from tests.warning.test_outbox import configure, wait_for

FIVE_MB = 5_000_000
XML = {"Content-Type": "application/xml"}


def test_a_national_services_880_kb_alert_is_imported_through_the_api(
    client: TestClient, tokens: dict[str, str]
) -> None:
    document = large_cap(880_000, "met-880k")
    response = client.post(
        "/api/v1/alerts/foreign", content=document, headers={**auth(tokens["dispatcher"]), **XML}
    )
    assert response.status_code == 201, response.text[:500]
    [item] = response.json()["imported"]
    assert item["identifier"] == "met-880k" and item["level"] == "warning"
    assert item["pcodes"] == ["N0139"]  # the hundreds of outlines far away match nothing here
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert [a["level"] for a in alerts] == ["warning"]
    # The same in the JSON form, whose body is larger than the document.
    again = client.post(
        "/api/v1/alerts/foreign",
        json={"cap": large_cap(880_000, "met-880k-json").decode()},
        headers=auth(tokens["dispatcher"]),
    )
    assert again.status_code == 201, again.text[:500]


def test_five_mb_is_read_and_one_byte_more_is_refused_with_the_limit(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert read_cap(large_cap(FIVE_MB)).alerts[0].identifier == "met-large-1"
    with pytest.raises(Problem) as refused:
        read_cap(large_cap(FIVE_MB + 1))
    assert refused.value.status == 413 and "5000000 bytes" in refused.value.detail

    auditor = auth(tokens["auditor"])
    before = client.get("/api/v1/events?limit=5000", headers=auditor).json()["events"]
    response = client.post(
        "/api/v1/alerts/foreign",
        content=large_cap(FIVE_MB + 1),
        headers={**auth(tokens["dispatcher"]), **XML},
    )
    assert response.status_code == 413
    problem = response.json()
    assert problem["errors"] == [
        {"field": "cap", "message": "the CAP document exceeds 5000000 bytes"}
    ]
    assert client.get("/api/v1/events?limit=5000", headers=auditor).json()["events"] == before
    assert client.get("/api/v1/alerts").json()["alerts"] == []


def test_import_cap_reads_4_9_mb_and_refuses_5_mb_and_one(
    aleppo: Service, db_url: str, tmp_path: Any
) -> None:
    aleppo.stop()
    big = tmp_path / "big.xml"
    big.write_bytes(large_cap(4_900_000, "met-4.9m"))
    too_big = tmp_path / "too-big.xml"
    too_big.write_bytes(large_cap(FIVE_MB + 1, "met-too-big"))
    runner = CliRunner()
    out = runner.invoke(main, ["--db", db_url, "warn", "import-cap", str(big)])
    assert out.exit_code == 0, out.output
    assert "met-4.9m: warning N0139" in out.output
    out = runner.invoke(main, ["--db", db_url, "warn", "import-cap", str(too_big)])
    assert out.exit_code == 1
    assert "exceeds 5000000 bytes" in out.output
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            identifiers = conn.execute(select(foreign_alerts.c.identifier)).scalars().all()
            assert identifiers == ["met-4.9m"]
            assert conn.execute(select(threats.c.threat_id)).scalars().all()
    finally:
        engine.dispose()


def test_a_feed_of_4_9_mb_is_fetched_and_5_mb_and_one_is_refused(
    aleppo: Service, tokens: dict[str, str], partner: Any
) -> None:
    base, fake = partner
    fake.pages["/big.cap"] = (200, large_cap(4_900_000, "feed-4.9m"), "")
    fake.pages["/too-big.cap"] = (200, large_cap(FIVE_MB + 1, "feed-too-big"), "")
    configure(aleppo, feed_poll_s=3600, mqtt_url=None)
    with TestClient(build_app(aleppo)) as client:
        big = add(client, tokens, f"{base}/big.cap")
        too_big = add(client, tokens, f"{base}/too-big.cap")
        # Adding them wakes the server's poller thread, which reads them.
        states = wait_for(
            lambda: (
                all(feed_state(client, tokens, f)["status"] for f in (big, too_big))
                and {f: feed_state(client, tokens, f) for f in (big, too_big)}
            ),
            timeout=60,
        )
        assert states[big]["status"] == "ok" and states[big]["imported"] == 1
        assert states[too_big]["status"] == "failed"
        assert "larger than 5000000 bytes" in states[too_big]["error"]
        alerts = client.get("/api/v1/alerts").json()["alerts"]
        assert [a["level"] for a in alerts] == ["warning"]


def test_a_dtd_or_an_entity_is_still_refused_however_large_the_limit() -> None:
    doctype = (
        b'<?xml version="1.0"?>\n<!DOCTYPE alert>\n' + alert("plain-doctype").split(b"?>", 1)[1]
    )
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b"]>\n"
        + alert("&i;").split(b"?>", 1)[1]
    )
    for document in (doctype, laughs):
        with pytest.raises(ForeignCapError, match="DTD or entities"):
            parse_foreign(document)
        with pytest.raises(Problem) as refused:
            read_cap(document)
        assert refused.value.status == 422 and refused.value.errors[0].field == "cap"


def test_a_large_document_never_stands_whole_in_memory_as_a_tree() -> None:
    document = large_cap(4_900_000)
    tracemalloc.start()
    try:
        [parsed] = parse_foreign(document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.areas) > 3000
    # Its outlines are kept as their text; a tree of every element and the outlines as pairs
    # of floats took five times the document.
    assert peak < 2 * len(document), peak
