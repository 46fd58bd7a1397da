"""A team leader acts only for the team they lead; a spotter reports only from their own post.

Dispatchers and admins act for any team. A team_leader's position reports, check-ins, duty
changes, task steps and pull-back acknowledgements are refused (403) for every other team, and
refused outright when the token or login was issued before leaders were bound to a team: such a
token cannot say whose team it speaks for.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from hanano.access.tokens import Principal
from hanano.dispatch.tables import pullbacks, tasks
from hanano.errors import Problem


def require_own_team(who: Principal, team_id: str | None) -> None:
    """Raise 403 unless the caller may act for `team_id` (None: the record does not exist, so
    the command itself answers 404)."""
    if who.role != "team_leader" or team_id is None:
        return
    if who.team is None:
        raise Problem(
            403,
            "Forbidden",
            "this team_leader token has no team; an admin must issue one bound to your team",
        )
    if who.team != team_id:
        raise Problem(
            403,
            "Forbidden",
            f"the team_leader of team {who.team} may not act for team {team_id}",
        )


def require_own_incident(who: Principal, conn: Connection, incident_id: str) -> None:
    """Raise 403 unless the caller may record worksites and victims at `incident_id`: a team
    leader only where their own team has been tasked."""
    if who.role != "team_leader":
        return
    if who.team is None:
        raise Problem(
            403,
            "Forbidden",
            "this team_leader token has no team; an admin must issue one bound to your team",
        )
    tasked = conn.execute(
        select(tasks.c.task_id).where(
            tasks.c.incident_id == incident_id, tasks.c.team_id == who.team
        )
    ).first()
    if tasked is None:
        raise Problem(
            403,
            "Forbidden",
            f"the team_leader of team {who.team} has no task at incident {incident_id}",
        )


def own_post(who: Principal, post_id: str | None) -> str | None:
    """The post a spotter's sighting is made from: their own, whatever the sighting says it is
    from, and 403 if it names another. Operators may relay a sighting from any post.

    A stolen spotter token must not be able to report from another post: the aircraft position
    such a sighting implies would be published in the alerts, and would place that post."""
    if who.role != "spotter":
        return post_id
    if post_id is not None and post_id != who.post:
        mine = f"post {who.post}" if who.post else "no observation post"
        raise Problem(
            403,
            "Forbidden",
            f"this spotter token reports from {mine}, not from post {post_id}",
        )
    return who.post


def task_team(conn: Connection, task_id: str) -> str | None:
    found: str | None = conn.execute(
        select(tasks.c.team_id).where(tasks.c.task_id == task_id)
    ).scalar()
    return found


def pullback_team(conn: Connection, order_id: str) -> str | None:
    found: str | None = conn.execute(
        select(pullbacks.c.team_id).where(pullbacks.c.order_id == order_id)
    ).scalar()
    return found
