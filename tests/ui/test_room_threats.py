"""The threat model in the operations room, in real headless Chromium: a zone's chance of a
strike and the track behind it, a pull-back that says why in the reader's language, and the
zones and teams an operator's alert would reach, shown before it is issued. Screenshots of each
view at a phone's and a laptop's size, in English and Arabic, go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hanano.clock import ManualClock
from tests.helpers import HANANO
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_team, log_in, report, room
from tests.ui.test_safety_room import on_scene
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body

_ = room  # the fixture, used by name
FAR_PCODE = "N0221"
SIZES = ((390, 844), (1280, 720))


def shots(page: Any, name: str, focus: str | None = None) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        if focus:
            page.evaluate(
                "s => document.querySelector(s)?.scrollIntoView({ block: 'nearest' })", focus
            )
        shot(page, f"threats-{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 720})


def reach(page: Any) -> tuple[str, int]:
    out = page.locator("#alert-reach")
    return out.inner_text(), int(out.get_attribute("data-teams") or -1)


def test_zone_chances_pull_back_reasons_and_alert_reach_in_both_languages(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api, service = room["api"], room["service"]
    setup_posts(service)
    team = add_team(api, "Hanano-1")
    incident = report(api, clock, HANANO, kind="strike", trapped=1)
    on_scene(api, incident, team)
    seen = api.post("/api/v1/sightings", json=sighting_body(clock.now(), activity="circling"))
    assert seen.status_code == 201, seen.text
    chances = api.get("/api/v1/tracks").json()["zones"]
    below = next(z for z in chances if z["pcode"] == HANANO_PCODE)
    track = below["threat_id"]
    [order] = api.get("/api/v1/pullbacks").json()["pullbacks"]
    assert order["team_id"] == team and order["probability"] is not None
    percent = f"{round(100 * below['probability'])}%"

    page = new_page(1280, 720)
    log_in(page, room["base"])
    # The zone under the helicopter: its label on the map and its detail give the chance and
    # the track with its aircraft type.
    # (While the map first draws, the zones' labels are briefly built twice.)
    label = page.locator(".zone-label.level-imminent", has_text=percent)
    page.wait_for_function(
        "[...document.querySelectorAll('.zone-label.level-imminent')].length === 1"
    )
    assert track in label.inner_text() and "helicopter" in label.inner_text()
    page.locator(f"path.zone-{HANANO_PCODE}").dispatch_event("click")
    detail = page.locator("#detail-body[data-kind='zone']")
    detail.wait_for()
    assert percent in detail.inner_text() and f"{track} (helicopter)" in detail.inner_text()
    shots(page, "zone-en", "#detail-body")
    # The pull-back says why on the Safety board, in the team's row and on the incident.
    page.click("#tabs [data-tab='safety']")
    reason = page.locator(f"#pullbacks [data-id='{order['id']}'] .reason")
    assert track in reason.inner_text() and re.search(r"\d+%", reason.inner_text())
    shots(page, "safety-en", "#pullbacks")
    page.click("#tabs [data-tab='teams']")
    why = page.locator(f"tr[data-team='{team}'] .danger-chip .why")
    assert f"{round(100 * order['probability'])}% chance" in why.inner_text()
    assert track in why.inner_text()
    shots(page, "pullback-en", f"tr[data-team='{team}']")
    # Before an alert is issued: the zones chosen and the teams they reach, from the server.
    page.click("#tabs [data-tab='alerts']")
    page.wait_for_selector("#issue-alert:not([hidden])")
    assert reach(page) == ("Choose zones to see how many teams this alert reaches.", 0)
    page.select_option("#alert-zones", [FAR_PCODE])
    page.wait_for_function("document.querySelector('#alert-reach').dataset.zones === '1'")
    assert reach(page)[1] == 0
    page.select_option("#alert-zones", [FAR_PCODE, HANANO_PCODE])
    page.wait_for_function("document.querySelector('#alert-reach').dataset.zones === '2'")
    server = api.post("/api/v1/alerts/preview", json={"zones": [FAR_PCODE, HANANO_PCODE]}).json()
    text, teams = reach(page)
    assert teams == server["teams"] >= 1 and team in server["team_ids"]
    assert text.startswith("This alert names 2 zones and reaches ")
    shots(page, "reach-en", "#alert-reach")
    assert api.get("/api/v1/alerts").json()["count"] == len(seen.json()["alerts"])

    # In Arabic, with Arabic-Indic digits: the same, in the reader's language and numbers.
    page.evaluate("localStorage.setItem('hanano.digits.ar', 'arab')")
    page.keyboard.press("l")
    page.wait_for_selector("html[dir='rtl'][lang='ar']")
    page.wait_for_function(
        "document.querySelector('#alert-reach').textContent.startsWith('يشمل هذا الإنذار منطقتان')"
    )
    shots(page, "reach-ar", "#alert-reach")
    page.locator(f"path.zone-{HANANO_PCODE}").dispatch_event("click")
    detail.wait_for()
    arabic_digits = "".join("٠١٢٣٤٥٦٧٨٩"[int(c)] for c in str(round(100 * below["probability"])))
    assert arabic_digits in detail.inner_text() and f"{track} (مروحية)" in detail.inner_text()
    shots(page, "zone-ar", "#detail-body")
    page.click("#tabs [data-tab='safety']")
    reason_ar = reason.inner_text()
    assert "اسحبوا" in reason_ar and track in reason_ar and "٪" in reason_ar
    shots(page, "pullback-ar", "#pullbacks")
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{incident}']")
    note = page.locator(f"#detail-body[data-kind='incident'] .danger-note[data-team='{team}'] .why")
    note.wait_for()
    assert note.inner_text() == reason_ar
    shots(page, "incident-ar", "#detail-body .danger-note")
