"""Pull-backs for sites at risk: a team is ordered back when its own site's probability of a
strike close to it within the warning horizon reaches `pullback_probability`, or the lower
`pullback_watched_probability` while the site is under the double-tap watch.

After each threat assessment, every site with a team assigned, on its way or on scene gets its
own probability (site_chance.py): a strike in its neighbourhood landing within `site_radius_m`
of it, and, while the site is watched, a live aircraft coming back for it. Membership of a
warned zone is not enough: a wide warning no longer moves a team, and neither does an aircraft
heading for another part of the site's neighbourhood. The order says, in Arabic and in English,
which site, which threat and how likely, never a list of zones. An operator still pulls teams
back by reporting a threat over a site. The order ends when the site's probability has stayed
low for a while (pullback_risk.py), and the team returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from hanano.city import tables as city_tables
from hanano.dispatch.common import DISPATCH_ACTOR, next_number
from hanano.dispatch.events import PullbackOrdered
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.site_chance import Place, site_risks
from hanano.dispatch.tables import pullbacks, tasks, teams
from hanano.dispatch.tasks import AT_SITE
from hanano.dispatch.watch import active_watches
from hanano.intake import tables as intake_tables
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

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
    lat: float
    lon: float
    zone_radius_m: float

    def place(self, watched: bool) -> Place:
        return Place(self.task_id, self.lat, self.lon, self.pcode, self.zone_radius_m, watched)


def chance_words(p: float) -> tuple[str, str]:
    """A probability as people say it, in English and Arabic."""
    pct = round(100 * p)
    if p >= 0.5:
        return f"{pct} % (more likely than not)", f"{pct}٪ (أرجح من عدمه)"
    one_in = max(2, round(1 / p)) if p > 0 else 100
    return f"{pct} % (about one in {one_in})", f"{pct}٪ (نحو واحد من كل {one_in})"


def teams_at_sites(conn: Connection) -> list[AtSite]:
    """Teams assigned to, on the way to or at a placed site, with no order standing."""
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
            func.coalesce(i.c.lat, n.c.centroid_lat),
            func.coalesce(i.c.lon, n.c.centroid_lon),
            n.c.radius_m,
        )
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .join(i, i.c.incident_id == tasks.c.incident_id)
        .join(n, n.c.pcode == i.c.pcode)
        .where(tasks.c.state.in_(AT_SITE), tasks.c.task_id.not_in(standing))
        .order_by(tasks.c.number)
    ).all()
    return [AtSite(*r[:3], r[3] or r[2], *r[4:]) for r in rows]


def order_texts(
    site: AtSite,
    threat_id: str,
    aircraft: str,
    p: float,
    limit: float,
    watched: bool,
    cfg: Settings,
) -> tuple[str, str]:
    what_en, what_ar = AIRCRAFT.get(aircraft, SOMETHING)
    chance_en, chance_ar = chance_words(p)
    why_en = " for a site under double-tap watch" if watched else ""
    why_ar = " لموقع تحت مراقبة الضربة المزدوجة" if watched else ""
    horizon, near = cfg.warning_horizon_min, cfg.site_radius_m
    en = (
        f"Pull back {site.team} from {site.incident_id} in {site.place_en}: {what_en} "
        f"({threat_id}) gives this site a {chance_en} chance of a strike within {near:g} m "
        f"in the next {horizon:g} min, above the {limit:.0%} limit{why_en}."
    )
    ar = (
        f"اسحبوا فريق {site.team_ar} من الموقع {site.incident_id} في {site.place_ar}: "
        f"{what_ar} ({threat_id}) تجعل احتمال ضربة على بعد {near:g} م من هذا الموقع خلال "
        f"{horizon:g} دقيقة {chance_ar}، فوق حد {round(100 * limit)}٪{why_ar}."
    )
    return en, ar


@HANDLERS.reacts_to("warning.threat_assessed")
def _threat_assessed(tx: Tx, event: RecordedEvent) -> None:
    if not event.data["zones"]:
        return
    cfg = tx.settings
    sites = teams_at_sites(tx.conn)
    if not sites:
        return
    watched = {w.incident_id for w in active_watches(tx.conn, tx.now(), cfg.double_tap_watch_min)}
    risks = site_risks(tx.conn, [s.place(s.incident_id in watched) for s in sites], cfg)
    for site in sites:
        risk = risks.get(site.task_id)
        under_watch = site.incident_id in watched
        limit = cfg.pullback_watched_probability if under_watch else cfg.pullback_probability
        if risk is None or risk.probability < limit:
            continue
        p = risk.probability
        en, ar = order_texts(site, risk.threat_id, risk.aircraft, p, limit, under_watch, cfg)
        parts = {
            "code": "site_at_risk",
            "team_id": site.team_id,
            "incident_id": site.incident_id,
            "pcode": site.pcode,
            "threat_id": risk.threat_id,
            "aircraft": risk.aircraft,
            "probability": round(p, 4),
            "limit": limit,
            "watched": under_watch,
            "horizon_min": cfg.warning_horizon_min,
            "radius_m": cfg.site_radius_m,
        }
        _order(tx, site, risk.threat_id, p, (en, ar), parts)


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
