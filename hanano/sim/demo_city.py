"""What the demo city starts with: rescue teams at neighbourhood centres, field hospitals, the
air bases aircraft flew from and an observation post, and a dispatcher's login; and the day's
other actors: aircraft seen before some strikes, crews reporting their steps, and, while no
dispatcher is logged in, the acceptance of each recommendation.

The twelve teams stand at the centres of neighbourhoods of eastern Aleppo where civil defence
centres worked in 2014, Hanano among them; the hospitals bear the names of field hospitals of
the time, placed in their neighbourhoods (at the neighbourhood's centre, not their real door).
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx2 as httpx
from sqlalchemy import select

from hanano.access.tables import sessions
from hanano.access.users import create_user, hash_password
from hanano.clock import ScaledClock
from hanano.dispatch.hospitals import register_hospital
from hanano.dispatch.teams import register_team
from hanano.service import Service
from hanano.sim.scenario import ScheduledReport
from hanano.store.sequencer import Tx
from hanano.warning.posts import register_aleppo_bases, register_post

TEAM_ZONES = (
    "Hanano",
    "Al-Sakhour",
    "Sha'aar",
    "Tareq Ben Ziad",
    "Bab Al-Maqam",
    "Karm Al-Jabal",
    "Salah Ad-Deen",
    "Bustan Al-Qaser",
    "Kallaseh",
    "Fardos",
    "Marjeh",
    "Qadi Askar",
)
HOSPITALS = (("M10", "Al-Sakhour"), ("Al-Quds", "As-Sukkari"), ("Al-Bayan", "Sha'aar"))
SECTORS = ("north-east", "east", "south-east", "south")


def seed_city(service: Service, actor: str) -> tuple[int, int]:
    """Teams, hospitals, bases and a post for the demo; returns (teams, hospitals)."""
    city = service.city()
    by_name = {n.name_en: n for n in city.neighbourhoods.values()}
    teams = 0
    for n, zone_name in enumerate(TEAM_ZONES):
        zone = by_name.get(zone_name)
        if zone is None:
            continue
        capabilities = ["light_rescue", "medical"] + (["heavy_rescue"] if n % 3 != 2 else [])
        if n % 4 == 1:
            capabilities.append("fire")
        fields: dict[str, Any] = {
            "name": zone.name_en,
            "name_ar": zone.name_ar,
            "base_name": f"{zone.name_en} civil defence centre",
            "base_lat": zone.centroid_lat,
            "base_lon": zone.centroid_lon,
            "sector": SECTORS[n % len(SECTORS)],
            "crew": 6 + n % 3,
            "min_crew": 4,
            "capabilities": capabilities,
            "vehicle": "pickup" if n % 2 else "fire engine",
        }
        service.execute(partial(_team, actor=actor, fields=fields))
        teams += 1
    hospitals = 0
    for name, zone_name in HOSPITALS:
        zone = by_name.get(zone_name)
        if zone is None:
            continue
        hospital = {"name": name, "lat": zone.centroid_lat, "lon": zone.centroid_lon}
        service.execute(partial(_hospital, actor=actor, fields=hospital))
        hospitals += 1
    service.execute(lambda tx: register_aleppo_bases(tx, actor))
    hanano = by_name.get("Hanano")
    if hanano is not None:
        service.execute(
            lambda tx: register_post(
                tx, actor, "east-1", "Hanano roof", hanano.centroid_lat, hanano.centroid_lon
            )
        )
    return teams, hospitals


def _team(tx: Tx, *, actor: str, fields: dict[str, Any]) -> str:
    return register_team(tx, actor, **fields)


def _hospital(tx: Tx, *, actor: str, fields: dict[str, Any]) -> str:
    return register_hospital(tx, actor, kind="field_hospital", **fields)


def demo_login(service: Service, actor: str, username: str = "dispatcher") -> str:
    """A dispatcher's login for the operations room; returns its fresh random password."""
    password = secrets.token_urlsafe(9)
    hashed = hash_password(password)
    service.execute(lambda tx: create_user(tx, actor, username, "dispatcher", hashed))
    return password


# --- the day's other actors ---------------------------------------------------------------

# Minutes a crew spends in each state before it reports the next, on the demo's clock.
CREW_MINUTES = {
    "assigned": 1.0,
    "en_route": 5.0,
    "on_scene": 25.0,
    "transporting": 8.0,
    "at_hospital": 10.0,
    "returning": 8.0,
}


