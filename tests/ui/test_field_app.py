"""The field app on a 390×844 phone in real headless Chromium: signed in with a token, it takes
a report or a sighting with the network down, keeps it through the app being closed, opens
again from its service worker while still offline, and sends it when the network returns:
acknowledged with its log index, stored exactly once even when sent again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from hashlib import sha256 as digest
from typing import Any

import httpx2 as httpx
import pytest

from hanano.access.tokens import create_token, revoke_token
from hanano.clock import ManualClock
from hanano.service import Service
from tests.evidence.media_support import media_photo
from tests.helpers import HANANO, auth, offset, report_body
from tests.helpers_server import running_server
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_team
from tests.ui.test_room_reading import run_axe
from tests.warning.common import HANANO_PCODE, setup_posts, spotter_at

PHONE = (390, 844)


@pytest.fixture
def clock() -> ManualClock:
    # The phone stamps what it enters with its own clock: the server's must agree with it.
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def field(aleppo: Service) -> Iterator[dict[str, Any]]:
    setup_posts(aleppo)
    secrets = {
        "reporter": aleppo.execute(
            lambda tx: create_token(tx, "test", "reporter", "phone of a citizen")
        ),
        "admin": aleppo.execute(lambda tx: create_token(tx, "test", "admin", "admin")),
    }
    with (
        running_server(aleppo) as base,
        httpx.Client(base_url=base, headers=auth(secrets["admin"].secret), timeout=10) as audit,
    ):
        yield {
            "base": base,
            "audit": audit,
            "service": aleppo,
            "reporter": secrets["reporter"],
            "spotter": spotter_at(aleppo),
        }


@pytest.fixture
def phone(new_page: Callable[..., Any]) -> Callable[..., Any]:
    return lambda: new_page(*PHONE)


def sign_in(page: Any, base: str, secret: str) -> None:
    page.goto(base + "/field/")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#f-token", secret)
    page.click("#f-login button[type=submit]")
    page.wait_for_selector("#f-who")
    # Once the worker holds the app's files, the app opens with no network at all.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def reopen_offline(page: Any, base: str, item_id: str) -> Any:
    """Close the app (its page) and open it again with the network still down."""
    context = page.context
    page.close()
    again = context.new_page()
    again.goto(base + "/field/")
    again.wait_for_selector(f"#f-items li[data-id='{item_id}'][data-state='queued']")
    assert "offline" in again.inner_text("#f-net")
    # The page came from the service worker: the network could not have given it.
    assert again.evaluate("navigator.serviceWorker.controller !== null")
    return again


def acknowledged(page: Any, item_id: str) -> int:
    row = f"#f-items li[data-id='{item_id}']"
    page.wait_for_selector(f"{row}[data-state='acknowledged'] .log-index", timeout=10000)
    return int(page.get_attribute(row, "data-log-index") or "-1")


def entries(audit: httpx.Client, event_type: str, key: str, value: str) -> list[dict[str, Any]]:
    """The log's events of a type whose `key` is `value`, as the log's reader reads them."""
    found = audit.get("/api/v1/events", params={"limit": 5000}).json()["events"]
    out = []
    for entry in found:
        document = json.loads(entry["entry"] or "{}")
        if document.get("type") == event_type and document["data"].get(key) == value:
            out.append({**document, "seq": entry["seq"]})
    return out


def send_again(page: Any, item_id: str) -> None:
    """Put an acknowledged item back in the queue, as if its answer had been lost, and let the
    app send it again; returns once the app has sent it and drawn the answer."""
    page.evaluate(
        """async (id) => {
          const store = await import('/static/field/store.js');
          const net = await import('/static/field/net.js');
          const outbox = await import('/static/field/outbox.js');
          const item = await store.load(id);
          await store.save({ ...item, state: 'queued', log_index: null });
          await net.flush(() => {});
          await outbox.drawOutbox();
        }""",
        item_id,
    )


def test_a_citizen_reports_offline_and_it_arrives_once(
    field: dict[str, Any], phone: Callable[..., Any]
) -> None:
    page = phone()
    sign_in(page, field["base"], field["reporter"].secret)
    page.wait_for_function("document.querySelectorAll('#f-zone option').length > 1")
    shot(page, "field-01-report-en")
    page.context.set_offline(True)
    page.wait_for_selector("#f-net.off")
    page.select_option("#f-kind", "collapse")
    page.select_option("#f-zone", HANANO_PCODE)
    for _ in range(3):
        page.click("button[aria-label='Trapped: more']")
    page.fill("textarea[name=text]", "Building down, people under it")
    photo = {"name": "strike.jpg", "mimeType": "image/jpeg", "buffer": media_photo()}
    page.set_input_files("input[name=photo]", files=[photo])
    page.click("#f-send")
    page.wait_for_function("document.querySelectorAll('#f-items li.queued').length === 2")
    # The report, then its photo, which goes once the report is in.
    item_id = str(page.get_attribute("#f-items li:last-child", "data-id"))
    shot(page, "field-02-report-queued-en")
    page = reopen_offline(page, field["base"], item_id)
    alert = {"zones": [HANANO_PCODE], "level": "imminent", "reason": "jets over the east"}
    assert field["audit"].post("/api/v1/alerts", json=alert).status_code == 201
    page.context.set_offline(False)
    log_index = acknowledged(page, item_id)
    page.wait_for_selector("#f-items li:first-child[data-state='acknowledged']")
    # The alert for the neighbourhood the report was sent from is read when the network returns.
    page.wait_for_selector("#f-alerts:not([hidden]) .level-imminent")
    assert "Hanano" in page.inner_text("#f-alerts")
    shot(page, "field-03-report-acknowledged-en")
    send_again(page, item_id)
    assert acknowledged(page, item_id) == log_index
    stored = entries(field["audit"], "intake.report_received", "report_id", item_id)
    assert [e["seq"] for e in stored] == [log_index]
    assert stored[0]["data"]["trapped"] == 3 and stored[0]["data"]["kind"] == "collapse"
    assert stored[0]["data"]["pcode"] == HANANO_PCODE
    photos = entries(
        field["audit"], "evidence.media_added", "sha256", digest(photo["buffer"]).hexdigest()
    )
    assert len(photos) == 1


def test_a_spotter_sights_in_three_taps_offline_and_it_arrives_once(
    field: dict[str, Any], phone: Callable[..., Any]
) -> None:
    page = phone()
    sign_in(page, field["base"], field["spotter"])
    assert "east-1" in page.inner_text("#f-who")
    page.context.set_offline(True)
    page.wait_for_selector("#f-net.off")
    page.click("[data-aircraft='helicopter']")
    shot(page, "field-04-sighting-direction-en")
    page.click("[data-dir='2']")
    page.check("#f-circling")
    shot(page, "field-04-sighting-count-en")
    page.click("[data-count='2']")
    page.wait_for_selector("#f-items li[data-state='queued']")
    item_id = str(page.get_attribute("#f-items li", "data-id"))
    page = reopen_offline(page, field["base"], item_id)
    page.context.set_offline(False)
    log_index = acknowledged(page, item_id)
    send_again(page, item_id)
    assert acknowledged(page, item_id) == log_index
    page.click("#f-lang")
    page.wait_for_selector("html[dir='rtl'] [data-aircraft='helicopter']")
    # The strip is drawn again in Arabic just after the switch: waited for, not raced.
    page.wait_for_function(
        "document.querySelector('#f-last').innerText.includes('وصل')", timeout=10_000
    )
    shot(page, "field-04-sighting-ar")
    stored = entries(field["audit"], "warning.sighting_reported", "sighting_id", item_id)
    assert [e["seq"] for e in stored] == [log_index]
    data = stored[0]["data"]
    # The bearing is sealed in the log (it would place the post); what is open is checked.
    assert (data["aircraft"], data["activity"], data["post_id"]) == (
        "helicopter",
        "circling",
        "east-1",
    )


def test_a_revoked_token_signs_the_phone_out_and_loses_nothing_it_holds(
    field: dict[str, Any], phone: Callable[..., Any]
) -> None:
    page = phone()
    reporter = field["reporter"]
    sign_in(page, field["base"], reporter.secret)
    page.wait_for_function("document.querySelectorAll('#f-zone option').length > 1")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": HANANO[0], "longitude": HANANO[1], "accuracy": 25})
    page.context.set_offline(True)
    # A position from GPS, with no network: the phone places itself in a neighbourhood it keeps.
    page.click("#f-use-gps")
    page.wait_for_function("document.querySelector('#f-gps').textContent.includes('±25')")
    assert page.evaluate("localStorage.getItem('hanano.field.here')") == HANANO_PCODE
    page.click("#f-send")
    page.wait_for_selector("#f-items li[data-state='queued']")
    item_id = str(page.get_attribute("#f-items li", "data-id"))
    service: Service = field["service"]
    service.execute(lambda tx: revoke_token(tx, "test", reporter.token_id, "phone lost"))
    page.context.set_offline(False)
    page.wait_for_selector("#f-revoked", timeout=8000)
    assert "token revoked" in page.inner_text("#f-revoked")
    assert page.evaluate("localStorage.getItem('hanano.field.token')") is None
    page.evaluate("localStorage.setItem('hanano.lang', 'ar')")
    page.reload()
    page.wait_for_selector("#f-revoked")
    assert "أُلغي الرمز" in page.inner_text("#f-revoked")
    shot(page, "field-07-revoked-ar")
    # The report waits on the phone, and goes with the next token given.
    assert page.get_attribute(f"#f-items li[data-id='{item_id}']", "data-state") == "queued"
    fresh = service.execute(lambda tx: create_token(tx, "test", "reporter", "new token"))
    page.click("#f-revoked button")
    page.fill("#f-token", fresh.secret)
    page.click("#f-login button[type=submit]")
    acknowledged(page, item_id)
    stored = entries(field["audit"], "intake.report_received", "report_id", item_id)
    assert len(stored) == 1 and stored[0]["data"]["pcode"] == HANANO_PCODE


def test_the_app_reads_in_arabic_and_english_on_a_phone_and_a_laptop(
    field: dict[str, Any], new_page: Callable[..., Any]
) -> None:
    for width, height in (PHONE, (1280, 720)):
        page = new_page(width, height)
        sign_in(page, field["base"], field["reporter"].secret)
        for lang in ("en", "ar"):
            page.evaluate(f"localStorage.setItem('hanano.lang', '{lang}')")
            page.reload()
            page.wait_for_selector("#f-report")
            assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
            # Nothing runs off the side of the screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            bad = run_axe(page)
            assert not bad, (lang, [(v["id"], v["nodes"][0]["html"]) for v in bad])
            shot(page, f"field-10-report-{lang}-{width}x{height}")


def test_a_team_leader_steps_and_checks_in_offline_then_a_pull_back_takes_over(
    field: dict[str, Any], phone: Callable[..., Any]
) -> None:
    admin: httpx.Client = field["audit"]
    team = add_team(admin, "Hanano-1", offset(*HANANO, north_m=-600))
    body = report_body(datetime.now(UTC), lat=HANANO[0], lon=HANANO[1], trapped=2)
    incident = admin.post("/api/v1/reports", json=body).json()["incident"]["id"]
    task = admin.post(
        f"/api/v1/incidents/{incident}/assign", json={"team_id": team, "reason": "nearest"}
    ).json()
    issued = admin.post(
        "/api/v1/tokens", json={"role": "team_leader", "name": "leader", "team": team}
    ).json()
    page = phone()
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": HANANO[0], "longitude": HANANO[1], "accuracy": 12})
    sign_in(page, field["base"], issued["token"])
    page.wait_for_selector("[data-step='en_route']")
    page.context.set_offline(True)
    page.wait_for_selector("#f-net.off")
    page.click("[data-step='en_route']")
    page.click("[data-step='on_scene']")
    page.click("#f-checkin")
    page.wait_for_function("document.querySelectorAll('#f-items li.queued').length === 3")
    shot(page, "field-05-leader-queued-en")
    ids = page.eval_on_selector_all("#f-items li", "rows => rows.map(r => r.dataset.id)")
    page = reopen_offline(page, field["base"], ids[0])
    page.context.set_offline(False)
    for item_id in ids:
        page.wait_for_selector(f"#f-items li[data-id='{item_id}'][data-state='acknowledged']")
    checkin = acknowledged(page, ids[0])
    # Sent again, as after a lost answer: neither the step nor the check-in is doubled.
    send_again(page, ids[1])
    send_again(page, ids[0])
    assert acknowledged(page, ids[0]) == checkin
    page.wait_for_selector(f"#f-items li[data-id='{ids[1]}'][data-state='acknowledged']")
    steps = entries(admin, "dispatch.task_transitioned", "task_id", task["id"])
    assert [e["data"]["state"] for e in steps] == ["en_route", "on_scene"]
    assert len(entries(admin, "dispatch.team_checked_in", "team_id", team)) == 1
    # A pull-back order takes over the screen until it is acknowledged.
    threat = {"lat": HANANO[0], "lon": HANANO[1], "radius_m": 400, "reason": "helicopter"}
    assert admin.post("/api/v1/threats", json=threat).status_code == 201
    page.wait_for_selector("#f-takeover:not([hidden])", timeout=10000)
    shot(page, "field-06-pullback-en")
    # Said in both languages: whoever holds the phone reads it.
    assert "PULL BACK NOW" in page.inner_text("#f-takeover h1")
    assert "انسحبوا الآن" in page.inner_text("#f-takeover h1")
    page.evaluate("localStorage.setItem('hanano.lang', 'ar')")
    page.reload()
    page.wait_for_selector("html[dir='rtl'] #f-takeover:not([hidden])", timeout=10000)
    shot(page, "field-06-pullback-ar")
    page.click("#f-pullback-ack")
    page.wait_for_selector("#f-takeover", state="hidden")
    orders = admin.get("/api/v1/pullbacks").json()["pullbacks"]
    assert [o["acknowledged_at"] is not None for o in orders if o["team_id"] == team] == [True]
    # Transport to a hospital: the step names the receiving hospital chosen on the phone.
    hospital = {"name": "Al-Razi", "lat": HANANO[0] - 0.01, "lon": HANANO[1]}
    hospital_id = admin.post("/api/v1/hospitals", json=hospital).json()["id"]
    page.click("[data-step='transporting']")
    page.click(f"[data-hospital='{hospital_id}']")
    page.wait_for_selector("[data-step='at_hospital']")
    page.wait_for_function("document.querySelector('#f-last').dataset.state === 'acknowledged'")
    steps = entries(admin, "dispatch.task_transitioned", "task_id", task["id"])
    assert (steps[-1]["data"]["state"], steps[-1]["data"]["hospital_id"]) == (
        "transporting",
        hospital_id,
    )


def plain(text: str) -> str:
    """Text without the isolates that keep a Latin worksite ID whole in an Arabic line."""
    return text.replace("\u2066", "").replace("\u2069", "")


def test_a_team_leader_records_a_worksite_and_a_victim_offline_and_each_arrives_once(
    field: dict[str, Any], phone: Callable[..., Any]
) -> None:
    admin: httpx.Client = field["audit"]
    team = add_team(admin, "Hanano-3", offset(*HANANO, north_m=-600))
    body = report_body(datetime.now(UTC), lat=HANANO[0], lon=HANANO[1], trapped=2)
    incident = admin.post("/api/v1/reports", json=body).json()["incident"]["id"]
    admin.post(f"/api/v1/incidents/{incident}/assign", json={"team_id": team, "reason": "near"})
    issued = admin.post(
        "/api/v1/tokens", json={"role": "team_leader", "name": "leader", "team": team}
    ).json()
    page = phone()
    sign_in(page, field["base"], issued["token"])
    page.wait_for_selector("#f-worksite")
    page.context.set_offline(True)
    page.wait_for_selector("#f-net.off")
    # A label not in INSARAG's form is refused on the phone, before it waits a day in the queue.
    page.fill("#f-ws-id", "east")
    page.click("#f-worksite button[type=submit]")
    assert "C-6" in page.inner_text("#f-worksite .error")
    page.fill("#f-ws-id", "c-6")
    page.select_option("#f-ws-category", "B")
    page.fill("#f-ws-note", "east stairwell, two voices")
    page.click("#f-worksite button[type=submit]")
    # The victim form offers the worksite still waiting in the outbox.
    page.wait_for_selector("#f-v-worksite option[value='C-6']", state="attached")
    page.check("#f-v-status input[value='trapped']")
    page.select_option("#f-v-worksite", "C-6")
    page.fill("#f-v-note", "a boy, about seven, answers when called")
    page.locator("#f-victim").scroll_into_view_if_needed()
    shot(page, "field-11-victim-form-en")
    page.click("#f-victim button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#f-items li.queued').length === 2")
    assert "Victim at C-6: trapped" in plain(page.inner_text("#f-items"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.locator("#f-outbox").scroll_into_view_if_needed()
    shot(page, "field-11-worksite-victim-queued-en")
    victim_id, site_id = page.eval_on_selector_all(
        "#f-items li", "rows => rows.map(r => r.dataset.id)"
    )
    page = reopen_offline(page, field["base"], site_id)
    page.wait_for_selector("#f-worksite")
    page.context.set_offline(False)
    site_index = acknowledged(page, site_id)
    victim_index = acknowledged(page, victim_id)
    assert victim_index > site_index
    # Sent again, as after a lost answer: answered as the first time, nothing doubled.
    send_again(page, site_id)
    send_again(page, victim_id)
    assert acknowledged(page, site_id) == site_index
    assert acknowledged(page, victim_id) == victim_index
    sites = admin.get(f"/api/v1/incidents/{incident}/worksites").json()["worksites"]
    assert [(s["id"], s["category"], s["note"]) for s in sites] == [
        ("C-6", "B", "east stairwell, two voices")
    ]
    victims = admin.get(f"/api/v1/incidents/{incident}/victims").json()["victims"]
    assert [(v["worksite_id"], v["status"]) for v in victims] == [("C-6", "trapped")]
    assert len(entries(admin, "dispatch.victim_recorded", "incident_id", incident)) == 1
    identity = admin.get(f"/api/v1/victims/{victims[0]['id']}/identity").json()
    assert identity["note"] == "a boy, about seven, answers when called"
    shot(page, "field-12-worksite-victim-acknowledged-en")
    page.evaluate("localStorage.setItem('hanano.lang', 'ar')")
    page.reload()
    page.wait_for_selector("html[dir='rtl'] #f-worksite")
    page.wait_for_selector(f"#f-items li[data-id='{victim_id}'][data-state='acknowledged']")
    assert "ضحية في C-6: عالق" in plain(page.inner_text("#f-items"))
    assert "سجّل موقع العمل" in page.inner_text("#f-worksite")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.locator("#f-worksite").scroll_into_view_if_needed()
    shot(page, "field-12-worksite-form-ar")
    page.locator("#f-outbox").scroll_into_view_if_needed()
    shot(page, "field-12-worksite-victim-acknowledged-ar")
