"""Pull-backs that end when the risk has passed.

An order the engine gave by its site's probability (site_risk.py) ends once the threat that gave
it has brought the site below `pullback_end_probability` for `pullback_end_min` minutes, with
no threat together bringing it to the ordering limit, and the team may go back to work. The end
threshold lies below both ordering thresholds and the probability must stay below it for a
while, so an order neither ends at the first dip of an aircraft's heading nor flaps as it
turns. The order is the threat's: other aircraft airborne elsewhere, each unlikely to come for
the site, do not hold the team back once the one that moved it has gone.

An operator's order, or one a threat covering the site gave, carries no probability: it ends
only when its team is free or withdrawn (pullback_end.py).

Whether a standing order's site is below the end threshold is decided after every threat
assessment, and each crossing is an event (`PullbackRiskChanged`), so the time it has stayed
below is in the log; the tick ends the orders whose site has stayed below long enough, each by
an event with its reason in English and in Arabic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from hanano.city import tables as city_tables
from hanano.clock import isoformat, parse_iso
from hanano.dispatch.common import DISPATCH_ACTOR
from hanano.dispatch.events import PullbackEnded, PullbackRiskChanged
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.site_chance import Place, site_risks
from hanano.dispatch.site_risk import chance_words
from hanano.dispatch.tables import pullbacks, teams
from hanano.dispatch.watch import active_watches
from hanano.intake import tables as intake_tables
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx


def standing_risk_orders(conn: Connection, low_before: str | None = None) -> list[Any]:
    """The engine's standing orders (those with a probability), with their site's zone, team
    and place; with `low_before`, only those whose site has stayed low since before it."""
    i, n = intake_tables.incidents, city_tables.neighbourhoods
    query = (
        select(
            pullbacks.c.order_id,
            pullbacks.c.team_id,
            pullbacks.c.task_id,
            pullbacks.c.incident_id,
            pullbacks.c.threat_id,
            pullbacks.c.risk_low_since,
            i.c.pcode,
            teams.c.name,
            teams.c.name_ar,
            n.c.name_en.label("place_en"),
            n.c.name_ar.label("place_ar"),
            func.coalesce(i.c.lat, n.c.centroid_lat).label("lat"),
            func.coalesce(i.c.lon, n.c.centroid_lon).label("lon"),
            n.c.radius_m,
        )
        .join(teams, teams.c.team_id == pullbacks.c.team_id)
        .join(i, i.c.incident_id == pullbacks.c.incident_id)
        .outerjoin(n, n.c.pcode == i.c.pcode)
        .where(pullbacks.c.ended_at.is_(None), pullbacks.c.probability.is_not(None))
        .order_by(pullbacks.c.number)
    )
    if low_before is not None:
        query = query.where(pullbacks.c.risk_low_since <= low_before)
    return list(conn.execute(query).all())


@dataclass(frozen=True)
class Standing:
    """What an order's site faces now: from the threat that gave the order, from every threat,
    and the limit at which a team there is ordered back."""

    own: float
    combined: float
    limit: float

    def low(self, cfg: Settings) -> bool:
        """The threat that moved the team has (nearly) passed, and no other brings the site to
        the limit: the team may go back once this has held for `pullback_end_min`."""
        return self.own < cfg.pullback_end_probability and self.combined < self.limit


def site_chances(
    conn: Connection, orders: list[Any], now: datetime, cfg: Settings
) -> dict[str, Standing]:
    """What each order's site faces now (nothing where no live threat reaches it)."""
    if not orders:
        return {}
    watched = {w.incident_id for w in active_watches(conn, now, cfg.double_tap_watch_min)}
    places = {
        o.order_id: Place(o.order_id, o.lat, o.lon, o.pcode, o.radius_m, o.incident_id in watched)
        for o in orders
        if o.lat is not None and o.radius_m is not None
    }
    risks = site_risks(conn, list(places.values()), cfg)
    out = {}
    for o in orders:
        risk = risks.get(o.order_id)
        watched_now = o.order_id in places and places[o.order_id].watched
        limit = cfg.pullback_watched_probability if watched_now else cfg.pullback_probability
        if risk is None:
            out[o.order_id] = Standing(0.0, 0.0, limit)
        else:
            own = risk.by_threat.get(o.threat_id, 0.0)
            out[o.order_id] = Standing(own, risk.probability, limit)
    return out


