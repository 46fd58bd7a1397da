"""Which team to send: ranked by travel time, run card fit, fatigue and sector coverage, each
with its reason in words; and for several waiting incidents, the set of assignments that
minimises priority-weighted travel time, beside what nearest-first would have done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import Connection, Row, select

from hanano.dispatch.candidates import Candidate, candidates
from hanano.dispatch.common import CAPABILITY_WORDS, LIVE_INCIDENT
from hanano.dispatch.events import RecommendationAccepted, RecommendationOverridden
from hanano.dispatch.handlers import HANDLERS
from hanano.dispatch.road_routing import router_for
from hanano.dispatch.tables import decisions, tasks, teams
from hanano.dispatch.tasks import ACTIVE, assign_task, incident_row
from hanano.dispatch.travel import Router
from hanano.errors import invalid
from hanano.intake import tables as intake_tables
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

# Run cards: what an incident of a kind needs, and how many teams by severity (1-5).
RUN_CARDS: dict[str, tuple[str, ...]] = {
    "strike": ("heavy_rescue", "medical"),
    "collapse": ("heavy_rescue", "medical"),
    "trapped": ("heavy_rescue", "medical"),
    "fire": ("fire", "medical"),
    "casualties": ("medical",),
    "blocked_road": ("light_rescue",),
    "other": ("light_rescue",),
}
TEAMS_BY_SEVERITY = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
CAPABILITY_MISS_S = 600.0  # a team without a needed capability ranks as if 10 min farther
COVERAGE_MARGIN_S = 120.0  # "almost as close": within 2 min
TIRED_AFTER_H = 12.0
FATIGUE_S_PER_H = 60.0  # each hour on duty past the limit counts as a minute farther
UNSERVED_S = 3 * 3600.0  # an incident left without a team costs as if 3 h away
# At least this many teams are ranked exactly, by their exact travel times, ahead of the rest.
SHORTLIST = 3


def needs(kind: str, severity: int) -> tuple[tuple[str, ...], int]:
    caps = RUN_CARDS.get(kind, RUN_CARDS["other"])
    if kind == "strike" and severity <= 2:
        caps = ("light_rescue", "medical")
    return caps, TEAMS_BY_SEVERITY.get(severity, 1)


def recommend(
    conn: Connection, incident_id: str, router: Router, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Rank the free teams for one incident, each with its reason; say why when none fits."""
    incident = incident_row(conn, incident_id)
    caps, wanted = needs(incident.kind, incident.severity)
    active = conn.execute(
        select(tasks.c.team_id, teams.c.capabilities)
        .join(teams, teams.c.team_id == tasks.c.team_id)
        .where(tasks.c.incident_id == incident_id, tasks.c.state.in_(ACTIVE))
    ).all()
    covered = {c for row in active for c in row.capabilities.split(",")}
    missing = [c for c in caps if c not in covered]
    more = max(0, wanted - len(active))
    result: dict[str, Any] = {
        "incident_id": incident_id,
        "needs": {
            "capabilities": list(caps),
            "teams": wanted,
            "assigned": len(active),
            "missing_capabilities": missing,
        },
        "recommendations": [],
        "excluded": [],
    }
    if incident.status not in LIVE_INCIDENT or incident.merged_into:
        result["summary"] = f"{incident_id} is {incident.status}; no team is needed"
        result["summary_parts"] = [
            {"code": "not_needed", "incident_id": incident_id, "status": incident.status}
        ]
        return result
    if incident.lat is None:
        result["summary"] = f"{incident_id} has no known place, so no travel time can be given"
        result["summary_parts"] = [{"code": "no_place", "incident_id": incident_id}]
        return result
    free, excluded = candidates(conn, now, settings)
    result["excluded"] = excluded
    ranked = rank(free, (incident.lat, incident.lon), missing, router, max(SHORTLIST, more))
    result["recommendations"] = [c.view() for c in ranked]
    result.update(_summary(incident_id, ranked, excluded, more, wanted))
    return result


