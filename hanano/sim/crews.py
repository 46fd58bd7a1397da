"""The scenario's rescue teams: who goes to each struck site, when they are there, and what a
pull-back costs them.

A model of the crews' movements on a virtual clock, with no store of its own: the evaluation
mirrors each step into the real dispatch commands and turns the engine's pull-back orders into
holds (see crew_engine.py); run alone it is the day without warnings or watches. One team goes
to each struck site: the nearest free one, from its base, at a city driving speed; it works the
site for a time drawn from the seed, then drives back. A team held by a pull-back stops where it
is (on its way) or leaves the site, and the time it is held is lost to the rescue.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hanano.clock import parse_iso
from hanano.geo.distance import haversine_m
from hanano.sim.demo_city import TEAM_ZONES

CREW_ASSUMPTIONS: dict[str, Any] = {
    "teams": "the twelve teams of the demo city, at the centres of their neighbourhoods, "
    "crews of 6 to 8",
    "one_team_per_site": "the nearest free team goes to each struck site; a site waits for a "
    "team when none is free",
    "turnout_min": 1.0,
    "speed_kmh": 25.0,
    "road_detour": 1.4,
    "work_min": [20, 90],
    "pull_back": "a team ordered back stops on its way or leaves the site, and returns when the "
    "engine has ended its orders (the risk at its site has passed)",
}


@dataclass(frozen=True)
class CrewTeam:
    key: str
    name: str
    lat: float
    lon: float
    crew: int


@dataclass
class Site:
    key: str  # the strike that made it
    lat: float
    lon: float
    pcode: str | None
    reported: datetime
    work: timedelta
    incident_id: str | None = None


@dataclass
class Job:
    team: CrewTeam
    site: Site
    state: str  # assigned, en_route, on_scene, returning
    due: datetime | None  # None while held
    left: timedelta = timedelta(0)  # of the state, while held
    held_since: datetime | None = None
    task_id: str | None = None


# A job's step, with the state it entered: the engine mirrors each as a transition.
Move = tuple[str, Job]


@dataclass
class Presence:
    """A team's spell on a site, from its arrival to its leaving (None: still there)."""

    site: str
    team: str
    crew: int
    start: datetime
    end: datetime | None = None


@dataclass
class Crews:
    teams: list[CrewTeam]
    assumptions: dict[str, Any] = field(default_factory=lambda: dict(CREW_ASSUMPTIONS))
    jobs: dict[str, Job] = field(default_factory=dict)
    queue: list[Site] = field(default_factory=list)
    presence: list[Presence] = field(default_factory=list)
    holds: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def report(self, site: Site, now: datetime) -> list[Move]:
        """A struck site asks for a team; returns the moves it made (here: an assignment)."""
        self.queue.append(site)
        return self._assign(now)

    def due(self) -> datetime | None:
        return min((j.due for j in self.jobs.values() if j.due is not None), default=None)

    def step(self, now: datetime) -> list[Move]:
        """Move every job whose state is over by `now`, in time order; returns the moves."""
        moved: list[Move] = []
        while (at := self.due()) is not None and at <= now:
            job = min((j for j in self.jobs.values() if j.due == at), key=lambda j: j.team.key)
            more = self._next(job, at)
            moved.append((job.state, job))
            moved.extend(more)
        return moved

    def hold(self, team_key: str, now: datetime) -> bool:
        """Pull a team back; False when it is not at or on its way to a site."""
        job = self.jobs.get(team_key)
        if job is None or job.state == "returning":
            return False
        if job.due is not None:
            job.left, job.due, job.held_since = max(job.due - now, timedelta(0)), None, now
            if job.state == "on_scene":
                self._leave(job, now)
        return True

    def resume(self, team_key: str, now: datetime) -> None:
        job = self.jobs.get(team_key)
        if job is None or job.held_since is None:
            return
        self.holds.append((team_key, job.held_since, now))
        job.due, job.held_since = now + job.left, None
        if job.state == "on_scene":
            self.presence.append(Presence(job.site.key, team_key, job.team.crew, now))

    def held(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.held_since is not None]

    def finish(self, now: datetime) -> None:
        """Close what is still open at the end of the day: holds and spells on site."""
        for job in self.held():
            self.holds.append((job.team.key, job.held_since or now, now))
            job.held_since = None
        for spell in self.presence:
            if spell.end is None:
                spell.end = now

    def lost_minutes(self) -> float:
        return sum((end - start).total_seconds() for _, start, end in self.holds) / 60

    def _travel(self, job: Job) -> timedelta:
        a = self.assumptions
        metres = haversine_m(job.team.lat, job.team.lon, job.site.lat, job.site.lon)
        return timedelta(hours=metres * a["road_detour"] / 1000 / a["speed_kmh"])

    def _next(self, job: Job, now: datetime) -> list[Move]:
        if job.state == "assigned":
            job.state, job.due = "en_route", now + self._travel(job)
        elif job.state == "en_route":
            job.state, job.due = "on_scene", now + job.site.work
            self.presence.append(Presence(job.site.key, job.team.key, job.team.crew, now))
        elif job.state == "on_scene":
            job.state, job.due = "returning", now + self._travel(job)
            self._leave(job, now)
        else:
            job.state, job.due = "available", None
            del self.jobs[job.team.key]
            return self._assign(now)
        return []

    def _leave(self, job: Job, now: datetime) -> None:
        for spell in self.presence:
            if spell.team == job.team.key and spell.end is None:
                spell.end = now

    def _assign(self, now: datetime) -> list[Move]:
        assigned = []
        while self.queue:
            free = [t for t in self.teams if t.key not in self.jobs]
            if not free:
                break
            site = self.queue.pop(0)
            team = min(free, key=lambda t: (haversine_m(t.lat, t.lon, site.lat, site.lon), t.key))
            job = Job(
                team, site, "assigned", now + timedelta(minutes=self.assumptions["turnout_min"])
            )
            self.jobs[team.key] = job
            assigned.append(("assigned", job))
        return assigned