@HANDLERS.reacts_to("warning.threat_assessed")
def _risk_moved(tx: Tx, event: RecordedEvent) -> None:
    orders = standing_risk_orders(tx.conn)
    if not orders:
        return
    chances = site_chances(tx.conn, orders, tx.now(), tx.settings)
    for order in orders:
        standing = chances[order.order_id]
        low = standing.low(tx.settings)
        if low == (order.risk_low_since is not None):
            continue
        tx.append(
            DISPATCH_ACTOR,
            PullbackRiskChanged(
                order_id=order.order_id,
                team_id=order.team_id,
                probability=round(standing.own, 4),
                low=low,
            ),
        )


def ending_texts(order: Any, p: float, cfg: Settings) -> tuple[str, str]:
    """Why an order ends as its site's risk passed, in English and Arabic."""
    limit, minutes = cfg.pullback_end_probability, cfg.pullback_end_min
    horizon = cfg.warning_horizon_min
    chance_en, chance_ar = chance_words(p) if p > 0 else ("nil", "معدوم")
    team_ar = order.name_ar or order.name
    place_en = f" in {order.place_en}" if order.place_en else ""
    place_ar = f" في {order.place_ar}" if order.place_ar else ""
    en = (
        f"{order.name} may return to {order.incident_id}{place_en}: the chance that "
        f"{order.threat_id} strikes near the site within {horizon:g} min has stayed below "
        f"{limit:.0%} for {minutes:g} min (now {chance_en}), and no other threat brings the "
        f"site to the limit; pull-back {order.order_id} no longer stands."
    )
    ar = (
        f"يمكن لفريق {team_ar} العودة إلى الموقع {order.incident_id}{place_ar}: بقي احتمال "
        f"أن تضرب {order.threat_id} قرب الموقع خلال {horizon:g} دقيقة دون "
        f"{round(100 * limit)}٪ مدة {minutes:g} دقيقة (الآن {chance_ar})، ولا يبلغ تهديد آخر "
        f"بالموقع الحد؛ لم يعد أمر الانسحاب {order.order_id} قائماً."
    )
    return en, ar


@HANDLERS.on_tick
def end_passed_pullbacks(tx: Tx) -> None:
    """End the orders whose site has stayed below the end threshold long enough."""
    cfg = tx.settings
    cutoff = isoformat(tx.now() - timedelta(minutes=cfg.pullback_end_min))
    orders = standing_risk_orders(tx.conn, low_before=cutoff)
    chances = site_chances(tx.conn, orders, tx.now(), tx.settings)
    for order in orders:
        p = chances[order.order_id].own
        en, ar = ending_texts(order, p, cfg)
        low_min = (tx.now() - parse_iso(str(order.risk_low_since))).total_seconds() / 60
        tx.append(
            DISPATCH_ACTOR,
            PullbackEnded(
                order_id=order.order_id,
                team_id=order.team_id,
                task_id=order.task_id,
                reason=en,
                reason_ar=ar,
                reason_parts={
                    "code": "risk_passed",
                    "team_id": order.team_id,
                    "task_id": order.task_id,
                    "order_id": order.order_id,
                    "incident_id": order.incident_id,
                    "pcode": order.pcode,
                    "probability": round(p, 4),
                    "limit": cfg.pullback_end_probability,
                    "low_min": round(low_min, 1),
                },
            ),
        )


@HANDLERS.projects(PullbackRiskChanged.type)
def _risk_changed(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        pullbacks.update()
        .where(pullbacks.c.order_id == event.data["order_id"])
        .values(risk_low_since=event.time if event.data["low"] else None)
    )
