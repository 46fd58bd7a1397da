"""`hanano demo`: a fresh store, the Aleppo zones, and a day of 2014 replayed through the API."""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import httpx2 as httpx
import uvicorn

from hanano.access.tokens import create_token
from hanano.city.commands import import_neighbourhoods
from hanano.clock import ScaledClock
from hanano.geo.gazetteer import aleppo_geojson
from hanano.service import Service
from hanano.settings import load_settings
from hanano.sim.demo_city import demo_login, run_crews, run_sky, seed_city, sky_plan
from hanano.sim.scenario import ScheduledReport, bombardment_day, load_impact_sites
from hanano.web.app import build_app

ACTOR = "hanano:demo"


def run_demo(host: str, port: int, speed: float, limit: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="hanano-demo-"))
    settings = load_settings(database_url=f"sqlite:///{workdir / 'hanano.db'}")
    sites = load_impact_sites()
    day_start = datetime(2014, 2, 13, 4, 0, tzinfo=UTC)
    clock = ScaledClock(day_start - timedelta(minutes=5), speed)
    service = Service(settings, clock=clock).start()
    service.execute(lambda tx: import_neighbourhoods(tx, ACTOR, aleppo_geojson()))
    dispatcher = service.execute(
        lambda tx: create_token(tx, ACTOR, "dispatcher", "demo dispatcher")
    )
    reporter = service.execute(lambda tx: create_token(tx, ACTOR, "reporter", "demo field phones"))
    teams, hospitals = seed_city(service, ACTOR)
    password = demo_login(service, ACTOR)
    city = service.city()
    names = {p: n.name_ar for p, n in city.neighbourhoods.items()}
    plan = bombardment_day(sites, names, city.locate, day=day_start.date())[:limit]

    base = f"http://{host}:{port}"
    _announce(workdir, base, password, dispatcher.secret, (teams, hospitals), len(plan), speed)
    replay = threading.Thread(
        target=_replay, args=(plan, clock, base, reporter.secret, dispatcher.secret), daemon=True
    )
    replay.start()
    actors = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {dispatcher.secret}"})
    sky = sky_plan(plan, city.locate)
    threading.Thread(target=run_sky, args=(sky, clock, actors), daemon=True).start()
    threading.Thread(target=run_crews, args=(service, clock, actors), daemon=True).start()
    click.echo(
        f"  aircraft  {len(sky)} sightings; crews report their steps; until a dispatcher logs "
        "in, the demo accepts each recommendation itself"
    )
    _serve(service, host, port)


def _announce(
    workdir: Path,
    base: str,
    password: str,
    token: str,
    city: tuple[int, int],
    reports: int,
    speed: float,
) -> None:
    """Where the demo runs and how to log in, call the API and follow the replay."""
    teams, hospitals = city
    click.echo(f"hanano demo: store in {workdir}")
    click.echo(f"  open      {base}/   (the operations room)")
    click.echo(f"  login     dispatcher / {password}")
    click.echo(f"  city      {teams} rescue teams, {hospitals} field hospitals, air bases, a post")
    click.echo(f"  API       {base}/api/v1/incidents   (docs at {base}/docs)")
    click.echo(f"  token     {token}   (role dispatcher)")
    click.echo(f"  try       curl -H 'Authorization: Bearer {token}' {base}/api/v1/incidents")
    click.echo(
        f"  replaying {reports} reports of 13 Feb 2014 at {speed:g}x "
        "(Human Rights Watch impact sites; dates are satellite windows, so the strikes "
        "of one window are spread over one day)"
    )


def _serve(service: Service, host: str, port: int) -> None:
    try:
        # As `hanano serve`: X-Forwarded-For is believed only from `trusted_proxies`.
        uvicorn.run(
            build_app(service),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
    finally:
        service.stop()


def _replay(
    plan: list[ScheduledReport], clock: ScaledClock, base: str, reporter: str, room: str
) -> None:
    # Citizens report from their phones; what a team, a spotter or a hospital says over the
    # radio the room enters, as only the room may (a reporter's token reports as a citizen).
    headers = {"Authorization": f"Bearer {reporter}"}
    by_radio = {"Authorization": f"Bearer {room}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        _wait_for_server(client)
        with click.progressbar(plan, label="replaying reports", show_pos=True) as bar:
            for item in bar:
                wait = (item.at - clock.now()).total_seconds() / clock.speed
                if wait > 0:
                    time.sleep(wait)
                for _attempt in range(5):
                    try:
                        citizen = item.body.get("source") == "citizen"
                        sender = None if citizen else by_radio
                        client.post("/api/v1/reports", json=item.body, headers=sender)
                        break
                    except httpx.TransportError:
                        time.sleep(1)


def _wait_for_server(client: httpx.Client) -> None:
    for _ in range(100):
        try:
            client.get("/api/v1/health")
            return
        except httpx.TransportError:
            time.sleep(0.1)