def _summary(
    incident_id: str,
    ranked: list[Candidate],
    excluded: list[dict[str, Any]],
    more: int,
    wanted: int,
) -> dict[str, Any]:
    """What to do, in a sentence and in parts: send the best team, or why no team fits."""
    if not ranked:
        why = "; ".join(e["reason"] for e in excluded) or "no teams are registered"
        return {
            "summary": f"No team available for {incident_id}: {why}",
            "summary_parts": [
                {"code": "no_team_available", "incident_id": incident_id},
                *(
                    [{k: v for k, v in e.items() if k != "reason"} for e in excluded]
                    or [{"code": "no_teams_registered"}]
                ),
            ],
        }
    if more == 0:
        return {
            "summary": (
                f"{incident_id} already has the {wanted} team(s) its run card asks for; "
                f"best extra: {ranked[0].reason()}"
            ),
            "summary_parts": [
                {"code": "enough_teams", "incident_id": incident_id, "teams": wanted},
                {"code": "best_extra", "team_id": ranked[0].team_id, "team": ranked[0].name},
                *ranked[0].reason_parts(),
            ],
        }
    return {
        "summary": f"Send {ranked[0].reason()}",
        "summary_parts": [
            {"code": "send", "team_id": ranked[0].team_id, "team": ranked[0].name},
            *ranked[0].reason_parts(),
        ],
    }


def rank(
    free: list[Candidate],
    site: tuple[float, float],
    missing: Sequence[str],
    router: Router,
    enough: int = SHORTLIST,
) -> list[Candidate]:
    """Free teams best first. At least `enough` of them (all, if fewer) are placed exactly; the
    router may give the others lower bounds on their travel time, marked as such."""
    if not free:
        return []
    for cand in free:
        _judge(cand, missing)
    # What each team's score may add to its travel time, coverage included where it could
    # apply, so that the router knows how far to search for `enough` teams to be placed.
    sizes: dict[str, int] = {}
    for cand in free:
        sizes[cand.sector] = sizes.get(cand.sector, 0) + 1
    penalties = [c.score + (COVERAGE_MARGIN_S if sizes[c.sector] == 1 else 0.0) for c in free]
    legs = router.legs_to(
        site[0], site[1], [c.origin for c in free], penalties=penalties, enough=enough
    )
    for cand, leg in zip(free, legs, strict=True):
        cand.leg = leg
        cand.score += leg.seconds
    _coverage(free)
    return sorted(free, key=lambda c: (c.score, c.name))


def _judge(cand: Candidate, missing: Sequence[str]) -> None:
    """Score and note what counts for or against a team apart from its travel time."""
    cand.notes = []
    cand.parts = []
    cand.score = 0.0
    usable = set(cand.capabilities)
    if "heavy_rescue" in usable and cand.crew_short:
        usable.discard("heavy_rescue")
        cand.note(
            f"not for heavy rescue: {cand.crew_words}",
            "crew_short",
            crew=cand.crew,
            min_crew=cand.min_crew,
        )
    matched = [c for c in missing if c in usable]
    lacking = [c for c in missing if c not in usable]
    if matched:
        words = " + ".join(CAPABILITY_WORDS[c] for c in matched)
        cand.note(words, "matches", capabilities=matched)
    elif not missing:
        offered = sorted(usable)
        words = ", ".join(CAPABILITY_WORDS[c] for c in offered)
        cand.note(words or "no capability", "offers", capabilities=offered)
    # The run card lists the capability that matters most first; lacking it costs time.
    if missing and missing[0] not in usable:
        cand.score += CAPABILITY_MISS_S
        words = " or ".join(CAPABILITY_WORDS[c] for c in lacking)
        cand.note(f"lacks {words}", "lacks", capabilities=lacking)
    if cand.duty_hours > TIRED_AFTER_H:
        cand.score += (cand.duty_hours - TIRED_AFTER_H) * FATIGUE_S_PER_H
        hours = round(cand.duty_hours)
        cand.note(f"tired: on duty {hours} h", "tired", duty_hours=hours)
    elif cand.rested_min is not None:
        value, unit = _duration(cand.rested_min)
        cand.note(f"rested {value} {unit}", "rested", value=value, unit=unit)
    else:
        value, unit = _duration(cand.duty_hours * 60)
        cand.note(f"on duty {value} {unit}, no task yet", "no_task_yet", value=value, unit=unit)


