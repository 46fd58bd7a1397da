"""The teams that could go now, with what the recommendation says about each.

A candidate is an on-duty team without a task, placed at its last fresh position or at its
base, with the notes (capabilities, crew, fatigue, rest) that make up its reason in words and,
part by part, as data a page can word in its own language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from hanano.clock import parse_iso
from hanano.dispatch.tables import tasks, teams
from hanano.dispatch.travel import Leg
from hanano.settings import Settings
from hanano.store.prepared import Prepared


@dataclass
class Candidate:
    team_id: str
    name: str
    sector: str
    capabilities: set[str]
    origin: tuple[float, float]
    origin_words: str
    duty_hours: float
    rested_min: float | None
    crew_short: bool = False
    crew_words: str = ""
    leg: Leg | None = None
    score: float = 0.0
    notes: list[str] = field(default_factory=list)
    # The same reason as data, one part per note, so that a page can word it in its own
    # language: each {"code": ..., **numbers and names}.
    origin_part: dict[str, Any] = field(default_factory=lambda: {"code": "origin"})
    crew: int = 0
    min_crew: int = 0
    parts: list[dict[str, Any]] = field(default_factory=list)

    def note(self, words: str, code: str, **params: Any) -> None:
        self.notes.append(words)
        self.parts.append({"code": code, **params})

    def view(self) -> dict[str, Any]:
        assert self.leg is not None
        return {
            "team_id": self.team_id,
            "name": self.name,
            "travel_s": round(self.leg.seconds, 1),
            "travel_m": round(self.leg.metres, 1),
            "via": self.leg.via,
            "travel_at_least": self.leg.at_least,
            "score_s": round(self.score, 1),
            "capabilities": sorted(self.capabilities),
            "reason": self.reason(),
            "reason_parts": self.reason_parts(),
        }

    def reason(self) -> str:
        assert self.leg is not None
        if self.leg.at_least:
            travel = f"more than {int(self.leg.seconds // 60)} min {self.leg.via}"
        else:
            travel = f"{max(1, round(self.leg.seconds / 60))} min {self.leg.via}"
        parts = [f"{travel}{self.origin_words}", *self.notes]
        return f"{self.name}: " + ", ".join(parts)

    def reason_parts(self) -> list[dict[str, Any]]:
        """The reason's travel, origin and notes, in the order of the sentence."""
        assert self.leg is not None
        minutes = (
            int(self.leg.seconds // 60)
            if self.leg.at_least
            else max(1, round(self.leg.seconds / 60))
        )
        travel = {"code": "travel", "minutes": minutes, "at_least": self.leg.at_least}
        return [{**travel, **_via(self.leg.via)}, self.origin_part, *self.parts]


_NO_ROAD_WITHIN = re.compile(r"^by straight line \(no open road within (\d+) min\)$")


def _via(words: str) -> dict[str, Any]:
    """How the router measured a leg, from its words: by road, or by straight line (when there
    is no road graph, or no open road to the site)."""
    if words == "by road":
        return {"via": "road"}
    if words == "by straight line":
        return {"via": "straight_line"}
    if words == "by straight line (no open road)":
        return {"via": "straight_line", "no_open_road": True}
    within = _NO_ROAD_WITHIN.match(words)
    if within:
        return {"via": "straight_line", "no_open_road": True, "within_min": int(within[1])}
    return {"via": "other", "words": words}


# Every recommendation reads these, so they are compiled once (a recommendation is timed in
# milliseconds, and building a statement costs a fraction of one).
_TEAMS = Prepared(select(teams).order_by(teams.c.name))
# One row per team however long the operation has run.
_LAST_ENDED = Prepared(
    select(tasks.c.team_id, func.max(tasks.c.ended_at))
    .where(tasks.c.ended_at.isnot(None))
    .group_by(tasks.c.team_id)
)


def _last_ended(conn: Connection) -> dict[str, str]:
    return {team_id: at for team_id, at in _LAST_ENDED.run(conn).all()}


def _hours(text: str | None, now: datetime) -> float:
    return 0.0 if text is None else max(0.0, (now - parse_iso(text)).total_seconds() / 3600)


def candidates(
    conn: Connection, now: datetime, settings: Settings
) -> tuple[list[Candidate], list[dict[str, Any]]]:
    """Teams that could go now, and why each other team cannot."""
    ended = _last_ended(conn)
    free: list[Candidate] = []
    excluded: list[dict[str, Any]] = []
    for row in _TEAMS.run(conn).all():
        if row.duty != "on_duty":
            excluded.append(
                {
                    "team_id": row.team_id,
                    "reason": f"{row.name}: {row.duty.replace('_', ' ')}",
                    "code": "duty",
                    "team": row.name,
                    "duty": row.duty,
                }
            )
            continue
        if row.task_id is not None:
            excluded.append(
                {
                    "team_id": row.team_id,
                    "reason": f"{row.name}: busy on task {row.task_id}",
                    "code": "busy",
                    "team": row.name,
                    "task_id": row.task_id,
                }
            )
            continue
        free.append(_candidate(row, now, settings, ended.get(row.team_id)))
    return free, excluded


def _candidate(row: Row[Any], now: datetime, settings: Settings, ended: str | None) -> Candidate:
    caps = {c for c in row.capabilities.split(",") if c}
    origin: tuple[float, float] = (row.base_lat, row.base_lon)
    words = " from its base"
    place: dict[str, Any] = {"code": "origin", "place": "base"}
    if row.lat is not None and row.position_at is not None:
        age = (now - parse_iso(row.position_at)).total_seconds() / 60
        if age <= settings.position_stale_min:
            origin, words = (row.lat, row.lon), ""
            place = {"code": "origin", "place": "position"}
        else:
            words = f" from its base (position {round(age)} min old)"
            place = {"code": "origin", "place": "base", "position_age_min": round(age)}
    since_rest = ended if ended and (row.duty_since is None or ended >= row.duty_since) else None
    return Candidate(
        team_id=row.team_id,
        name=row.name,
        sector=row.sector,
        capabilities=caps,
        origin=origin,
        origin_words=words,
        duty_hours=_hours(row.duty_since, now),
        rested_min=None if since_rest is None else _hours(since_rest, now) * 60,
        crew_short=row.crew < row.min_crew,
        crew_words=f"{row.crew} of its minimum {row.min_crew} crew",
        origin_part=place,
        crew=row.crew,
        min_crew=row.min_crew,
    )
