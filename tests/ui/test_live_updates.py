"""A live event reads again only what it changed: a report, one incident (and the double-tap
watches a strike renews); a hospital's status, the hospitals; never every list."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hanano.clock import ManualClock
from tests.helpers import HANANO, SAKHOUR
from tests.ui.test_ops_room import add_team, log_in, report, room  # noqa: F401


def _reads(page: Any) -> list[str]:
    seen: list[str] = []
    page.on(
        "request",
        lambda r: seen.append(urlsplit(r.url).path) if "/api/v1/" in r.url else None,
    )
    return seen


def _settle(seen: list[str]) -> None:
    """Until no request has started for half a second."""
    count = -1
    while count != len(seen):
        count = len(seen)
        time.sleep(0.5)


def test_an_event_reads_again_only_what_it_changed(
    room: dict[str, Any],  # noqa: F811
    clock: ManualClock,
    new_page: Callable[..., Any],
) -> None:
    api = room["api"]
    add_team(api, "Hanano-1")
    first = report(api, clock, SAKHOUR, casualties=2)
    page = new_page()
    log_in(page, room["base"])
    page.wait_for_selector(f"#queue [data-id='{first}']")
    _settle(reads := _reads(page))
    reads.clear()
    incident = report(api, clock, HANANO, trapped=3)
    page.wait_for_selector(f"#queue [data-id='{incident}']", timeout=5000)
    _settle(reads)
    assert sorted(set(reads)) == sorted({f"/api/v1/incidents/{incident}", "/api/v1/watches"})
    reads.clear()
    created = api.post(
        "/api/v1/hospitals",
        json={
            "name": "Dar al-Shifa",
            "kind": "field_hospital",
            "lat": HANANO[0] + 0.01,
            "lon": HANANO[1],
            "status": "open",
        },
    )
    assert created.status_code == 201, created.text
    page.wait_for_selector(".hospital-mark", timeout=5000)
    _settle(reads)
    assert reads == ["/api/v1/hospitals"]
