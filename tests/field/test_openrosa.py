"""ODK Collect and KoboCollect against hanano's OpenRosa server, posting what Collect posts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from hanano.web.app import build_app
from tests.evidence.media_support import media_photo
from tests.field.collect import COLLECT_HEADERS, base, instance, report_xml, submit
from tests.helpers import HANANO, auth

NS = {"l": "http://openrosa.org/xforms/xformsList", "r": "http://openrosa.org/http/response"}
HANANO_NS = "{https://hanano.example/openrosa}record"


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def listed(client: TestClient, token: str) -> dict[str, dict[str, str]]:
    answer = client.get(base(token) + "formList", headers=COLLECT_HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert answer.headers["content-type"].startswith("text/xml")
    root = fromstring(answer.content)
    return {
        x.findtext("l:formID", namespaces=NS): {c.tag.rpartition("}")[2]: c.text or "" for c in x}
        for x in root.findall("l:xform", NS)
    }


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the server logged: every record but the test client's own account of its requests."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))


def record_of(answer: Any) -> dict[str, str]:
    root = fromstring(answer.content)
    found = root.find(HANANO_NS)
    assert found is not None, answer.text
    return dict(found.attrib)


@pytest.mark.parametrize(
    ("role", "forms"),
    [
        ("reporter", {"hanano_report"}),
        ("spotter", {"hanano_sighting"}),
        ("team_leader", {"hanano_report", "hanano_team_status"}),
        ("dispatcher", {"hanano_report", "hanano_sighting"}),
        ("auditor", set()),
        ("public", set()),
    ],
)
def test_each_role_is_handed_its_own_forms(
    client: TestClient, tokens: dict[str, str], role: str, forms: set[str]
) -> None:
    assert set(listed(client, tokens[role])) == forms


def test_listed_hash_and_download_address_are_the_served_form(
    client: TestClient, tokens: dict[str, str]
) -> None:
    token = tokens["reporter"]
    entry = listed(client, token)["hanano_report"]
    assert entry["version"] == "2026120701"
    url = entry["downloadUrl"]
    assert url.endswith(base(token) + "forms/hanano_report.xml")
    form = client.get(url, headers=COLLECT_HEADERS)
    assert form.status_code == 200
    assert form.headers["X-OpenRosa-Version"] == "1.0"
    assert entry["hash"] == "md5:" + hashlib.md5(form.content).hexdigest()
    # Labels in both languages, and the instance Collect will fill in.
    assert b'lang="Arabic (ar)"' in form.content and b'lang="English (en)"' in form.content
    assert b'<data id="hanano_report" version="2026120701">' in form.content


@pytest.mark.parametrize(
    ("public_url", "host", "expected"),
    [
        # A proxy ending TLS speaks http to hanano: the phone is sent back to https, never to
        # an http address that would carry its token in clear.
        ("https://hanano.example", "hanano.example", "https://hanano.example/"),
        ("https://hanano.example:8443/", "hanano.example:8443", "https://hanano.example:8443/"),
        # Asked at another host than the public one: the address it was asked at.
        ("https://hanano.example", "10.0.0.5:8000", "http://10.0.0.5:8000/"),
    ],
)
def test_forms_are_listed_at_the_public_https_address_behind_a_proxy(
    aleppo: Service, tokens: dict[str, str], public_url: str, host: str, expected: str
) -> None:
    aleppo.settings = aleppo.settings.model_copy(update={"public_url": public_url})
    token = tokens["reporter"]
    with TestClient(build_app(aleppo)) as client:
        answer = client.get(base(token) + "formList", headers={**COLLECT_HEADERS, "Host": host})
    root = fromstring(answer.content)
    (url,) = [x.text for x in root.iter("{http://openrosa.org/xforms/xformsList}downloadUrl")]
    assert url == expected + base(token).lstrip("/") + "forms/hanano_report.xml"


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("reporter", "forms/hanano_nothing.xml", 404),
        ("reporter", "forms/hanano_sighting.xml", 404),
        ("spotter", "forms/hanano_report.xml", 404),
        ("reporter", "forms/hanano_report", 404),
    ],
)
def test_a_form_not_handed_or_unknown_is_not_found(
    client: TestClient, tokens: dict[str, str], role: str, path: str, status: int
) -> None:
    answer = client.get(base(tokens[role]) + path, headers=COLLECT_HEADERS)
    assert answer.status_code == status
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert fromstring(answer.content).findtext("r:message", namespaces=NS)


def test_a_form_not_handed_is_refused_as_one_that_does_not_exist(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # Else a reporter's token could tell the forms other roles are handed from names guessed.
    said = {
        form_id: fromstring(
            client.get(
                base(tokens["reporter"]) + f"forms/{form_id}.xml", headers=COLLECT_HEADERS
            ).content
        ).findtext("r:message", namespaces=NS)
        for form_id in ("hanano_sighting", "hanano_nothing")
    }
    assert said["hanano_sighting"] == said["hanano_nothing"].replace("nothing", "sighting")


def test_head_submission_says_openrosa_and_the_largest_request(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    answer = client.head(base(tokens["reporter"]) + "submission", headers=COLLECT_HEADERS)
    assert answer.status_code == 204
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    limit = int(answer.headers["X-OpenRosa-Accept-Content-Length"])
    assert limit == aleppo.settings.openrosa_max_bytes


def test_a_report_becomes_a_durable_report_the_operations_read(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    iid = "uuid:6f1c2a8e-5b0d-4c47-9a51-0f3e2d7b9c11"
    xml = report_xml(
        clock.now() - timedelta(minutes=2),
        iid,
        location=f"{HANANO[0]} {HANANO[1]} 410.5 6.0",
        text="قصف على حي هنانو، عالقون تحت الأنقاض",
        trapped=3,
        casualties=2,
    )
    answer = submit(client, tokens["reporter"], xml)
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    record = record_of(answer)
    assert record["form"] == "hanano_report"
    assert record["id"] == iid.removeprefix("uuid:")
    message = fromstring(answer.content).findtext("r:message", namespaces=NS)
    assert record["id"] in message and f"log index {record['log_index']}" in message
    incidents = client.get("/api/v1/incidents", headers=auth(tokens["dispatcher"])).json()
    (incident,) = incidents["incidents"]
    detail = client.get(
        f"/api/v1/incidents/{incident['id']}", headers=auth(tokens["dispatcher"])
    ).json()
    (report,) = detail["reports"]
    assert report["id"] == record["id"]
    assert (report["trapped"], report["casualties"], report["source"]) == (3, 2, "citizen")
    assert (report["lat"], report["lon"], report["accuracy_m"]) == (HANANO[0], HANANO[1], 6.0)
    assert report["text"] == "قصف على حي هنانو، عالقون تحت الأنقاض"
    receipt = client.get(
        f"/api/v1/log/receipt/{record['log_index']}", headers=auth(tokens["admin"])
    )
    assert receipt.status_code == 200


def test_a_retry_is_answered_as_the_first_time_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    xml = report_xml(clock.now(), location=f"{HANANO[0]} {HANANO[1]} 0 0", trapped=1)
    first = submit(client, tokens["reporter"], xml)
    assert first.status_code == 201
    before = event_count(aleppo)
    # Collect retries after the network came back, long after: still the first answer.
    clock.advance(timedelta(days=3))
    again = submit(client, tokens["reporter"], xml)
    assert again.status_code == 201
    assert again.content == first.content
    assert event_count(aleppo) == before


def test_the_same_instance_with_other_content_is_a_conflict(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    iid = "uuid:0b7f5d9c-3a2e-4e61-8d4f-2c9a1b3e5f70"
    at = clock.now()
    assert submit(client, tokens["reporter"], report_xml(at, iid, trapped=1)).status_code == 201
    before = event_count(aleppo)
    for changed in (
        report_xml(at, iid, trapped=4),
        # Other XML that would make the same report: still another submission.
        report_xml(at, iid, trapped=1, photo="1733570000.jpg"),
    ):
        answer = submit(client, tokens["reporter"], changed)
        assert answer.status_code == 409, answer.text
        assert answer.headers["X-OpenRosa-Version"] == "1.0"
        assert iid in fromstring(answer.content).findtext("r:message", namespaces=NS)
    assert event_count(aleppo) == before


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<data id="hanano_report"><kind>strike</kind><text>&b;</text>
<meta><instanceID>uuid:2d3c4b5a-6978-4a1b-8c2d-3e4f5a6b7c8d</instanceID></meta></data>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<data id="hanano_report"><kind>strike</kind><text>&x;</text>
<meta><instanceID>uuid:2d3c4b5a-6978-4a1b-8c2d-3e4f5a6b7c8e</instanceID></meta></data>"""