def sky_plan(
    plan: list[ScheduledReport], locate: Callable[[float, float], str | None], every: int = 6
) -> list[tuple[datetime, dict[str, Any]]]:
    """Sightings before some of the day's strikes: a helicopter takes off from Kuweires, then
    is seen over the neighbourhood it is about to hit, so alerts rise and later clear."""
    sightings: list[tuple[datetime, dict[str, Any]]] = []
    strikes = [r for r in plan if r.body.get("kind") == "strike" and "lat" in r.body]
    for n, item in enumerate(strikes):
        pcode = locate(item.body["lat"], item.body["lon"])
        if n % every or pcode is None:
            continue
        took_off = item.at - timedelta(minutes=9)
        over = item.at - timedelta(minutes=2)
        for at, fields in (
            (took_off, {"activity": "took_off", "base_id": "kuweires", "heading_deg": 275}),
            (over, {"activity": "over", "pcode": pcode}),
        ):
            body = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hanano-demo/{n}/{fields['activity']}")),
                "observed_at": at.isoformat(),
                "aircraft": "helicopter",
                **fields,
            }
            sightings.append((at, body))
    sightings.sort(key=lambda s: s[0])
    return sightings


def dispatcher_on_watch(service: Service) -> bool:
    """Whether a person is logged in as dispatcher now: then they decide, not the demo."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with service.engine.connect() as conn:
        found = conn.execute(
            select(sessions.c.session_hash).where(
                sessions.c.role == "dispatcher",
                sessions.c.ended_at.is_(None),
                sessions.c.expires_at > now,
            )
        ).first()
    return found is not None


def run_sky(
    sightings: list[tuple[datetime, dict[str, Any]]], clock: ScaledClock, client: httpx.Client
) -> None:
    for at, body in sightings:
        wait = (at - clock.now()).total_seconds() / clock.speed
        if wait > 0:
            time.sleep(wait)
        with contextlib.suppress(httpx.TransportError):
            client.post("/api/v1/sightings", json=body)


def run_crews(service: Service, clock: ScaledClock, client: httpx.Client) -> None:
    """The crews report each step over the radio; while no dispatcher is logged in, the demo
    accepts each new incident's top recommendation, so the day unfolds on its own."""
    while True:
        time.sleep(1.0)
        try:
            _step_crews(clock, client)
            if not dispatcher_on_watch(service):
                _accept_recommendations(client)
        except (httpx.TransportError, ValueError, KeyError):
            continue


def _step_crews(clock: ScaledClock, client: httpx.Client) -> None:
    tasks = client.get("/api/v1/tasks", params={"active": "true"}).json()["tasks"]
    hospitals = [
        h["id"]
        for h in client.get("/api/v1/hospitals").json()["hospitals"]
        if h["status"] == "open"
    ]
    now = clock.now()
    for task in tasks:
        since = datetime.fromisoformat(task["times"][task["state"]].replace("Z", "+00:00"))
        if (now - since).total_seconds() < 60 * CREW_MINUTES.get(task["state"], 1e9):
            continue
        body: dict[str, Any] = {"state": _next_state(task, hospitals)}
        if body["state"] == "transporting":
            body["hospital_id"] = hospitals[0]
        client.post(f"/api/v1/tasks/{task['id']}/transition", json=body)
        if body["state"] in ("transporting", "returning") and task["state"] == "on_scene":
            # The crew leaves a site it has searched: the team leader declares it cleared.
            client.post(
                f"/api/v1/incidents/{task['incident_id']}/status",
                json={"status": "cleared", "reason": "site searched; crew leaving"},
            )


def _next_state(task: dict[str, Any], hospitals: list[str]) -> str:
    state = task["state"]
    if state == "on_scene":
        # About half the sites have someone to carry to hospital.
        wounded = int(task["id"].split("-")[-1]) % 2 == 0
        return "transporting" if wounded and hospitals else "returning"
    return {
        "assigned": "en_route",
        "en_route": "on_scene",
        "transporting": "at_hospital",
        "at_hospital": "returning",
        "returning": "available",
    }[state]


def _accept_recommendations(client: httpx.Client) -> None:
    waiting = client.get("/api/v1/incidents", params={"status": "open"}).json()["incidents"]
    busy = {t["incident_id"] for t in client.get("/api/v1/tasks").json()["tasks"]}
    for incident in waiting:
        if incident["id"] in busy:
            continue
        recs = client.get(f"/api/v1/incidents/{incident['id']}/recommendations").json()
        if recs.get("recommendations"):
            top = recs["recommendations"][0]
            client.post(
                f"/api/v1/incidents/{incident['id']}/assign", json={"team_id": top["team_id"]}
            )
