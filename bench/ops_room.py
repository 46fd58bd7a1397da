"""Operations room benchmark: first load (bytes over the wire) and time to interactive in headless
Chromium, with 1,000 incidents and 50 teams on the map.

It fills a fresh SQLite store (Aleppo's zones, 1,000 incidents spread over the city at least
300 m apart so none link, 50 teams with half of them on a task), serves it with uvicorn on
127.0.0.1, logs in, then opens `/` in a fresh browser context (empty cache) and measures:

- first_load_kb: the bytes Chromium received for every request of the load (encoded, as on the
  wire, headers included), the live stream's opening excepted since it never ends;
- interactive_ms: from navigation start to the moment the page has every list loaded and drawn
  (the map's zones, incidents and teams, the queue and boards) and answers input; the page marks
  that moment with `data-ready` on its body;
- throttled_ms: the same, over a link Chromium emulates (Network.emulateNetworkConditions over
  CDP) at 1 Mbit/s each way with 300 ms round trips, as from a field post on a poor link.

    .venv/bin/python bench/ops_room.py [--incidents 1000] [--teams 50] [--runs 5]

The last line printed is machine-readable, with the median of the runs:
    first_load_kb=N interactive_ms=N throttled_ms=N

Targets: at most 600 KB, interactive within 1 s locally and within 4 s throttled.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hanano.access.tokens import Principal  # noqa: E402
from hanano.access.users import create_user, hash_password  # noqa: E402
from hanano.city.commands import import_neighbourhoods  # noqa: E402
from hanano.clock import ManualClock  # noqa: E402
from hanano.dispatch.recommend import assign  # noqa: E402
from hanano.dispatch.teams import register_team  # noqa: E402
from hanano.domain import finish  # noqa: E402
from hanano.geo.gazetteer import aleppo_geojson  # noqa: E402
from hanano.intake.api import submit_report  # noqa: E402
from hanano.intake.model import ReportIn  # noqa: E402
from hanano.service import Service  # noqa: E402
from hanano.settings import load_settings  # noqa: E402
from hanano.store.sequencer import Tx  # noqa: E402
from hanano.web.app import build_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "benchmark passphrase"
BENCH = Principal("bench", "dispatcher")
# 1 Mbit/s each way, 300 ms from a request's start to its answer's first byte.
SLOW_LINK = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 1_000_000 / 8,
    "uploadThroughput": 1_000_000 / 8,
}
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LAT_RANGE = (36.165, 36.245)
LON_RANGE = (37.105, 37.215)
LAT_STEP = 0.0019  # 211 m
LON_STEP = 0.0024  # 215 m at Aleppo's latitude


def grid(count: int, service: Service) -> list[tuple[float, float]]:
    """`count` points inside the city's zones, on a grid wide enough (over 200 m between
    neighbours, where linking looks 150 m around) that none link."""
    city = service.city()
    points = []
    for i in range(int((LAT_RANGE[1] - LAT_RANGE[0]) / LAT_STEP) + 1):
        for j in range(int((LON_RANGE[1] - LON_RANGE[0]) / LON_STEP) + 1):
            lat = LAT_RANGE[0] + i * LAT_STEP
            lon = LON_RANGE[0] + j * LON_STEP
            if city.locate(lat, lon) is not None:
                points.append((lat, lon))
    step = max(1, len(points) // count)
    chosen = points[::step][:count]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} grid points fall inside the city")
    return chosen


def fill(service: Service, incidents: int, teams: int) -> None:
    service.execute(lambda tx: import_neighbourhoods(tx, "bench", aleppo_geojson()))
    hashed = hash_password(PASSWORD)
    service.execute(lambda tx: create_user(tx, "bench", "bench", "dispatcher", hashed))
    now = service.clock.now()
    ids = []
    for n, (lat, lon) in enumerate(grid(incidents, service)):
        report = ReportIn.model_validate_json(
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "kind": ("strike", "collapse", "fire", "trapped")[n % 4],
                    "observed_at": (now - timedelta(minutes=n % 50)).isoformat(),
                    "source": "citizen",
                    "lat": lat,
                    "lon": lon,
                    "accuracy_m": 20.0,
                    "trapped": n % 6 or None,
                    "casualties": n % 5 or None,
                    "text": "Strike near the market, building down",
                }
            )
        )
        result = finish(submit_report(service, BENCH, report))
        ids.append(result.incident_id)
    if len(set(ids)) != incidents:
        raise SystemExit(f"{incidents} reports made only {len(set(ids))} incidents")
    points = grid(teams, service)
    for n, (lat, lon) in enumerate(points):
        team_id = service.execute(
            lambda tx, k=n, at=(lat, lon): register_team(
                tx,
                "bench",
                name=f"Team {k + 1:02d}",
                base_name=f"Centre {k + 1}",
                base_lat=at[0],
                base_lon=at[1],
                sector="A",
                crew=6,
                min_crew=4,
                capabilities=["light_rescue", "heavy_rescue", "medical"],
                vehicle="pickup",
            )
        )
        if n % 2 == 0:
            service.execute(lambda tx, t=team_id, i=ids[n]: _assign(tx, service, i, t))


def _assign(tx: Tx, service: Service, incident_id: str, team_id: str) -> Any:
    return assign(tx, "bench", incident_id, team_id, "benchmark")


@contextmanager
def serve(service: Service) -> Iterator[str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(service), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def offline(route: Any) -> None:
    from urllib.parse import urlsplit

    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def measure(browser: Any, base: str, slow: bool = False) -> tuple[float, float, int, int]:
    """One cold load: (kilobytes, milliseconds to interactive, incidents drawn, teams drawn),
    over the emulated slow link when `slow`."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route("**/*", offline)
    page = context.new_page()
    # Log in first, as the dispatcher did at the start of the shift; then the cold load.
    login = page.request.get(base + "/api/v1/session").json()
    page.request.post(
        base + "/api/v1/session",
        data={"username": "bench", "password": PASSWORD},
        headers={"X-CSRF-Token": login["csrf"]},
    )
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if slow:
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    started = time.perf_counter()
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    # Interactive: a click on the queue opens the incident's detail.
    page.click("#queue .incident-row")
    page.wait_for_selector("#detail-body[data-kind='incident']")
    elapsed_ms = (time.perf_counter() - started) * 1000
    drawn = page.eval_on_selector_all("path.incident", "els => els.length")
    teams = page.eval_on_selector_all(".team-mark", "els => els.length")
    total = sum(size for rid, size in sizes.items() if not urls.get(rid, "").endswith("/stream"))
    context.close()
    return total / 1024, elapsed_ms, drawn, teams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="hanano-bench-ops-"))
    os.environ.setdefault("HANANO_LOG_KEY_FILE", str(workdir / "log.key"))
    settings = load_settings(database_url=f"sqlite:///{workdir / 'hanano.db'}")
    service = Service(settings, clock=ManualClock(START)).start()
    began = time.perf_counter()
    fill(service, args.incidents, args.teams)
    took = time.perf_counter() - began
    print(f"filled {args.incidents} incidents, {args.teams} teams in {took:.1f} s")
    print(f"machine: {platform.node()} nproc={os.cpu_count()} load={os.getloadavg()[0]:.2f}")
    results = []
    throttled: list[float] = []
    with serve(service) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        measure(browser, base)  # warm the server's caches and the browser's process
        for run in range(args.runs):
            kb, ms, drawn, teams = measure(browser, base)
            results.append((kb, ms))
            print(
                f"run {run + 1}: {kb:.0f} KB, interactive in {ms:.0f} ms "
                f"({drawn} incidents, {teams} teams drawn)"
            )
        for run in range(max(1, args.runs // 2)):
            kb, ms, drawn, teams = measure(browser, base, slow=True)
            throttled.append(ms)
            print(f"throttled run {run + 1}: {kb:.0f} KB, interactive in {ms:.0f} ms")
        browser.close()
    service.stop()
    kb = statistics.median(r[0] for r in results)
    ms = statistics.median(r[1] for r in results)
    worst = max(r[1] for r in results)
    print(f"median {kb:.0f} KB, {ms:.0f} ms (slowest {worst:.0f} ms) over {len(results)} runs")
    slow = statistics.median(throttled)
    print(f"throttled (1 Mbit/s, 300 ms round trip): median {slow:.0f} ms")
    print(f"first_load_kb={math.ceil(kb)} interactive_ms={round(ms)} throttled_ms={round(slow)}")


if __name__ == "__main__":
    main()
