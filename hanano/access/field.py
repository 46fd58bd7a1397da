"""A team leader acts only for the team they lead; a spotter reports only from their own post.

Dispatchers and admins act for any team. A team_leader's position reports, check-ins, duty
changes, task steps and pull-back acknowledgements are refused (403) for every other team, and
refused outright when the token or login was issued before leaders were bound to a team: such a
token cannot say whose team it speaks for. What a team leader writes about an incident (its
worksites and victims, opened or changed, and its status) is refused (403) at every incident
their team has not been tasked to.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from hanano.access.tokens import Principal
from hanano.dispatch.tables import pullbacks, tasks, victims
from hanano.errors import Problem
from hanano.intake.tables import incidents


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


def require_own_incident(who: Principal, conn: Connection, incident_id: str | None) -> None:
    """Raise 403 unless the caller may write about `incident_id` (its worksites, victims and
    status): a team leader only where their own team has been tasked. An incident that does
    not exist (or None) is left to the command, which answers 404."""
    if who.role != "team_leader" or incident_id is None:
        return
    if who.team is None:
        raise Problem(
            403,
            "Forbidden",
            "this team_leader token has no team; an admin must issue one bound to your team",
        )
    if incident_id in tasked_incidents(conn, who.team):
        return
    known = select(incidents.c.incident_id).where(incidents.c.incident_id == incident_id)
    if conn.execute(known).first() is None:
        return
    raise Problem(
        403,
        "Forbidden",
        f"the team_leader of team {who.team} has no task at incident {incident_id}; "
        "only a dispatcher or an admin writes about an incident the team was not sent to",
    )


def tasked_incidents(conn: Connection, team_id: str) -> list[str]:
    """The incidents a team has been tasked to, in the order it was sent to them: where its
    leader may record and change worksites and victims and move the incident's status."""
    rows = conn.execute(
        select(tasks.c.incident_id)
        .where(tasks.c.team_id == team_id)
        .group_by(tasks.c.incident_id)
        .order_by(func.min(tasks.c.number))
    )
    return [str(incident_id) for incident_id in rows.scalars()]


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


def victim_incident(conn: Connection, victim_id: str) -> str | None:
    found: str | None = conn.execute(
        select(victims.c.incident_id).where(victims.c.victim_id == victim_id)
    ).scalar()
    return found
