"""What the demo city starts with: rescue teams at neighbourhood centres, field hospitals, the
air bases aircraft flew from and an observation post, and a dispatcher's login.

The twelve teams stand at the centres of neighbourhoods of eastern Aleppo where civil defence
centres worked in 2014, Hanano among them; the hospitals bear the names of field hospitals of
the time, placed in their neighbourhoods (at the neighbourhood's centre, not their real door).
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from hanano.access.users import create_user, hash_password
from hanano.dispatch.hospitals import register_hospital
from hanano.dispatch.teams import register_team
from hanano.service import Service
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
    city = service.city.get()
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
