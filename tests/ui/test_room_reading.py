"""The operations room read at 3 a.m.: Arabic throughout with one digit system, readable colours
and dialogs in both themes (checked by axe-core), and a first load that is small and cached."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hanano.clock import ManualClock
from tests.helpers import HANANO, offset
from tests.ui import test_ops_room
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_team, log_in, report
from tests.warning.common import HANANO_PCODE

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# The room with a dispatcher and an API token, as the room's other tests have it.
room = test_ops_room.room
ARABIC_INDIC = re.compile("[٠-٩]")
WESTERN = re.compile("[0-9]")


def luminance(rgb: str) -> float:
    parts = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_arabic_room_meets_no_english_and_one_digit_system(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    team = add_team(api, "Hanano-1", HANANO, name_ar="هنانو ١", sector="east")
    incident = report(api, clock, HANANO, trapped=1, source="radio_log")
    page = new_page(1280, 720)
    log_in(page, room["base"])
    page.keyboard.press("l")
    page.wait_for_selector("html[lang='ar']")
    alert = api.post(
        "/api/v1/alerts", json={"zones": [HANANO_PCODE], "level": "imminent", "reason": "jet"}
    )
    assert alert.status_code == 201, alert.text
    queue = page.inner_text("#queue")
    assert "بلاغ واحد" in queue and "1 بلاغات" not in queue
    assert "عالق واحد" in queue
    page.click("#tabs [data-tab='teams']")
    board = page.inner_text("#teams")
    assert "هنانو ١" in board and "الشرق" in board and "Hanano-1" not in board
    assert not re.search(
        r"[A-Za-z]", page.inner_text(f"#teams tr[data-team='{team}'] td:nth-child(3)")
    )
    assert page.inner_text(f".team-mark[data-team='{team}']") == "هنانو ١"
    assert "منسق عمليات" in page.inner_text("#who") and "dispatcher" not in page.inner_text("#who")
    assert "أوتشا" in page.inner_text(".leaflet-control-attribution")
    page.click("#tabs [data-tab='timeline']")
    page.wait_for_function(
        "document.querySelector('#timeline').innerText.includes('تهديد من إنذار')", timeout=6000
    )
    assert "alert" not in page.inner_text("#timeline")
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body .reports")
    reports = page.inner_text("#detail-body .reports")
    assert "سجل اللاسلكي" in reports and "radio_log" not in reports
    # Western digits by default, like the identifiers; Arabic-Indic when chosen, everywhere.
    assert not ARABIC_INDIC.search(page.inner_text("#clock") + page.inner_text("#tabs"))
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.select_option("#digits", "arab")
    page.keyboard.press("Escape")
    page.wait_for_function("/[٠-٩]/.test(document.querySelector('#n-queue').textContent)")
    for part in ("#clock", "#tabs", "#queue .when time"):
        text = page.inner_text(part)
        assert ARABIC_INDIC.search(text) and not WESTERN.search(text), (part, text)
    shot(page, "20-arabic-digits")


def run_axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_readable_in_both_themes_dialogs_fit_and_tabs_close_what_they_cover(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    add_team(api, "Hanano", HANANO)
    add_team(api, "Hanano-2", offset(*HANANO, east_m=30))
    incident = report(api, clock, HANANO, trapped=3)
    page = new_page(1280, 720)
    log_in(page, room["base"])
    page.keyboard.press("n")
    page.wait_for_function("!document.documentElement.classList.contains('dark')")
    warn = page.locator("#queue .warn").first
    colour = warn.evaluate("el => getComputedStyle(el).color")
    ground = page.locator("#side").evaluate("el => getComputedStyle(el).backgroundColor")
    assert contrast(colour, ground) >= 4.5, (colour, ground)
    # The worksite form's answer is in view without scrolling at 720 px.
    page.click(f"#queue [data-id='{incident}']")
    page.click("#detail-body .add-worksite")
    ok = page.locator("#ask-ok").bounding_box()
    assert ok["y"] + ok["height"] <= 720
    hit = page.evaluate(
        f"document.elementFromPoint({ok['x'] + ok['width'] / 2}, {ok['y'] + ok['height'] / 2})?.id"
    )
    assert hit == "ask-ok"
    shot(page, "21-worksite-form-720")
    page.click("#ask-cancel")
    # A board chosen closes the detail that lay over the boards.
    assert page.is_visible("#detail")
    page.click("#tabs [data-tab='teams']")
    assert not page.is_visible("#detail")
    # Each suggested move says the move once, and never that a zone covers itself.
    page.wait_for_selector("#coverage .move")
    for line in page.locator("#coverage .move").all_inner_texts():
        assert len(re.findall(r"Move ", line)) == 1, line
        assert not re.search(r"(\b[\w'-]+(?: [\w'-]+)*) still covered by \1 in", line), line
    for theme in ("light", "dark"):
        for lang in ("en", "ar"):
            page.evaluate(f"localStorage.setItem('hanano.theme', '{theme}')")
            page.evaluate(f"localStorage.setItem('hanano.lang', '{lang}')")
            page.reload()
            page.wait_for_selector("body[data-ready='1']")
            bad = run_axe(page)
            assert not bad, (theme, lang, [(v["id"], v["nodes"][0]["html"]) for v in bad])


def test_the_first_load_is_compressed_and_cached_by_content(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    for n in range(30):
        report(room["api"], clock, offset(*HANANO, north_m=300 * n))
    page = new_page()
    answers: list[Any] = []

    def keep(response: Any) -> None:
        answers.append(response)

    page.on("response", keep)
    log_in(page, room["base"])
    by_path = {re.sub(r"^https?://[^/]+", "", r.url): r for r in answers}
    # The lists arrive together, in the room's opening read.
    listing = by_path["/api/v1/opening"]
    assert listing.all_headers().get("content-encoding") == "gzip"
    assert by_path["/"].all_headers().get("content-encoding") == "gzip"
    statics = [p for p in by_path if p.startswith("/static/room/") or p.endswith(".css")]
    assert len(statics) > 15
    for path in statics:
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", path), path
        assert "immutable" in by_path[path].all_headers().get("cache-control", ""), path
    stream = next(r for p, r in by_path.items() if p.startswith("/api/v1/stream"))
    assert "content-encoding" not in stream.all_headers()
    # The stream is not held back by the compressor: a new report arrives at once.
    new = report(room["api"], clock, offset(*HANANO, east_m=400))
    page.wait_for_selector(f"#queue [data-id='{new}']", timeout=3000)
