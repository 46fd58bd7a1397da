"""The operations room at 3 a.m., the last gaps: a check-in alarm takes over every room until a
dispatcher acknowledges it, an incident whose last team was withdrawn waits again, the room
fits a phone, and the engine's own words read in Arabic."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from hanano.access.users import create_user, hash_password
from hanano.clock import ManualClock
from tests.helpers import HANANO, SAKHOUR, offset
from tests.ui import test_ops_room
from tests.ui.conftest import shot
from tests.ui.test_ops_room import PASSWORD, add_team, log_in, report
from tests.ui.test_safety_room import on_scene
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body

room = test_ops_room.room


def beeps(page: Any) -> int:
    """The tones the banner has played: the page counts each one on the banner."""
    return int(page.get_attribute("#safety-banner", "data-beeps") or 0)


def test_a_checkin_alarm_takes_over_every_room_until_a_dispatcher_acknowledges_it(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api, service = room["api"], room["service"]
    service.execute(
        lambda tx: create_user(tx, "test", "basel", "dispatcher", hash_password(PASSWORD))
    )
    team = add_team(api, "Hanano-1")
    incident = report(api, clock, SAKHOUR, kind="collapse", trapped=1)
    on_scene(api, incident, team)
    first, second = new_page(), new_page()
    log_in(first, room["base"])
    log_in(second, room["base"], "basel")
    title = first.title()
    for page in (first, second):
        page.click("#tabs [data-tab='teams']")  # a person's touch lets the page sound
        assert page.is_hidden("#safety-banner")
    clock.advance(timedelta(minutes=11))
    service.tick()
    for page in (first, second):
        banner = page.locator("#safety-banner")
        banner.wait_for(state="visible")
        text = banner.inner_text()
        assert "NO CHECK-IN: Hanano-1" in text and incident in text, text
        assert page.title().startswith("⚠ NO CHECK-IN: Hanano-1")
        page.wait_for_selector(f"#teams tr.danger[data-team='{team}'][data-danger='checkin']")
    # It sounds, again and again, until acknowledged.
    first.wait_for_function(
        "Number(document.querySelector('#safety-banner').dataset.beeps || 0) >= 3", timeout=7000
    )
    first.click("#tabs [data-tab='queue']")
    first.wait_for_selector(f"#queue .incident-row.danger[data-id='{incident}']")
    shot(first, "30-checkin-alarm")
    button = first.locator(f"#safety-banner .alarm-item[data-team='{team}'] button.ack")
    assert button.inner_text() == "Acknowledge"
    button.click()
    # Recorded through the server: both rooms fall quiet, and the alarm is marked, not gone.
    for page in (first, second):
        page.locator("#safety-banner").wait_for(state="hidden")
        assert page.title() == title
        page.wait_for_selector(f"#teams tr[data-team='{team}']:not(.danger)", state="attached")
    [alarm] = api.get("/api/v1/board").json()["checkin_alarms"]
    assert alarm["acknowledged_at"] and alarm["team_id"] == team
    heard = beeps(first)
    time.sleep(2.5)
    assert beeps(first) == heard
    # Still silent for another interval: a new alarm brings it all back, in both rooms.
    clock.advance(timedelta(minutes=11))
    service.tick()
    for page in (first, second):
        page.locator("#safety-banner").wait_for(state="visible")
        assert page.title().startswith("⚠ NO CHECK-IN: Hanano-1")
    first.wait_for_function(
        f"Number(document.querySelector('#safety-banner').dataset.beeps || 0) >= {heard + 2}",
        timeout=7000,
    )


def test_an_incident_whose_last_team_is_withdrawn_waits_again_in_the_queue(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    team = add_team(api, "Hanano-1")
    incident = report(api, clock, HANANO, kind="collapse", trapped=2)
    task = on_scene(api, incident, team)
    page = new_page()
    log_in(page, room["base"])
    row = f"#queue .incident-row[data-id='{incident}']"
    page.wait_for_selector(f"{row} .pill.status-responding")
    assert page.inner_text(f"{row} .wait").startswith("open ")
    withdrawn = api.post(
        f"/api/v1/tasks/{task}/transition", json={"state": "withdrawn", "reason": "road cut"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    page.wait_for_selector(f"{row} .pill.status-open")
    assert page.inner_text(f"{row} .wait").startswith("waiting ")
    assert "Hanano-1" not in page.inner_text(row)
    assert api.get(f"/api/v1/incidents/{incident}").json()["status"] == "open"


def inside(page: Any, selector: str, width: int) -> None:
    """The element is on screen across, and a tap at its centre reaches it."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
    hit = page.evaluate(
        "([s, x, y]) => { const el = document.querySelector(s);"
        " const at = document.elementFromPoint(x, y);"
        " return !!at && (el === at || el.contains(at)); }",
        [selector, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit, (selector, box)


def no_sideways_scroll(page: Any) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[1], sizes


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_room_fits_a_phone_without_sideways_scrolling(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any], lang: str
) -> None:
    api = room["api"]
    add_team(api, "Hanano-1", HANANO, name_ar="هنانو ١")
    add_team(api, "Sakhour-2", SAKHOUR)
    incident = report(api, clock, HANANO, kind="collapse", trapped=2)
    report(api, clock, SAKHOUR, casualties=3)
    page = new_page(390, 844)
    log_in(page, room["base"])
    if lang == "ar":
        page.click("#lang")
        page.wait_for_selector("html[lang='ar']")
    no_sideways_scroll(page)
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] >= 370 and box["height"] >= 260, box
    # The map's key starts closed on a phone, one line at the map's foot, and opens when asked.
    assert not page.locator("#legend").evaluate("el => el.open")
    key = page.locator("#legend").bounding_box()
    assert key is not None and key["height"] <= 40 and key["width"] <= box["width"] / 2, key
    assert page.inner_text("#legend summary") == ("مفتاح الخريطة" if lang == "ar" else "Map key")
    page.click("#legend summary")
    assert page.is_visible("#legend-body .dot")
    page.click("#legend summary")
    assert not page.is_visible("#legend-body .dot")
    for control in ("#lang", "#theme", "#help-open", "#logout"):
        inside(page, control, 390)
    shot(page, f"31-phone-{lang}")
    for tab in ("queue", "teams", "alerts", "safety", "timeline"):
        inside(page, f"#tabs [data-tab='{tab}']", 390)
        page.click(f"#tabs [data-tab='{tab}']")
        assert page.is_visible(f"[data-panel='{tab}']")
        no_sideways_scroll(page)
        panels = page.evaluate(
            "[document.querySelector('#panels').scrollWidth,"
            " document.querySelector('#panels').clientWidth]"
        )
        assert panels[0] <= panels[1], (tab, panels)
    shot(page, f"32-phone-{lang}-timeline")
    page.click("#tabs [data-tab='teams']")
    inside(page, "#teams tr[data-team] button", 390)
    shot(page, f"33-phone-{lang}-teams")
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body .recs li button.accept")
    no_sideways_scroll(page)
    inside(page, "#detail-close", 390)
    page.locator("#detail-body .recs li button.accept").first.scroll_into_view_if_needed()
    inside(page, "#detail-body .recs li button.accept", 390)
    shot(page, f"34-phone-{lang}-detail")
    page.click("#detail-body .recs li button.accept")
    page.wait_for_selector("#ask[open]")
    for part in ("#ask", "#ask-ok", "#ask-cancel"):
        inside(page, part, 390)
    ask = page.locator("#ask").bounding_box()
    assert ask is not None and ask["y"] >= 0 and ask["y"] + ask["height"] <= 844, ask
    shot(page, f"35-phone-{lang}-confirm")
    page.click("#ask-cancel")
    page.click("#detail-body .add-worksite")
    page.wait_for_selector("#ask[open]")
    inside(page, "#ask-ok", 390)
    no_sideways_scroll(page)
    shot(page, f"36-phone-{lang}-worksite")
    page.click("#ask-cancel")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_room_at_1280_keeps_the_map_beside_the_boards(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any], lang: str
) -> None:
    api = room["api"]
    add_team(api, "Hanano-1", HANANO)
    report(api, clock, HANANO, kind="collapse", trapped=2)
    page = new_page(1280, 720)
    log_in(page, room["base"])
    if lang == "ar":
        page.click("#lang")
        page.wait_for_selector("html[lang='ar']")
    no_sideways_scroll(page)
    mapped = page.locator("#map").bounding_box()
    side = page.locator("#side").bounding_box()
    assert mapped is not None and side is not None
    # Side by side, the full height under the header; the boards on the end side.
    assert abs(mapped["y"] - side["y"]) < 1 and mapped["width"] >= 700 and side["width"] >= 440
    assert mapped["y"] + mapped["height"] >= 719 and side["y"] + side["height"] >= 719
    assert (side["x"] > mapped["x"]) == (lang == "en")
    bar = page.locator("#bar").bounding_box()
    assert bar is not None and bar["height"] <= 60, bar
    # Beside a wide map the key is open.
    assert page.is_visible("#legend-body .dot")
    shot(page, f"37-desktop-{lang}")


