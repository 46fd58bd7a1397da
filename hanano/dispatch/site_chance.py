"""A rescue site's own probability of a strike within the warning horizon.

Early warning gives each zone a probability; a site is a point in one. Two things put it at
risk:

- a strike somewhere in its neighbourhood that lands close to it: the zone's probability times
  the share of the zone within `site_radius_m` of the site (the model places a strike evenly in
  the zone it falls in);
- while the site is under the double-tap watch, a new sortie coming back for it: each live
  track weighs the site as `double_tap_weight` zones of the city's mean strike history, placed
  at the site, against every place its zones were weighed with (threat_model.site_chance). A
  track heading for the site, or circling over it, gives it much; one heading elsewhere, little.

Several threats combine as 1 − ∏(1 − p). The threat named is the one that gives most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, select

from hanano.settings import Settings
from hanano.warning import tables as warning_tables
from hanano.warning.threat_model import SiteModel, combine, site_chance


@dataclass(frozen=True)
class Place:
    """A rescue site: where it is, its neighbourhood and that neighbourhood's radius."""

    key: str
    lat: float
    lon: float
    pcode: str | None
    zone_radius_m: float
    watched: bool


@dataclass(frozen=True)
class Risk:
    """A site's probability from every threat, the threat giving most and its aircraft, and
    what each threat gives on its own."""

    probability: float
    threat_id: str
    aircraft: str
    by_threat: dict[str, float]


@dataclass(frozen=True)
class LiveModel:
    threat_id: str
    aircraft: str
    model: SiteModel


def live_models(conn: Connection) -> list[LiveModel]:
    """The live tracks' models, from their last assessment."""
    t, k = warning_tables.threats, warning_tables.tracks
    rows = conn.execute(
        select(t.c.threat_id, t.c.model, k.c.aircraft)
        .outerjoin(k, k.c.track_id == t.c.threat_id)
        .where(t.c.model.is_not(None))
        .order_by(t.c.threat_id)
    ).all()
    return [
        LiveModel(r.threat_id, r.aircraft or "unknown", SiteModel.from_dict(json.loads(r.model)))
        for r in rows
    ]


def zone_chances(conn: Connection, pcodes: list[str]) -> dict[str, tuple[float, str, str]]:
    """Each zone's combined probability, the threat giving most and its aircraft type."""
    z, t = warning_tables.zone_state, warning_tables.tracks
    rows = conn.execute(
        select(z.c.pcode, z.c.probability, z.c.threat_id, t.c.aircraft)
        .outerjoin(t, t.c.track_id == z.c.threat_id)
        .where(z.c.pcode.in_(pcodes), z.c.probability.is_not(None))
    ).all()
    return {r.pcode: (float(r.probability), r.threat_id, r.aircraft or "unknown") for r in rows}


def site_risks(conn: Connection, places: list[Place], cfg: Settings) -> dict[str, Risk]:
    """Each place's probability of a strike within `site_radius_m` of it within the horizon,
    and the threat that gives it most (places no threat reaches are left out)."""
    if not places:
        return {}
    pcodes = sorted({p.pcode for p in places if p.pcode})
    zones = zone_chances(conn, pcodes) if pcodes else {}
    models = live_models(conn) if any(p.watched for p in places) else []
    risks: dict[str, Risk] = {}
    for place in places:
        parts: list[tuple[float, str, str]] = []
        if place.pcode in zones:
            p, threat_id, aircraft = zones[place.pcode]
            share = min(1.0, (cfg.site_radius_m / max(place.zone_radius_m, 1.0)) ** 2)
            parts.append((p * share, threat_id, aircraft))
        if place.watched:
            parts += [
                (
                    site_chance(
                        m.model,
                        (place.lat, place.lon),
                        (cfg.site_radius_m, place.zone_radius_m),
                        cfg.double_tap_weight,
                    ),
                    m.threat_id,
                    m.aircraft,
                )
                for m in models
            ]
        parts = [part for part in parts if part[0] > 0]
        if parts:
            top = max(parts)
            by_threat: dict[str, list[float]] = {}
            for p, threat_id, _ in parts:
                by_threat.setdefault(threat_id, []).append(p)
            own = {t: combine(ps) for t, ps in by_threat.items()}
            risks[place.key] = Risk(combine([p for p, _, _ in parts]), top[1], top[2], own)
    return risks