DEEP = (
    b'<data id="hanano_report">' + b"<g>" * 5000 + b"x" + b"</g>" * 5000
    + b"<meta><instanceID>uuid:2d3c4b5a-6978-4a1b-8c2d-3e4f5a6b7c8f</instanceID></meta></data>"
)  # fmt: skip


def _bad_cases(at: Any) -> list[tuple[str, bytes, int, str]]:
    iid = "uuid:9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
    return [
        ("malformed", b"<data id='hanano_report'><kind>strike</data>", 400, "malformed XML"),
        ("entities", BILLION_LAUGHS, 400, "entities are refused"),
        ("external entity", EXTERNAL, 400, "entities are refused"),
        ("no form id", b"<data><kind>strike</kind></data>", 400, "no id attribute"),
        # Deeper than any form's groups: was read by recursion until Python gave out (a 500).
        ("nested", DEEP, 400, "nested deeper than 32"),
        ("unknown form", instance("hanano_unknown", {"a": 1}, iid), 404, "hanano_unknown"),
        ("no instance id", report_xml(at).replace(b"instanceID>", b"x>"), 400, "instanceID"),
        ("not a uuid", report_xml(at, "uuid:report-1"), 400, "not uuid:"),
        ("unknown kind", report_xml(at, kind="earthquake"), 422, "kind"),
        ("outside the city", report_xml(at, location="33.51 36.29 0 0"), 422, "lat"),
        ("not a point", report_xml(at, location="36.2"), 422, "location"),
        ("not a number", report_xml(at, location="nan nan 0 0"), 422, "location"),
        ("negative count", report_xml(at, trapped=-2), 422, "trapped"),
        ("text count", report_xml(at, casualties="three"), 422, "casualties"),
        ("no offset", report_xml(at.replace(tzinfo=None)), 422, "observed_at"),
        ("in the future", report_xml(at + timedelta(hours=2)), 422, "observed_at"),
    ]