def demo_teams(neighbourhoods: Iterable[Any]) -> list[dict[str, Any]]:
    """The demo city's teams (demo_city.py), at the centres of their neighbourhoods."""
    by_name = {n.name_en: n for n in neighbourhoods}
    out = []
    for n, zone_name in enumerate(TEAM_ZONES):
        zone = by_name.get(zone_name)
        if zone is not None:
            out.append(
                {
                    "name": zone.name_en,
                    "name_ar": zone.name_ar,
                    "lat": round(zone.centroid_lat, 6),
                    "lon": round(zone.centroid_lon, 6),
                    "crew": 6 + n % 3,
                }
            )
    return out


def sites(scenario: dict[str, Any], report_delay: timedelta) -> list[Site]:
    """The sites teams go to: every strike of the day but the follow-ups (those hit a site
    already struck), each with the time it takes to work it, drawn from the scenario's seed."""
    seed = scenario.get("assumptions", {}).get("seed", 0)
    low, high = CREW_ASSUMPTIONS["work_min"]
    out = []
    for strike in scenario["strikes"]:
        if strike.get("follow_up_of"):
            continue
        rng = random.Random(f"work-{seed}-{strike['strike_id']}")  # noqa: S311 - reproducible
        out.append(
            Site(
                key=strike["strike_id"],
                lat=strike["lat"],
                lon=strike["lon"],
                pcode=strike.get("pcode"),
                reported=parse_iso(strike["at"]) + report_delay,
                work=timedelta(minutes=rng.uniform(low, high)),
            )
        )
    return out


def follow_ups(scenario: dict[str, Any]) -> list[tuple[str, datetime]]:
    """Each follow-up strike: the site it hits again and when."""
    return [
        (s["follow_up_of"], parse_iso(s["at"]))
        for s in scenario["strikes"]
        if s.get("follow_up_of")
    ]


def exposure(presence: list[Presence], hits: list[tuple[str, datetime]]) -> float:
    """Rescuer-minutes on site when a follow-up strike hits it: for every team on the site at
    the moment of impact, its crew times the minutes it had been there."""
    total = 0.0
    for site, at in hits:
        for spell in presence:
            if spell.site == site and spell.start <= at and (spell.end is None or at < spell.end):
                total += spell.crew * (at - spell.start).total_seconds() / 60
    return total


def run_alone(teams: list[CrewTeam], day: list[Site], end: datetime) -> Crews:
    """The day without warnings or watches, up to `end`: the same crews, never pulled back."""
    crews = Crews(teams)
    for site in sorted(day, key=lambda s: s.reported):
        crews.step(site.reported)
        crews.report(site, site.reported)
    crews.step(end)
    crews.finish(end)
    return crews
