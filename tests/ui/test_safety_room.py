"""Safety signals in the operations room that cannot be missed, in real headless Chromium: an
escalated pull-back takes over the page, watches show where a team is sent, sending takes two
steps, and alerts are ended by name."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hanano.clock import ManualClock
from hanano.service import Service
from tests.helpers import HANANO, SAKHOUR, offset
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_hospital, add_team, log_in, report, room
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body

_ = room  # the fixture, used by name

# Counts the tones the page makes, so a test can hear the alarm.
COUNT_TONES = """
window.__tones = 0;
const original = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  return original.call(this);
};
"""


def on_scene(api: Any, incident: str, team: str) -> str:
    sent = api.post(f"/api/v1/incidents/{incident}/assign", json={"team_id": team, "reason": "x"})
    assert sent.status_code == 201, sent.text
    task = sent.json()["id"]
    for state in ("en_route", "on_scene"):
        moved = api.post(f"/api/v1/tasks/{task}/transition", json={"state": state})
        assert moved.status_code == 200, moved.text
    return str(task)


def tones(page: Any) -> int:
    return int(page.evaluate("window.__tones"))


def test_an_escalated_pull_back_takes_over_the_page_until_acknowledged(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api, service = room["api"], room["service"]
    first = add_team(api, "Hanano-1")
    second = add_team(api, "Sakhour-2", offset(*SAKHOUR, east_m=400))
    add_hospital(api, "Dar al-Shifa", offset(*HANANO, north_m=800))
    incident = report(api, clock, HANANO, kind="strike", trapped=2)
    on_scene(api, incident, first)
    task = on_scene(api, incident, second)
    threat = api.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 500, "reason": "jet circling"},
    )
    assert threat.status_code == 201, threat.text
    page = new_page()
    page.add_init_script(COUNT_TONES)
    log_in(page, room["base"])
    title = page.title()
    page.click("#tabs [data-tab='teams']")  # a person's touch lets the page sound
    assert page.is_hidden("#safety-banner")
    clock.advance(timedelta(minutes=3))
    service.tick()
    banner = page.locator("#safety-banner")
    banner.wait_for(state="visible")
    # Both teams, each with its site named by its zone, over the whole page.
    text = banner.inner_text()
    assert f"Hanano-1 at {incident} (Hanano)" in text and "Sakhour-2" in text, text
    assert "PULL BACK NOT ACKNOWLEDGED" in text
    assert page.title().startswith("⚠ PULL BACK NOT ACKNOWLEDGED: Hanano-1")
    box = banner.bounding_box()
    assert box is not None and box["y"] == 0 and box["width"] >= 1400
    # The alarm sounds, again and again.
    page.wait_for_function("window.__tones >= 4", timeout=6000)
    assert banner.get_attribute("data-sound") == "playing"
    # The team's row, the incident in the queue and its detail say so.
    page.wait_for_selector(f"#teams tr.danger[data-team='{first}'][data-danger='escalated']")
    assert "PULL BACK" in page.inner_text(f"#teams tr[data-team='{first}']")
    page.click("#tabs [data-tab='queue']")
    page.wait_for_selector(f"#queue .incident-row.danger[data-id='{incident}']")
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body .danger-note")
    assert page.locator("#detail-body .danger-note").count() == 2
    shot(page, "20-escalated-pullback")
    # The transport dialog for that team warns before it is sent on.
    page.click("#tabs [data-tab='teams']")
    page.click(f"#teams tr[data-team='{first}'] button:has-text('transporting')")
    page.wait_for_selector("#ask[open] #ask-danger:not([hidden])")
    assert "Hanano-1" in page.inner_text("#ask-danger")
    page.click("#ask-cancel")
    # Another board, the banner stays; acknowledging one order keeps the other sounding.
    page.click("#tabs [data-tab='alerts']")
    assert banner.is_visible()
    banner.locator(f".alarm-item[data-team='{first}'] button.ack").click()
    page.wait_for_selector(f"#safety-banner .alarm-item[data-team='{first}']", state="detached")
    assert banner.is_visible() and page.title().startswith("⚠")
    # The other order ends when its team is safe: free again.
    for state in ("returning", "available"):
        moved = api.post(f"/api/v1/tasks/{task}/transition", json={"state": state})
        assert moved.status_code == 200, moved.text
    banner.wait_for(state="hidden")
    assert page.title() == title
    heard = tones(page)
    time.sleep(2.5)
    assert tones(page) == heard  # silent once nobody is in danger
    page.wait_for_selector(f"#teams tr[data-team='{second}']:not(.danger)", state="attached")
    orders = api.get("/api/v1/pullbacks").json()["pullbacks"]
    ended = next(o for o in orders if o["team_id"] == second)
    assert ended["ended_at"] and "Sakhour-2 is free again" in ended["ended_reason"]
    assert f"from {incident} in Hanano" in ended["reason"]


def test_the_incident_and_its_recommendations_show_the_double_tap_watch(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    add_team(api, "Hanano-1")
    add_team(api, "Sakhour-2", offset(*SAKHOUR, east_m=400))
    incident = report(api, clock, HANANO, kind="strike", trapped=2)
    clock.advance(timedelta(minutes=18))
    page = new_page()
    log_in(page, room["base"])
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body .recs li")
    note = page.inner_text("#detail-body .watch-note")
    assert re.search(r"Double-tap watch on this site until \d\d:\d\d · 4[12] min left", note), note
    chips = page.locator("#detail-body .recs li .watch-chip")
    assert chips.count() == page.locator("#detail-body .recs li").count() == 2
    assert re.fullmatch(r"⚠ into a watched site · 4[12] min left", chips.first.inner_text())
    shot(page, "21-watch-in-detail")
    # Arabic, too.
    page.click("#lang")
    page.wait_for_function(
        "document.querySelector('#detail-body .watch-chip').textContent.includes('المراقبة')"
    )
    # The watch's reason, in its tooltip, is Arabic too: no English word in it.
    why = page.get_attribute("#detail-body .watch-note", "title") or ""
    assert "بعد آخر بلاغ عن الضربة" in why and not re.search("[A-Za-z]", why), why
    # An incident with no watch shows none.
    quiet = report(api, clock, offset(*SAKHOUR, north_m=300), kind="collapse")
    page.click("#lang")
    page.wait_for_selector(f"#queue [data-id='{quiet}']")
    page.click(f"#queue [data-id='{quiet}']")
    page.wait_for_selector(f"#detail-body[data-id='{quiet}'] .recs li")
    assert page.locator("#detail-body .watch-note, #detail-body .watch-chip").count() == 0


def test_sending_a_team_is_chosen_then_confirmed_and_a_second_send_asks_again(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    add_team(api, "Hanano-1")
    add_team(api, "Sakhour-2", offset(*SAKHOUR, east_m=400))
    incident = report(api, clock, HANANO, kind="collapse", trapped=2)
    page = new_page()
    log_in(page, room["base"])
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body .recs li button.accept")
    page.focus("#detail-close")
    page.keyboard.press("a")
    time.sleep(1.2)
    page.keyboard.press("a")
    time.sleep(0.5)
    # Nothing is sent by the key alone: it asks, naming the team and the site.
    assert api.get("/api/v1/tasks?active=true").json()["tasks"] == []
    page.wait_for_selector("#ask[open]")
    assert page.inner_text("#ask-title") == f"Send Hanano-1 to {incident} (Hanano)?"
    assert page.inner_text("#ask-ok") == "Send Hanano-1"
    shot(page, "22-confirm-send")
    page.click("#ask-ok")
    page.wait_for_function("document.querySelector('#toast').textContent.includes('sent to')")
    assert page.inner_text("#toast") == f"Hanano-1 sent to {incident} (Hanano)."
    tasks = api.get("/api/v1/tasks?active=true").json()["tasks"]
    assert len(tasks) == 1
    # Again within a few seconds: asked again, explicitly, and Enter answers no.
    page.wait_for_selector("#detail-body .recs li[data-team] button.accept")
    page.keyboard.press("a")
    page.wait_for_selector("#ask[open] #ask-danger:not([hidden])")
    danger = page.inner_text("#ask-danger")
    assert re.fullmatch(
        rf"Hanano-1 was sent to {incident} \(Hanano\) \d+ sec ago\. Send Sakhour-2 as well\?",
        danger,
    ), danger
    assert page.inner_text("#ask-ok") == "Send Sakhour-2 too"
    shot(page, "23-second-send")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ask:not([open])", state="hidden")
    time.sleep(0.5)
    assert len(api.get("/api/v1/tasks?active=true").json()["tasks"]) == 1


def test_alerts_keep_their_order_name_their_issuer_and_are_ended_by_name(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    service: Service = room["service"]
    api = room["api"]
    setup_posts(service)
    # The operator's own alert first; then the engine's, on top of it by level.
    quiet = api.get("/api/v1/neighbourhoods").json()["features"][0]
    operator = api.post(
        "/api/v1/alerts",
        json={"zones": [quiet["id"]], "level": "watch", "reason": "radio: jets north of us"},
    )
    assert operator.status_code == 201, operator.text
    engine = api.post("/api/v1/sightings", json=sighting_body(clock.now(), pcode=HANANO_PCODE))
    assert engine.status_code == 201, engine.text
    mine = operator.json()["id"]
    alerts = api.get("/api/v1/alerts").json()["alerts"]
    imminent = next(a["alert_id"] for a in alerts if a["level"] == "imminent")
    page = new_page()
    log_in(page, room["base"])
    page.click("#tabs [data-tab='alerts']")
    row = page.locator(f"#alerts .alert-row[data-id='{mine}']")
    row.wait_for()
    theirs = page.locator(f"#alerts .alert-row[data-id='{imminent}']")
    assert "issued by operator" in row.inner_text()
    assert "issued by early-warning engine" in theirs.inner_text()
    assert "Reason: radio: jets north of us" in row.inner_text()
    assert row.locator(".zones").inner_text() == quiet["properties"]["name_en"]
    assert quiet["id"] not in row.inner_text() and HANANO_PCODE not in theirs.inner_text()
    before = page.eval_on_selector_all("#alerts .alert-row", "rows => rows.map(r => r.dataset.id)")
    # Newest first by number, whatever the level or state.
    assert before == sorted(before, key=lambda x: -int(x.split("-")[1])), before
    row.locator("input[name=reason]").fill("the jets turned back")
    row.locator("button.cancel-alert").click()
    page.wait_for_selector("#ask[open]")
    assert page.inner_text("#ask-title") == f"Cancel alert {mine}?"
    assert "issued by operator" in page.inner_text("#ask-detail")
    assert page.inner_text("#ask-ok") == f"Cancel alert {mine}"
    assert page.input_value("#ask-input") == "the jets turned back"
    shot(page, "24-cancel-by-name")
    page.click("#ask-ok")
    page.wait_for_selector(f"#alerts .alert-row.ended[data-id='{mine}'] .ending")
    ending = page.inner_text(f"#alerts .alert-row[data-id='{mine}'] .ending")
    assert re.match(r"cancelled \d\d:\d\d by AL-\d+ \(operator\)", ending), ending
    assert "the jets turned back" in ending
    # The engine's alert stands, and the rows that were there keep their order.
    assert (
        next(a for a in api.get("/api/v1/alerts").json()["alerts"] if a["alert_id"] == imminent)[
            "status"
        ]
        == "active"
    )
    after = page.eval_on_selector_all("#alerts .alert-row", "rows => rows.map(r => r.dataset.id)")
    assert [x for x in after if x in before] == before
