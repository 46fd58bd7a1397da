"""What the signed-in caller may do, read from the routes' own role gates.

Each action the operations room offers names the route that performs it; the roles are taken
from that route's `allow(...)` dependency, so the page is told exactly what the API will accept
and never keeps a copy of a role list. Actions on a team (a task's step, a pull-back's
acknowledgement, a check-in) are answered with the teams the caller may act for when the caller
is a team leader, whom `require_own_team` binds to their own team. Actions on an incident's
records (its worksites, victims and status) are answered for a team leader with the incidents
their team has been tasked to, the only ones `require_own_incident` lets them write about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hanano.access import api as access_api
from hanano.access.tokens import Principal
from hanano.domain import Runtime
from hanano.events import Role
from hanano.web.deps import allowed_roles


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: str
    # Refused (403) to a team leader for any team but their own.
    per_team: bool = False
    # Refused (403) to a team leader at any incident their team has not been tasked to.
    per_incident: bool = False


A = "/api/v1"
ACTIONS: tuple[Action, ...] = (
    Action("report_threat", "POST", f"{A}/threats"),
    Action("report_sighting", "POST", f"{A}/sightings"),
    Action("radio_log", "POST", f"{A}/radio/parse"),
    Action("issue_alert", "POST", f"{A}/alerts"),
    Action("cancel_alert", "POST", f"{A}/alerts/{{alert_id}}/cancel"),
    Action("clear_alert", "POST", f"{A}/alerts/{{alert_id}}/all-clear"),
    Action(
        "set_incident_status",
        "POST",
        f"{A}/incidents/{{incident_id}}/status",
        per_incident=True,
    ),
    Action("merge_incidents", "POST", f"{A}/incidents/{{incident_id}}/merge"),
    Action("split_incident", "POST", f"{A}/incidents/{{incident_id}}/split"),
    Action("read_recommendations", "GET", f"{A}/incidents/{{incident_id}}/recommendations"),
    Action("assign_team", "POST", f"{A}/incidents/{{incident_id}}/assign"),
    Action("open_worksite", "POST", f"{A}/incidents/{{incident_id}}/worksites", per_incident=True),
    Action(
        "update_worksite",
        "POST",
        f"{A}/incidents/{{incident_id}}/worksites/{{worksite_id}}",
        per_incident=True,
    ),
    Action("record_victim", "POST", f"{A}/incidents/{{incident_id}}/victims", per_incident=True),
    Action("update_victim", "POST", f"{A}/victims/{{victim_id}}", per_incident=True),
    Action("read_victim_identity", "GET", f"{A}/victims/{{victim_id}}/identity"),
    Action("set_hospital_status", "POST", f"{A}/hospitals/{{hospital_id}}/status"),
    Action("close_road", "POST", f"{A}/roads/closures"),
    Action("reopen_road", "POST", f"{A}/roads/closures/{{closure_id}}/reopen"),
    Action("move_task", "POST", f"{A}/tasks/{{task_id}}/transition", per_team=True),
    Action("acknowledge_pullback", "POST", f"{A}/pullbacks/{{order_id}}/acknowledge", True),
    Action("acknowledge_checkin_alarm", "POST", f"{A}/teams/{{team_id}}/checkin-alarm/acknowledge"),
    Action("check_in", "POST", f"{A}/teams/{{team_id}}/checkin", per_team=True),
    Action("set_duty", "POST", f"{A}/teams/{{team_id}}/duty", per_team=True),
    Action("report_position", "POST", f"{A}/teams/{{team_id}}/position", per_team=True),
)

# An action's answer: true (for any team or incident), false, or the teams or the incidents a
# team leader may do it for.
Answer = bool | list[str]


def _gate(dependant: Dependant) -> tuple[Role, ...] | None:
    for sub in dependant.dependencies:
        roles = allowed_roles(sub.call) or _gate(sub)
        if roles is not None:
            return roles
    return None


def action_roles(routers: Iterable[APIRouter]) -> dict[str, tuple[Role, ...]]:
    """Each action's roles, from its route's gate among the routers' routes; an action whose
    route is not among them is allowed to nobody."""
    gates: dict[tuple[str, str], tuple[Role, ...]] = {}
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            roles = _gate(route.dependant)
            if roles is not None:
                gates.update({(method, route.path): roles for method in route.methods or ()})
    return {a.name: gates.get((a.method, a.path), ()) for a in ACTIONS}


def reads_only(roles: dict[str, tuple[Role, ...]]) -> dict[str, tuple[Role, ...]]:
    """The actions' roles on a read-only mirror: every write (409 there, whoever asks) is
    allowed to nobody; the reads keep their roles."""
    method = {a.name: a.method for a in ACTIONS}
    return {name: allowed if method[name] == "GET" else () for name, allowed in roles.items()}


def may(
    roles: dict[str, tuple[Role, ...]], who: Principal, tasked: list[str] | None = None
) -> dict[str, Answer]:
    """For each action: whether the caller may do it; for a team leader, an action on a team is
    answered with the teams they may do it for (none when their login names no team), an action
    on an incident's records with `tasked`, the incidents their team has been sent to."""
    answer: dict[str, Answer] = {}
    for action in ACTIONS:
        allowed = who.role in roles[action.name]
        if allowed and action.per_team and who.role == "team_leader":
            answer[action.name] = [who.team] if who.team else []
        elif allowed and action.per_incident and who.role == "team_leader":
            answer[action.name] = list(tasked or [])
        else:
            answer[action.name] = allowed
    return answer


def may_now(
    runtime: Runtime, roles: dict[str, tuple[Role, ...]], who: Principal
) -> dict[str, Answer]:
    """`may`, with a team leader's incidents read from the store as they are now."""
    tasked = access_api.tasked_incidents(runtime, who) if who.role == "team_leader" else None
    return may(roles, who, tasked)
