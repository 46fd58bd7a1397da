"""Issue 12, items 5-7, in real Chromium: a map whose labels stay with what they name, numbers
that agree and say what they are, zones by name and a queue in an order the dispatcher chose."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hanano.clock import ManualClock
from hanano.service import Service
from tests.helpers import HANANO, SAKHOUR, offset
from tests.ui.conftest import shot
from tests.ui.test_ops_room import add_team, log_in, report, room  # noqa: F401
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body

# The labels' distance from the point each stands for, in CSS pixels, and how they cover.
LABEL_REACH_PX = 60
ZONE_LABELS = """() => [...document.querySelectorAll('#map .zone-label')]
  .filter((el) => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => { const r = el.getBoundingClientRect();
    return { text: el.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom }; })"""
# Each team label or cluster, with the point its marker stands at (the marker's top left).
TEAM_LABELS = """() => [...document.querySelectorAll('#map .team-mark, #map .team-cluster')]
  .map((el) => { const r = el.getBoundingClientRect();
    const p = el.parentElement.getBoundingClientRect();
    return { team: el.dataset.team || null,
      teams: (el.dataset.teams || '').split(' ').filter(Boolean),
      dist: Math.hypot(r.left + r.width / 2 - p.left, r.top + r.height / 2 - p.top) }; })"""
TRACK = """() => { const el = document.querySelector('#map .track-mark');
  if (!el) return null;
  const r = el.getBoundingClientRect(), m = document.querySelector('#map').getBoundingClientRect();
  const s = getComputedStyle(el);
  return { bg: s.backgroundColor, ink: s.color,
    inView: r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom }; }"""


def _rgb(css: str) -> tuple[float, float, float, float]:
    parts = [float(x) for x in re.findall(r"[\d.]+", css)]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _drag_map(page: Any, dx: int, dy: int) -> None:
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + dx * step / 10, y + dy * step / 10)
    page.mouse.up()


def test_map_labels_stay_with_their_teams_aircraft_stay_seen_and_etas_read_true(
    room: dict[str, Any],  # noqa: F811
    clock: ManualClock,
    new_page: Callable[..., Any],
) -> None:
    """Item 5: team labels within reach of their team (a cluster where many share a centre),
    an aircraft readable on an imminent zone and brought into view, ETAs that never overlap
    and never read 0–0."""
    service: Service = room["service"]
    api = room["api"]
    setup_posts(service)
    hanano_name = next(
        f["properties"]["name_en"]
        for f in api.get("/api/v1/neighbourhoods").json()["features"]
        if f["id"] == HANANO_PCODE
    )
    crowd = [add_team(api, f"South-{n:02d}", offset(*SAKHOUR, north_m=-4000)) for n in range(12)]
    trio = [add_team(api, f"Hanano-{n}", offset(*HANANO, east_m=20 * n)) for n in range(3)]
    page = new_page(1280, 720)
    log_in(page, room["base"])
    page.click(".leaflet-control-zoom-out")
    page.wait_for_timeout(400)
    # Zone names are hidden at this zoom, and so never built, measured or decluttered.
    assert page.locator("#map .zone-label").count() == 0
    labels = page.evaluate(TEAM_LABELS)
    drawn = {x["team"] for x in labels if x["team"]} | {t for x in labels for t in x["teams"]}
    assert drawn == set(crowd + trio)
    far = [x for x in labels if x["dist"] > LABEL_REACH_PX]
    assert not far, far
    cluster = next(x for x in labels if x["teams"])
    assert set(cluster["teams"]) == set(crowd)
    assert page.locator(".team-cluster").inner_text() == "12 teams"
    # The three close together are stacked, each label moved off its team tied to it by a line.
    moved = [x for x in labels if x["team"] in trio and x["dist"] > 2]
    assert moved and page.locator("path.team-leader").count() == len(moved)
    shot(page, "20-team-labels")

    # The city's centre panned out of view, a helicopter over Hanano: the zone turns imminent
    # and the aircraft is brought into view, readable on the red.
    _drag_map(page, 900, 0)
    page.wait_for_timeout(300)
    api.post("/api/v1/sightings", json=sighting_body(clock.now()))
    page.wait_for_selector(f"path.zone-{HANANO_PCODE}[data-level='imminent']", state="attached")
    page.wait_for_selector("#map .track-mark")
    # An imminent zone is named at every zoom; it alone.
    built = page.eval_on_selector_all("#map .zone-label", "els => els.map((el) => el.textContent)")
    assert len(built) == 1 and built[0].startswith(hanano_name), built
    page.wait_for_timeout(300)
    track = page.evaluate(TRACK)
    assert track["inView"], track
    imminent = _rgb("rgb(224, 32, 42)")
    assert _rgb(track["bg"])[3] == 1.0, track
    assert _contrast(_rgb(track["bg"]), imminent) >= 3, track
    assert _contrast(_rgb(track["ink"]), _rgb(track["bg"])) >= 4.5, track

    # Zoomed in to where every zone is labelled with its ETA: none covers another, none reads
    # "0–0", neither now nor once the windows have passed (the page's clock 10 min on).
    while not page.locator("#map.labels").count():
        page.click(".leaflet-control-zoom-in")
        page.wait_for_timeout(400)
    _assert_zone_labels_readable(page, "ETA")
    zones = api.get("/api/v1/neighbourhoods").json()["features"]
    assert page.locator("#map .zone-label").count() == len(zones)
    shot(page, "21-zone-etas")
    page.evaluate("() => { const real = Date.now.bind(Date); Date.now = () => real() + 600000; }")
    page.wait_for_timeout(5500)
    _assert_zone_labels_readable(page, "due now")


def _assert_zone_labels_readable(page: Any, expected: str) -> None:
    labels = page.evaluate(ZONE_LABELS)
    assert any(expected in z["text"] for z in labels), labels
    assert not [z for z in labels if re.search(r"\b0\s*–\s*0\b", z["text"])]
    pairs = [
        (a["text"], b["text"])
        for n, a in enumerate(labels)
        for b in labels[n + 1 :]
        if _overlaps(a, b)
    ]
    assert not pairs, pairs


def test_numbers_agree_and_say_what_they_are(
    room: dict[str, Any],  # noqa: F811
    clock: ManualClock,
    new_page: Callable[..., Any],
) -> None:
    """Item 6: plurals, status following the tasks, times named received or observed,
    casualties in the reports, one victim identifier, trapped victims counted, a free team's
    time the same as its recommendation's rest, a warning before clearing with people trapped."""
    api = room["api"]
    rested = add_team(api, "Hanano-1")
    earlier = report(api, clock, offset(*HANANO, east_m=900))
    task = api.post(f"/api/v1/incidents/{earlier}/assign", json={"team_id": rested, "reason": ""})
    assert task.status_code in (200, 201), task.text
    clock.advance(timedelta(minutes=40))
    for state in ("en_route", "on_scene", "returning", "available"):
        moved = api.post(f"/api/v1/tasks/{task.json()['id']}/transition", json={"state": state})
        assert moved.status_code == 200, moved.text
    clock.advance(timedelta(minutes=17))
    incident = report(api, clock, HANANO, trapped=2, casualties=3)
    sent = add_team(api, "Sakhour-2", SAKHOUR)
    assert api.post(
        f"/api/v1/incidents/{incident}/assign", json={"team_id": sent, "reason": "nearest"}
    ).status_code in (200, 201)
    victim = api.post(f"/api/v1/incidents/{incident}/victims", json={"status": "trapped"})
    assert victim.status_code == 201, victim.text
    victim_id = victim.json()["id"]

    page = new_page(1280, 720)
    log_in(page, room["base"])
    row = f"#queue [data-id='{incident}']"
    # A team is on its way: the incident is responding, and one report is "1 report".
    assert page.inner_text(f"{row} .pill") == "responding"
    assert "1 report" in page.inner_text(row) and "1 reports" not in page.inner_text(row)
    page.click(row)
    page.wait_for_selector(f"#detail-body li[data-victim='{victim_id}']")
    reports = page.inner_text("#detail-body .reports")
    assert "received" in reports and "observed" in reports and "3 casualties" in reports
    # The victim has one identifier, the one the last hour and the API use.
    assert page.inner_text(f"#detail-body li[data-victim='{victim_id}'] .mark") == victim_id
    # Two reported trapped, one recorded still trapped: both named.
    trapped = page.inner_text("#detail-body .fields")
    assert "2 reported" in trapped and "1 recorded, still trapped" in trapped
    # The free team's time in its state is its rest since its last task, as recommended.
    recs = api.get(f"/api/v1/incidents/{earlier}/recommendations").json()["recommendations"]
    assert "rested 17 min" in recs[0]["reason"]
    page.click("#tabs [data-tab='teams']")
    assert page.inner_text(f"#teams tr[data-team='{rested}'] td:nth-child(3)") == "17 min"
    # Clearing an incident with a trapped report a minute old warns first.
    page.click("#tabs [data-tab='queue']")
    page.click(row)
    page.click("#detail-body .acts button:has-text('cleared')")
    page.wait_for_selector("#ask[open]")
    warning = page.inner_text("#ask-detail")
    assert page.is_visible("#ask-detail") and "2 trapped" in warning, warning
    shot(page, "22-clear-warning")
    page.click("#ask-cancel")


