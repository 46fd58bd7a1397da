"""Tracks' and foreign alerts' reasons in the reader's language, in real headless Chromium: on
the Arabic page a track's detail and another agency's alert read in Arabic, worded from their
parts; where the agency gave no Arabic, its words are shown and said to be in their language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hanano.clock import ManualClock
from tests.ui.conftest import shot
from tests.ui.test_ops_room import log_in, room
from tests.ui.test_room_night import latin_words
from tests.warning.common import sighting_body
from tests.warning.test_reason_languages import TWO_LANGUAGES

_ = room  # the fixture, used by name

SENDER = "watch@neighbours.example"
# Zones far from Hanano, where the sighting puts a helicopter: each foreign alert raises its own.
ARABIC_TOO = TWO_LANGUAGES.replace("N0129", "N0221")
ENGLISH_ONLY = (
    TWO_LANGUAGES.replace("raid-7", "raid-8")
    .replace("N0129", "N0160")
    .split("<info><language>ar-SY")[0]
    + "</alert>"
)


def without_sender(text: str) -> str:
    return text.replace(SENDER, " ").replace("raid-7", " ").replace("raid-8", " ")


def test_tracks_and_foreign_alerts_read_in_arabic(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    sighted = api.post("/api/v1/sightings", json=sighting_body(clock.now()))
    assert sighted.status_code == 201, sighted.text
    for document in (ARABIC_TOO, ENGLISH_ONLY):
        answer = api.post("/api/v1/alerts/foreign", json={"cap": document})
        assert answer.status_code == 201, answer.text
    track = api.get("/api/v1/tracks").json()["tracks"][0]["id"]
    page = new_page(1280, 720)
    log_in(page, room["base"])
    page.click("#lang")
    page.wait_for_selector("html[lang='ar']")
    # The track: why it threatens what it does, in Arabic, from its parts.
    page.click(f".track-mark[data-track='{track}']")
    page.wait_for_selector("#detail-body .track-reason")
    why = page.inner_text("#detail-body")
    assert "مروحية" in why and "أعلى احتمال لضربة" in why, why
    assert not latin_words(why), why
    shot(page, "reasons-ar-1280-track")
    # The map names a foreign alert's threat for what it is, not by its hashed id.
    assert "foreign:" not in page.inner_text("#map")
    assert "إنذار من جهة أخرى" in page.inner_text("#map")
    # Our alerts raised by the foreign ones: the agency's Arabic headline where it gave one.
    page.click("#tabs [data-tab='alerts']")
    page.wait_for_selector("#alerts .alert-row")
    alerts = page.inner_text("#alerts")
    assert "غارة جوية: احتموا" in alerts, repr(alerts)
    assert "Air raid: take shelter" in alerts and "باللغة" in alerts, alerts  # labelled
    arabic_only = alerts.replace("Air raid: take shelter", " ")
    assert not latin_words(without_sender(arabic_only)), latin_words(without_sender(arabic_only))
    shot(page, "reasons-ar-1280-alerts")
    # A zone says why it stands at its level: its alert's reason, in Arabic.
    page.locator("path.zone-N0221").dispatch_event("click")
    page.wait_for_selector("#detail-body .zone-reason")
    assert "غارة جوية: احتموا" in page.inner_text("#detail-body .zone-reason")
    shot(page, "reasons-ar-1280-zone")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "reasons-ar-390-alerts")
    # The same parts in English read in English: the agency's English headline, unlabelled.
    page.click("#lang")
    page.wait_for_selector("html[lang='en']")
    english = page.inner_text("#alerts")
    assert "Air raid: take shelter" in english and "غارة" not in english, english
    assert "in English" not in english
    shot(page, "reasons-en-390-alerts")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.click(f".track-mark[data-track='{track}']")
    page.wait_for_selector("#detail-body .track-reason")
    assert "highest chance of a strike" in page.inner_text("#detail-body")
    shot(page, "reasons-en-1280-track")
