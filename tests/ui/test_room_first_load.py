"""What the room's first load leaves out and draws later, in real Chromium: the queue's rows
past the first screenful come when the page is idle, and every one of them does come."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hanano.clock import ManualClock
from tests.helpers import HANANO, offset
from tests.ui import test_ops_room
from tests.ui.test_ops_room import log_in, report

room = test_ops_room.room
ROWS = "#queue .incident-row"


def test_a_long_queue_draws_every_row_and_a_selection_keeps_them(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    ids = [
        report(room["api"], clock, offset(*HANANO, north_m=250 * (n // 8), east_m=250 * (n % 8)))
        for n in range(46)
    ]
    page = new_page(1280, 720)
    log_in(page, room["base"])
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(ids)}")
    drawn = page.eval_on_selector_all(ROWS, "els => els.map((el) => el.dataset.id)")
    assert sorted(drawn) == sorted(ids)
    # Choosing an incident marks its row and redraws none: the rows are the same elements.
    page.evaluate(
        f"() => document.querySelectorAll('{ROWS}').forEach((el) => {{ el.dataset.probe = '1'; }})"
    )
    page.keyboard.press("j")
    page.wait_for_selector(f"{ROWS}.sel")
    assert page.locator(f"{ROWS}[data-probe='1']").count() == len(ids)
    assert page.locator(f"{ROWS}.sel").count() == 1
    # J past the rows drawn first reaches the last one, in view.
    for _ in range(len(ids)):
        page.keyboard.press("j")
    last = page.locator(f"{ROWS}.sel")
    assert last.get_attribute("data-id") == drawn[-1]
    box, panel = last.bounding_box(), page.locator("#queue").bounding_box()
    assert box is not None and panel is not None
    assert panel["y"] <= box["y"] <= panel["y"] + panel["height"]