def test_zones_by_name_and_the_queue_in_the_order_chosen(
    room: dict[str, Any],  # noqa: F811
    clock: ManualClock,
    new_page: Callable[..., Any],
) -> None:
    """Item 7: the last hour names zones, not codes; each incident says how long it has waited;
    the queue's order is a rule the dispatcher sees and switches."""
    service: Service = room["service"]
    api = room["api"]
    setup_posts(service)
    older = report(api, clock, offset(*SAKHOUR, east_m=300), kind="other")
    clock.advance(timedelta(minutes=25))
    newer = report(api, clock, HANANO, trapped=4)
    page = new_page(1280, 720)
    log_in(page, room["base"])
    order = page.locator("#queue-order")
    assert order.locator("option:checked").inner_text() == "Most severe first, then waiting longest"
    ids = page.eval_on_selector_all("#queue .incident-row", "els => els.map(e => e.dataset.id)")
    assert ids == [newer, older]
    assert "waiting 25 min" in page.inner_text(f"#queue [data-id='{older}']")
    order.select_option("waiting")
    page.wait_for_function(
        f"document.querySelector('#queue .incident-row').dataset.id === '{older}'"
    )
    assert order.locator("option:checked").inner_text() == "Waiting longest first"
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#queue-order").input_value() == "waiting"
    shot(page, "23-queue-order")

    # An alert over Hanano and its neighbours: the last hour reads their names, not codes.
    api.post("/api/v1/sightings", json=sighting_body(clock.now()))
    page.click("#tabs [data-tab='timeline']")
    page.wait_for_function("document.querySelector('#timeline').innerText.includes('Threat')")
    text = page.inner_text("#timeline")
    assert not re.findall(r"\b[A-Z]\d{4}\b", text), text
    assert "Hanano" in text
    shot(page, "24-timeline-names")
