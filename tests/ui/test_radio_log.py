"""The radio log in the operations room, in real headless Chromium: a key focuses the line,
what the radio said is typed as heard, the reading is shown, Enter saves it and the incident or
the team's step appears; Escape drops a line, and a line not understood says what was not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hanano.clock import ManualClock
from tests.helpers import HANANO
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_team, log_in, report, room

_ = room  # the fixture, used by name

LATIN = re.compile(r"[A-Za-z]")


def radio_line(page: Any, text: str, ok: bool = True) -> str:
    """Type a line as heard (the R key reaches the line from anywhere on the page) and return
    the reading the page shows for it."""
    if page.evaluate("document.activeElement.id") != "radio-text":
        page.keyboard.press("r")
        assert page.evaluate("document.activeElement.id") == "radio-text"
    page.keyboard.type(text)
    state = "ok" if ok else "bad"
    page.wait_for_selector(f"#radio-preview.{state}:not(:empty)")
    return str(page.inner_text("#radio-preview"))


def test_a_line_heard_is_read_shown_and_saved_on_enter(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    team = add_team(api, "Bustan-1")
    incident = report(api, clock, HANANO, kind="strike")
    task = api.post(f"/api/v1/incidents/{incident}/assign", json={"team_id": team, "reason": "x"})
    assert api.post(f"/api/v1/tasks/{task.json()['id']}/transition", json={"state": "en_route"})
    page = new_page(1280, 720)
    log_in(page, room["base"])
    # A report: what was understood is on the screen before anything is written.
    shown = radio_line(page, "strike Sakhour 4 trapped")
    assert "Report" in shown and "Al-Sakhour" in shown and "4 trapped" in shown, shown
    assert len(api.get("/api/v1/incidents").json()["incidents"]) == 1
    shot(page, "radio-en-1280-preview")
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast.show")
    assert "Saved from the radio" in page.inner_text("#toast")
    assert page.input_value("#radio-text") == ""
    incidents = api.get("/api/v1/incidents").json()["incidents"]
    (new,) = [i for i in incidents if i["id"] != incident]
    page.wait_for_selector(f"#queue [data-id='{new['id']}']")
    detail = api.get(f"/api/v1/incidents/{new['id']}").json()
    assert [(r["source"], r["trapped"]) for r in detail["reports"]] == [("radio_log", 4)]
    # A team's step, typed as heard: the team's row moves on.
    shown = radio_line(page, f"Team {team.removeprefix('T-')} on scene at Hanano")
    assert "Team step" in shown and "Bustan-1" in shown and "on scene" in shown, shown
    page.keyboard.press("Enter")
    page.click("#tabs [data-tab='teams']")
    page.wait_for_function(
        f"document.querySelector(\"#teams tr[data-team='{team}']\")?.innerText.includes('on scene')"
    )
    # A step read, then taken by someone else before Enter: the save is refused and said so.
    shown = radio_line(page, f"T-{team.removeprefix('T-')} returning")
    assert "returning" in shown, shown
    moved = api.post(f"/api/v1/tasks/{task.json()['id']}/transition", json={"state": "returning"})
    assert moved.status_code == 200, moved.text
    page.keyboard.press("Enter")
    page.wait_for_selector("#radio-preview.bad:not(:empty)")
    assert page.inner_text("#radio-preview").startswith("Failed"), page.inner_text("#radio-preview")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    # Not understood: said so, by what is missing, and Enter writes nothing.
    shown = radio_line(page, "the weather is fine", ok=False)
    assert "Not understood" in shown and "helicopter" in shown, shown
    shot(page, "radio-en-1280-not-understood")
    before = api.get("/api/v1/incidents").json()["count"]
    page.keyboard.press("Enter")
    page.wait_for_timeout(400)
    assert api.get("/api/v1/incidents").json()["count"] == before
    # Escape drops the line.
    page.keyboard.press("Escape")
    assert page.input_value("#radio-text") == ""
    assert page.inner_text("#radio-preview") == ""
    # An aircraft heard, on a phone's screen: a sighting with where it is heading.
    page.set_viewport_size({"width": 390, "height": 844})
    shown = radio_line(page, "helicopter heading north over Hanano 2")
    assert "Sighting" in shown and "helicopter" in shown and "north (0°)" in shown, shown
    shot(page, "radio-en-390-preview")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#radio-text').value === ''")


def test_the_radio_line_in_arabic_on_a_phone_shows_no_english(
    room: dict[str, Any], new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    add_team(api, "Sakhour-2", name_ar="الصاخور ٢")
    page = new_page(390, 844)
    log_in(page, room["base"])
    page.keyboard.press("l")
    page.wait_for_function("document.documentElement.lang === 'ar'")
    shown = radio_line(page, "غارة على الصاخور ٣ عالقين و٢ جرحى")
    assert "بلاغ" in shown and "الصاخور" in shown, shown
    assert not LATIN.search(shown.replace("Enter", "").replace("Esc", "")), shown
    box = page.locator("#radio-text").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "radio-ar-390-preview")
    page.keyboard.press("Enter")
    page.wait_for_selector("#toast.show")
    assert "حُفظ من اللاسلكي" in page.inner_text("#toast")
    shown = radio_line(page, "الفريق ٩ وصلنا", ok=False)
    assert "لا يوجد فريق بهذا الرقم" in shown and not LATIN.search(shown), shown
    shot(page, "radio-ar-390-not-understood")
    page.set_viewport_size({"width": 1280, "height": 720})
    shot(page, "radio-ar-1280-not-understood")


def test_a_signed_count_heard_is_shown_as_no_count_in_either_language(
    room: dict[str, Any], new_page: Callable[..., Any]
) -> None:
    page = new_page(1280, 720)
    log_in(page, room["base"])
    shown = radio_line(page, "strike Sakhour -5 trapped")
    assert "Report" in shown and "Al-Sakhour" in shown and "trapped" not in shown, shown
    assert page.inner_text("#radio-preview .radio-not-counted") == (
        "a number with a sign (−5) is not a count: left unknown"
    )
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    page.wait_for_function("document.documentElement.lang === 'ar'")
    shown = radio_line(page, "غارة على الصاخور -٥ عالقين")
    assert "ليس عدداً" in shown and not LATIN.search(shown.replace("Enter", "").replace("Esc", ""))
    # A count without a sign is shown as a count, with no such note.
    page.keyboard.press("Escape")
    shown = radio_line(page, "غارة على الصاخور ٥ عالقين")
    assert page.locator("#radio-preview .radio-not-counted").count() == 0, shown