def _coverage(free: list[Candidate]) -> None:
    """Keep a sector's last free team at home when another team is almost as close."""
    by_sector: dict[str, list[Candidate]] = {}
    for cand in free:
        by_sector.setdefault(cand.sector, []).append(cand)
    for cand in free:
        if len(by_sector[cand.sector]) > 1 or cand.leg is None or cand.leg.at_least:
            continue
        # A team beyond the router's search is not counted as a rival: its time is unknown.
        # That matters only for teams ranked after the exact shortlist.
        rivals = [
            o
            for o in free
            if o is not cand
            and o.leg is not None
            and not o.leg.at_least
            and o.leg.seconds - cand.leg.seconds <= COVERAGE_MARGIN_S
        ]
        if rivals:
            cand.score += COVERAGE_MARGIN_S
            cand.note(
                f"last free team in sector {cand.sector}; {rivals[0].name} is almost as close",
                "last_in_sector",
                sector=cand.sector,
                rival=rivals[0].name,
                rival_team_id=rivals[0].team_id,
            )


def _duration(minutes: float) -> tuple[int, str]:
    return (round(minutes), "min") if minutes < 90 else (round(minutes / 60), "h")


# --- accepting or overriding --------------------------------------------------------------


def assign(tx: Tx, actor: str, incident_id: str, team_id: str, reason: str) -> tuple[str, str]:
    """Assign a team: following the top recommendation is an acceptance, anything else an
    override that needs a reason. Returns the task id and the decision."""
    router = router_for(tx.conn, tx.settings)
    advice = recommend(tx.conn, incident_id, router, tx.now(), tx.settings)
    top = advice["recommendations"][0] if advice["recommendations"] else None
    if top is not None and top["team_id"] == team_id:
        tx.append(
            actor,
            RecommendationAccepted(
                incident_id=incident_id, team_id=team_id, recommendation=top["reason"]
            ),
        )
        decision = "accepted"
    else:
        if not reason.strip():
            best = top["reason"] if top else advice.get("summary", "no recommendation")
            raise invalid("reason", f"overriding the recommendation needs a reason (it was {best})")
        tx.append(
            actor,
            RecommendationOverridden(
                incident_id=incident_id,
                team_id=team_id,
                recommended_team_id=top["team_id"] if top else None,
                recommendation=top["reason"] if top else advice.get("summary", ""),
                reason=reason.strip(),
            ),
        )
        decision = "overridden"
    why = reason.strip() or (top["reason"] if top else "assigned")
    task_id = assign_task(tx, actor, incident_id, team_id, why)
    return task_id, decision


@HANDLERS.projects(RecommendationAccepted.type)
def _accepted(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        decisions.insert().values(
            seq=event.seq,
            incident_id=d["incident_id"],
            team_id=d["team_id"],
            recommended_team_id=d["team_id"],
            decision="accepted",
            reason=d["recommendation"],
            time=event.time,
        )
    )


@HANDLERS.projects(RecommendationOverridden.type)
def _overridden(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        decisions.insert().values(
            seq=event.seq,
            incident_id=d["incident_id"],
            team_id=d["team_id"],
            recommended_team_id=d["recommended_team_id"],
            decision="overridden",
            reason=d["reason"],
            time=event.time,
        )
    )


# --- several incidents at once ------------------------------------------------------------


def optimal_assignment(cost: np.ndarray, weights: np.ndarray) -> list[int | None]:
    """For each incident (column), the team (row) minimising Σ weight × travel time, every
    incident served while teams last; the unserved are those whose delay costs least."""
    n_teams, n_inc = cost.shape
    weighted = cost * weights[None, :]
    dummy = np.tile(weights[None, :] * UNSERVED_S, (n_inc, 1))
    rows, cols = linear_sum_assignment(np.vstack([weighted, dummy]))
    chosen: list[int | None] = [None] * n_inc
    for r, c in zip(rows, cols, strict=True):
        chosen[c] = int(r) if r < n_teams else None
    return chosen