def test_bad_submissions_are_refused_by_name_and_write_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    before = event_count(aleppo)
    for name, xml, status, words in _bad_cases(clock.now()):
        answer = submit(client, tokens["reporter"], xml)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["X-OpenRosa-Version"] == "1.0", name
        message = fromstring(answer.content).findtext("r:message", namespaces=NS)
        assert words in message, (name, message)
    assert event_count(aleppo) == before


def test_a_body_without_the_submission_part_is_refused(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    url = base(tokens["reporter"]) + "submission"
    xml = report_xml(clock.now())
    wrong_part = client.post(
        url, files=[("xml_file", ("a.xml", xml, "text/xml"))], headers=COLLECT_HEADERS
    )
    assert wrong_part.status_code == 400
    assert "xml_submission_file" in wrong_part.text
    twice = client.post(
        url,
        files=[
            ("xml_submission_file", ("a.xml", xml, "text/xml")),
            ("xml_submission_file", ("b.xml", xml, "text/xml")),
        ],
        headers=COLLECT_HEADERS,
    )
    assert twice.status_code == 400
    broken = client.post(
        url,
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        headers={**COLLECT_HEADERS, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 400
    assert broken.headers["X-OpenRosa-Version"] == "1.0"


@pytest.fixture
def small(aleppo: Service) -> Iterator[TestClient]:
    """A server that takes OpenRosa requests of at most 50 kB."""
    aleppo.settings = aleppo.settings.model_copy(update={"openrosa_max_bytes": 50_000})
    with TestClient(build_app(aleppo)) as client:
        yield client


def test_an_oversized_attachment_is_413_so_collect_splits(
    small: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    before = event_count(aleppo)
    xml = report_xml(clock.now(), photo="big.jpg")
    answer = submit(small, tokens["reporter"], xml, [("big.jpg", b"\xff" * 60_000, "image/jpeg")])
    assert answer.status_code == 413, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert "send fewer files" in answer.text
    assert event_count(aleppo) == before
    # Split as Collect splits it, the form alone fits.
    assert submit(small, tokens["reporter"], xml).status_code == 201


def test_an_attachment_streamed_past_the_limit_is_413(
    small: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    xml = report_xml(clock.now(), photo="big.jpg")

    def chunks() -> Any:
        yield (
            b'--b\r\nContent-Disposition: form-data; name="xml_submission_file"; '
            b'filename="s.xml"\r\nContent-Type: text/xml\r\n\r\n' + xml + b"\r\n"
            b'--b\r\nContent-Disposition: form-data; name="big.jpg"; filename="big.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n"
        )
        for _ in range(10):
            yield b"\xff" * 10_000
        yield b"\r\n--b--\r\n"

    before = event_count(aleppo)
    answer = small.post(
        base(tokens["reporter"]) + "submission",
        content=chunks(),
        headers={**COLLECT_HEADERS, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert event_count(aleppo) == before


@pytest.mark.parametrize("path", ["formList", "forms/hanano_report.xml", "submission"])
def test_a_wrong_token_is_401_and_never_repeated(
    client: TestClient, clock: ManualClock, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = "hnn_" + "x" * 43
    url = base(token) + path
    with caplog.at_level(logging.DEBUG):
        if path == "submission":
            answer = submit(client, token, report_xml(clock.now()))
            head = client.head(url, headers=COLLECT_HEADERS)
            assert head.status_code == 401
        else:
            answer = client.get(url, headers=COLLECT_HEADERS)
    assert answer.status_code == 401
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert token not in answer.text
    assert token not in server_log(caplog)


def test_the_token_in_the_address_reaches_neither_logs_nor_the_event_log(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = tokens["reporter"]
    with caplog.at_level(logging.DEBUG):
        listed(client, token)
        assert submit(client, token, report_xml(clock.now(), text="x")).status_code == 201
        assert submit(client, token, b"<broken").status_code == 400
    assert token not in server_log(caplog)
    with aleppo.engine.connect() as conn:
        stored = [
            *conn.execute(select(schema.events.c.actor, schema.events.c.canonical)).all(),
            *conn.execute(select(schema.sealed_fields.c.value)).all(),
        ]
    assert stored and not any(token.encode() in repr(row).encode() for row in stored)
    entries = client.get("/api/v1/events", headers=auth(tokens["admin"]))
    assert entries.status_code == 200 and token not in entries.text


def _custody(client: TestClient, token: str, photo: bytes) -> Any:
    sha = hashlib.sha256(photo).hexdigest()
    return client.get(f"/api/v1/media/{sha}/custody", headers=auth(token))


def test_a_report_s_photo_goes_into_media_custody_once(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    photo = media_photo()
    xml = report_xml(clock.now(), location=f"{HANANO[0]} {HANANO[1]} 0 5", photo="1733.jpg")
    answer = submit(client, tokens["reporter"], xml, [("1733.jpg", photo, "image/jpeg")])
    assert answer.status_code == 201, answer.text
    assert "(photo kept)" in answer.text
    custody = _custody(client, tokens["dispatcher"], photo)
    assert custody.status_code == 200, custody.text
    before = event_count(aleppo)
    again = submit(client, tokens["reporter"], xml, [("1733.jpg", photo, "image/jpeg")])
    assert again.status_code == 201 and "photo kept already" in again.text
    assert event_count(aleppo) == before


def test_a_split_submission_keeps_the_photo_from_its_second_request(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    photo = media_photo()
    xml = report_xml(clock.now(), location=f"{HANANO[0]} {HANANO[1]} 0 5", photo="1734.jpg")
    first = submit(client, tokens["reporter"], xml)
    assert first.status_code == 201 and "photo" not in first.text
    assert _custody(client, tokens["dispatcher"], photo).status_code == 404
    second = submit(client, tokens["reporter"], xml, [("1734.jpg", photo, "image/jpeg")])
    assert second.status_code == 201 and "(photo kept)" in second.text
    assert record_of(second) == record_of(first)
    assert _custody(client, tokens["dispatcher"], photo).status_code == 200


def test_a_file_that_is_no_photo_is_not_kept_and_the_report_stands(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    xml = report_xml(clock.now(), location=f"{HANANO[0]} {HANANO[1]} 0 5", photo="x.jpg")
    answer = submit(client, tokens["reporter"], xml, [("x.jpg", b"MZ\x90\x00" * 50, "image/jpeg")])
    assert answer.status_code == 201
    assert "photo not kept" in answer.text and "not a photo or video" in answer.text


def test_a_retry_after_a_rebuild_is_still_recognised(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    iid = "uuid:5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
    xml = report_xml(clock.now(), iid, trapped=2)
    first = submit(client, tokens["reporter"], xml)
    aleppo.rebuild()
    before = event_count(aleppo)
    assert submit(client, tokens["reporter"], xml).content == first.content
    assert (
        submit(client, tokens["reporter"], report_xml(clock.now(), iid, trapped=3)).status_code
        == 409
    )
    assert event_count(aleppo) == before


@pytest.mark.parametrize("other", ["dispatcher", "team_leader"])
def test_another_token_resending_a_form_gets_a_conflict_and_attaches_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service, other: str
) -> None:
    """A form's instance id is its sender's: a second token that has A's XML (a lost phone, a
    copied form) cannot pass as A's retry, learn A's report, or hang its own photo on it."""
    xml = report_xml(clock.now(), location=f"{HANANO[0]} {HANANO[1]} 0 5", photo="1735.jpg")
    first = submit(client, tokens["reporter"], xml)
    assert first.status_code == 201, first.text
    photo = media_photo()
    before = event_count(aleppo)
    stolen = submit(client, tokens[other], xml, [("1735.jpg", photo, "image/jpeg")])
    assert stolen.status_code == 409, stolen.text
    assert fromstring(stolen.content).find(HANANO_NS) is None
    assert event_count(aleppo) == before
    assert _custody(client, tokens["dispatcher"], photo).status_code == 404
    # The sender's own retry is still answered as the first time.
    again = submit(client, tokens["reporter"], xml)
    assert again.status_code == 201 and record_of(again) == record_of(first)
