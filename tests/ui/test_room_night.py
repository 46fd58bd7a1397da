"""The operations room at 3 a.m., the last gaps: a check-in alarm takes over every room until a
dispatcher acknowledges it, an incident whose last team was withdrawn waits again, the room
fits a phone, and the engine's own words read in Arabic."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hanano.access.users import create_user, hash_password
from hanano.clock import ManualClock
from tests.helpers import HANANO, SAKHOUR
from tests.ui import test_ops_room
from tests.ui.conftest import shot
from tests.ui.test_ops_room import PASSWORD, add_team, log_in, report
from tests.ui.test_safety_room import on_scene

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
