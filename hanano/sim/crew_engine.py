"""The scenario's teams driven through the real dispatch path: registered as teams, sent by
assignment, each step of their task a transition, and the engine's pull-back orders applied to
them (acknowledged, as a team leader would, and held until the engine ends them: the team is
free, or the risk at its site has passed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hanano.access.tokens import Principal
from hanano.dispatch import api as dispatch
from hanano.dispatch.events import PullbackEnded, PullbackOrdered
from hanano.domain import finish
from hanano.errors import Problem
from hanano.service import Service
from hanano.sim.crews import Crews, CrewTeam, Move, Site
from hanano.store.records import read_events


@dataclass
class EngineCrews:
    service: Service
    who: Principal
    crews: Crews = field(default_factory=lambda: Crews([]))
    seq: int = 0
    orders: dict[str, str] = field(default_factory=dict)  # open order → team
    ordered: int = 0
    refused: int = 0

    def register(self, teams: list[dict[str, Any]]) -> None:
        """Register the scenario's teams on duty; their ids key the crews."""
        registered = []
        for n, t in enumerate(teams):
            view = finish(
                dispatch.register_team(
                    self.service,
                    self.who,
                    name=t["name"],
                    name_ar=t.get("name_ar"),
                    base_name=f"{t['name']} civil defence centre",
                    base_lat=t["lat"],
                    base_lon=t["lon"],
                    sector="evaluation",
                    crew=t["crew"],
                    min_crew=4,
                    capabilities=["light_rescue", "medical"] + (["heavy_rescue"] if n % 3 else []),
                    vehicle="pickup",
                )
            )
            registered.append(CrewTeam(view["id"], t["name"], t["lat"], t["lon"], t["crew"]))
        self.crews = Crews(registered)
        self.seq = self._last_seq()

    def report(self, site: Site, now: datetime) -> None:
        self._mirror(self.crews.report(site, now))

    def due(self) -> datetime | None:
        return self.crews.due()

    def step(self, now: datetime) -> None:
        self._mirror(self.crews.step(now))

    def sync(self, now: datetime) -> None:
        """Read what the engine appended since the last look: pull-back orders hold their
        teams, and the teams return when the engine ends their orders."""
        while True:
            with self.service.engine.connect() as conn:
                events = list(read_events(conn, after=self.seq))
            if not events:
                break
            self.seq = events[-1].seq
            for event in events:
                if event.type == PullbackOrdered.type:
                    self._ordered(event.data, now)
                elif event.type == PullbackEnded.type:
                    self.orders.pop(event.data["order_id"], None)
        for job in self.crews.held():
            if job.team.key not in self.orders.values():
                self.crews.resume(job.team.key, now)

    def _ordered(self, order: dict[str, Any], now: datetime) -> None:
        job = self.crews.jobs.get(order["team_id"])
        if job is None or job.task_id != order["task_id"] or not self.crews.hold(job.team.key, now):
            return
        self.ordered += 1
        self.orders[order["order_id"]] = job.team.key
        self._call(dispatch.acknowledge, order["order_id"], "pulling back")

    def _mirror(self, moves: list[Move]) -> None:
        for state, job in moves:
            if state == "assigned":
                if job.site.incident_id is None:
                    continue
                view = self._call(
                    dispatch.assign,
                    job.site.incident_id,
                    job.team.key,
                    "evaluation: the nearest free team",
                )
                job.task_id = view["id"] if view else None
            elif job.task_id is not None:
                self._call(dispatch.move_task, job.task_id, state, "evaluation crew")

    def _call(self, use_case: Any, *args: Any) -> Any:
        try:
            return finish(use_case(self.service, self.who, *args))
        except Problem:
            self.refused += 1
            return None

    def _last_seq(self) -> int:
        with self.service.engine.connect() as conn:
            last = 0
            for event in read_events(conn, after=self.seq):
                last = event.seq
            return last
