"""Pull-backs for sites at risk: a team is ordered back when its own site's probability of a
strike within the warning horizon reaches `pullback_probability`, or the lower
`pullback_watched_probability` while the site is under the double-tap watch.

Early warning projects, for every zone a live threat names, the threats' combined probability
of a strike there and the threat that gives it most; after each assessment this reads it for
the zones the assessment names. A site's probability is its neighbourhood's: the model places
strikes by neighbourhood, and a strike anywhere in one is close enough to a rescue site in it to
matter. Membership of a warned zone is not enough: a wide warning no longer moves a team. The
order says, in Arabic and in English, which site, which threat and how likely, never a list of
zones. An operator still pulls teams back by reporting a threat over a site. The order ends when
the site's probability has stayed low for a while (pullback_risk.py), and the team returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from hanano.city import tables as city_tables
from hanano.dispatch.common import DISPATCH_ACTOR, next_number
from hanano.dispatch.events import PullbackOrdered
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.tables import pullbacks, tasks, teams
from hanano.dispatch.tasks import AT_SITE
from hanano.dispatch.watch import active_watches
from hanano.intake import tables as intake_tables
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning import tables as warning_tables

AIRCRAFT = {
    "helicopter": ("a helicopter", "مروحية"),
    "fixed_wing": ("a jet", "طائرة نفاثة"),
    "drone": ("a drone", "طائرة مسيّرة"),
}
SOMETHING = ("an aircraft", "طائرة")


@dataclass(frozen=True)
class AtSite:
    task_id: str
    team_id: str
    team: str
    team_ar: str
    incident_id: str
    pcode: str
    place_en: str
    place_ar: str


def chance_words(p: float) -> tuple[str, str]:
    """A probability as people say it, in English and Arabic."""
    pct = round(100 * p)
    if p >= 0.5:
        return f"{pct} % (more likely than not)", f"{pct}٪ (أرجح من عدمه)"
    one_in = max(2, round(1 / p)) if p > 0 else 100
    return f"{pct} % (about one in {one_in})", f"{pct}٪ (نحو واحد من كل {one_in})"


def teams_at_risk_sites(conn: Connection, pcodes: list[str]) -> list[AtSite]:
    """Teams assigned to, on the way to or at a site in these zones, with no order standing."""
    i, n = intake_tables.incidents, city_tables.neighbourhoods
    standing = select(pullbacks.c.task_id).where(pullbacks.c.ended_at.is_(None))
    rows = conn.execute(
        select(
            tasks.c.task_id,
            tasks.c.team_id,
            teams.c.name,
            teams.c.name_ar,
            tasks.c.incident_id,
            i.c.pcode,
            n.c.name_en,
            n.c.name_ar.label("place_ar"),
        )
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .join(i, i.c.incident_id == tasks.c.incident_id)
        .join(n, n.c.pcode == i.c.pcode)
        .where(
            tasks.c.state.in_(AT_SITE),
            i.c.pcode.in_(pcodes),
            tasks.c.task_id.not_in(standing),
        )
        .order_by(tasks.c.number)
    ).all()
    return [AtSite(r[0], r[1], r[2], r[3] or r[2], r[4], r[5], r[6], r[7]) for r in rows]


def zone_chances(conn: Connection, pcodes: list[str]) -> dict[str, tuple[float, str, str]]:
    """Each zone's combined probability, the threat giving most and its aircraft type."""
    z, t = warning_tables.zone_state, warning_tables.tracks
    rows = conn.execute(
        select(z.c.pcode, z.c.probability, z.c.threat_id, t.c.aircraft)
        .outerjoin(t, t.c.track_id == z.c.threat_id)
        .where(z.c.pcode.in_(pcodes), z.c.probability.is_not(None))
    ).all()
    return {r.pcode: (float(r.probability), r.threat_id, r.aircraft or "unknown") for r in rows}