def nearest_first(cost: np.ndarray, order: Sequence[int]) -> list[int | None]:
    """Incidents in priority order each take the nearest team still free."""
    taken: set[int] = set()
    chosen: list[int | None] = [None] * cost.shape[1]
    for col in order:
        free = [r for r in range(cost.shape[0]) if r not in taken]
        if not free:
            break
        best = min(free, key=lambda r: cost[r, col])
        chosen[col] = best
        taken.add(best)
    return chosen


def total_cost(cost: np.ndarray, weights: np.ndarray, chosen: Sequence[int | None]) -> float:
    total = 0.0
    for col, row in enumerate(chosen):
        total += weights[col] * (UNSERVED_S if row is None else cost[row, col])
    return float(total)


def _waiting(conn: Connection, incident_ids: Sequence[str] | None) -> list[Row[Any]]:
    """Live, located incidents: the given ones, or else those with no team yet."""
    incidents = intake_tables.incidents
    query = select(incidents).where(
        incidents.c.status.in_(LIVE_INCIDENT),
        incidents.c.merged_into.is_(None),
        incidents.c.lat.isnot(None),
    )
    if incident_ids:
        query = query.where(incidents.c.incident_id.in_(list(incident_ids)))
    rows = conn.execute(query.order_by(incidents.c.number)).all()
    busy = set(conn.execute(select(tasks.c.incident_id).where(tasks.c.state.in_(ACTIVE))).scalars())
    return [r for r in rows if incident_ids or r.incident_id not in busy]


def _listing(
    waiting: list[Row[Any]], free: list[Candidate], cost: np.ndarray, chosen: list[int | None]
) -> list[dict[str, Any]]:
    return [
        {
            "incident_id": inc.incident_id,
            "severity": inc.severity,
            "team_id": None if row is None else free[row].team_id,
            "team": None if row is None else free[row].name,
            "travel_s": None if row is None else round(float(cost[row, col]), 1),
        }
        for col, (inc, row) in enumerate(zip(waiting, chosen, strict=True))
    ]


def plan(
    conn: Connection,
    router: Router,
    now: datetime,
    settings: Settings,
    incident_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One team for each waiting incident (live, located, no team yet), weighted by severity."""
    waiting = _waiting(conn, incident_ids)
    free, _ = candidates(conn, now, settings)
    out: dict[str, Any] = {"incidents": [r.incident_id for r in waiting], "teams": len(free)}
    if not waiting or not free:
        out.update(
            optimal=[],
            nearest_first=[],
            summary="nothing to plan: no waiting incident or no free team",
        )
        return out
    cost = np.empty((len(free), len(waiting)))
    for col, inc in enumerate(waiting):
        legs = router.legs_to(inc.lat, inc.lon, [c.origin for c in free])
        cost[:, col] = [leg.seconds for leg in legs]
    weights = np.array([float(r.severity) for r in waiting])
    order = sorted(range(len(waiting)), key=lambda i: (-waiting[i].severity, waiting[i].number))
    best = optimal_assignment(cost, weights)
    greedy = nearest_first(cost, order)
    best_cost, greedy_cost = total_cost(cost, weights, best), total_cost(cost, weights, greedy)
    differ = [waiting[c].incident_id for c in range(len(waiting)) if best[c] != greedy[c]]
    out.update(
        optimal=_listing(waiting, free, cost, best),
        nearest_first=_listing(waiting, free, cost, greedy),
        weighted_travel_s={"optimal": round(best_cost, 1), "nearest_first": round(greedy_cost, 1)},
        differs_at=differ,
        summary=(
            "the optimal plan is nearest-first's"
            if not differ
            else f"the optimal plan saves {(greedy_cost - best_cost) / 60:.1f} severity-weighted "
            f"minutes over nearest-first, changing {', '.join(differ)}"
        ),
    )
    return out