# Identifiers a dispatcher reads as they are: incidents, teams, tasks, orders, threats, alerts,
# worksites, victims, and zone codes.
IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{1,4}-\d+|[A-Z]{1,2}\d{2,6}|[A-Z])(?![A-Za-z0-9])"
)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def latin_words(text: str) -> list[str]:
    return LATIN_WORD.findall(IDENTIFIER.sub(" ", text))


def test_the_engine_s_own_words_read_in_arabic(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api, service = room["api"], room["service"]
    setup_posts(service)
    first = add_team(api, "Hanano-1", HANANO, name_ar="هنانو ١")
    second = add_team(api, "Sakhour-2", offset(*SAKHOUR, east_m=400), name_ar="الصاخور ٢")
    add_team(api, "Sakhour-3", offset(*SAKHOUR, north_m=400), name_ar="الصاخور ٣")
    struck = report(api, clock, HANANO, kind="strike", trapped=2)
    on_scene(api, struck, first)
    leaving = on_scene(api, struck, second)
    waiting = report(api, clock, offset(*SAKHOUR, north_m=300), kind="collapse", trapped=1)
    page = new_page(1280, 900)
    log_in(page, room["base"])
    page.click("#lang")
    page.wait_for_selector("html[lang='ar']")
    # A further report joins the strike while the page is open: the engine links it.
    clock.advance(timedelta(minutes=2))
    report(api, clock, offset(*HANANO, north_m=40), kind="strike", trapped=1)
    # The early-warning engine's alerts over the site, and the pull-backs they bring; one team
    # withdrawn (its order ends), the other's order escalated.
    sighted = api.post("/api/v1/sightings", json=sighting_body(clock.now(), pcode=HANANO_PCODE))
    assert sighted.status_code == 201, sighted.text
    orders = api.get("/api/v1/pullbacks").json()["pullbacks"]
    assert {o["team_id"] for o in orders} == {first, second}, orders
    withdrawn = api.post(f"/api/v1/tasks/{leaving}/transition", json={"state": "withdrawn"})
    assert withdrawn.status_code == 200, withdrawn.text
    clock.advance(timedelta(minutes=3))
    service.tick()
    texts = {}
    page.click("#tabs [data-tab='safety']")
    page.wait_for_selector(f"#pullbacks li.pullback.done[data-team='{second}'] small[title]")
    texts["safety"] = page.inner_text("[data-panel='safety']")
    texts["order ended"] = page.get_attribute(
        f"#pullbacks li.pullback[data-team='{second}'] small[title]", "title"
    )
    page.click("#tabs [data-tab='alerts']")
    page.wait_for_selector("#alerts .alert-row")
    texts["alerts"] = page.inner_text("#alerts")
    page.click("#tabs [data-tab='timeline']")
    page.wait_for_selector("#timeline li")
    texts["timeline"] = page.inner_text("#timeline")
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{waiting}']")
    page.wait_for_selector(f"#detail-body[data-id='{waiting}'] .recs li")
    texts["recommendations"] = page.inner_text("#detail-body .recs")
    page.click(f"#queue [data-id='{struck}']")
    page.wait_for_selector(f"#detail-body[data-id='{struck}'] .reports")
    texts["incident"] = page.inner_text("#detail-body")
    texts["banner"] = page.inner_text("#safety-banner")
    shot(page, "38-engine-words-arabic")
    leaks = {part: latin_words(text) for part, text in texts.items()}
    assert not any(leaks.values()), leaks
    assert "اسحبوا فريق هنانو ١ من الموقع" in texts["safety"], texts["safety"]
    assert "ارتفعت منطقة واحدة إلى وشيك" in texts["alerts"], texts["alerts"]
    assert "سُحب الصاخور ٢" in texts["order ended"], texts["order ended"]
    # The same parts read in English as the engine wrote them.
    page.click("#lang")
    page.wait_for_selector("html[lang='en']")
    page.click("#tabs [data-tab='alerts']")
    english = page.inner_text("#alerts")
    alerts = api.get("/api/v1/alerts").json()["alerts"]
    for alert in alerts:
        reason = alert["reason"].replace("zone(s)", "zone" if alert["zones"][1:] == [] else "zones")
        assert re.sub(r"\d[\d,]*", "N", reason) in re.sub(r"\d[\d,]*", "N", english), reason