def order_texts(
    site: AtSite,
    threat_id: str,
    aircraft: str,
    p: float,
    limit: float,
    watched: bool,
    horizon: float,
) -> tuple[str, str]:
    what_en, what_ar = AIRCRAFT.get(aircraft, SOMETHING)
    chance_en, chance_ar = chance_words(p)
    why_en = " for a site under double-tap watch" if watched else ""
    why_ar = " لموقع تحت مراقبة الضربة المزدوجة" if watched else ""
    en = (
        f"Pull back {site.team} from {site.incident_id} in {site.place_en}: {what_en} "
        f"({threat_id}) gives this site a {chance_en} chance of a strike within {horizon:g} min, "
        f"above the {limit:.0%} limit{why_en}."
    )
    ar = (
        f"اسحبوا فريق {site.team_ar} من الموقع {site.incident_id} في {site.place_ar}: "
        f"{what_ar} ({threat_id}) تجعل احتمال ضربة على هذا الموقع خلال {horizon:g} دقيقة "
        f"{chance_ar}، فوق حد {round(100 * limit)}٪{why_ar}."
    )
    return en, ar


@HANDLERS.reacts_to("warning.threat_assessed")
def _threat_assessed(tx: Tx, event: RecordedEvent) -> None:
    named = sorted({z["pcode"] for z in event.data["zones"] if "probability" in z})
    if not named:
        return
    cfg = tx.settings
    chances = zone_chances(tx.conn, named)
    sites = teams_at_risk_sites(tx.conn, sorted(chances))
    if not sites:
        return
    watched = {w.incident_id for w in active_watches(tx.conn, tx.now(), cfg.double_tap_watch_min)}
    for site in sites:
        p, threat_id, aircraft = chances[site.pcode]
        under_watch = site.incident_id in watched
        limit = cfg.pullback_watched_probability if under_watch else cfg.pullback_probability
        if p < limit:
            continue
        en, ar = order_texts(
            site, threat_id, aircraft, p, limit, under_watch, cfg.warning_horizon_min
        )
        parts = {
            "code": "site_at_risk",
            "team_id": site.team_id,
            "incident_id": site.incident_id,
            "pcode": site.pcode,
            "threat_id": threat_id,
            "aircraft": aircraft,
            "probability": round(p, 4),
            "limit": limit,
            "watched": under_watch,
            "horizon_min": cfg.warning_horizon_min,
        }
        _order(tx, site, threat_id, p, (en, ar), parts)


def _order(
    tx: Tx, site: AtSite, threat_id: str, p: float, texts: tuple[str, str], parts: dict[str, Any]
) -> None:
    en, ar = texts
    number = next_number(tx.conn, pullbacks.c.number)
    tx.append(
        DISPATCH_ACTOR,
        PullbackOrdered(
            order_id=f"PB-{number}",
            threat_id=threat_id,
            incident_id=site.incident_id,
            team_id=site.team_id,
            task_id=site.task_id,
            reason=en,
            reason_ar=ar,
            probability=round(p, 4),
            reason_parts=parts,
        ),
    )


def scored(alert: dict[str, Any]) -> bool:
    """An engine alert raised by tracks, whose zones' probabilities the model gave: its
    pull-backs are decided here, by each site's probability, not by the alert covering the
    site. (The public alert no longer carries the probabilities: they are the threat's.)"""
    threat_ids = alert.get("threat_ids") or []
    return (
        alert.get("source") == "engine"
        and bool(threat_ids)
        and all(str(t).startswith("TRK-") for t in threat_ids)
    )


def lowered(alert: dict[str, Any]) -> bool:
    """An engine alert that brings zones down to the level a threat elsewhere still gives them
    (from imminent to warning): a step down is no reason to pull anyone back, and the live
    threat that holds the zones orders its own pull-backs by their probability."""
    return (alert.get("reason_parts") or {}).get("code") == "no_threat_above"
