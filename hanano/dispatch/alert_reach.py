"""Who an operator's alert would reach, before it is issued: the zones chosen and the teams on
duty whose base lies in one of them or whose current task's site does. An alert over a site
can pull its team back, so the operator sees the cost of the warning while choosing its zones.
Read-only: nothing is written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hanano.city.model import City
from hanano.dispatch.tables import tasks, teams
from hanano.dispatch.tasks import ACTIVE
from hanano.errors import invalid
from hanano.intake import tables as intake_tables


def alert_reach(conn: Connection, city: City, pcodes: list[str]) -> dict[str, Any]:
    """The number of zones and the teams on duty an alert for `pcodes` would reach."""
    chosen = set(pcodes)
    unknown = sorted(p for p in chosen if p not in city.neighbourhoods)
    if unknown:
        raise invalid("zones", f"no such neighbourhood: {', '.join(unknown)}")
    i = intake_tables.incidents
    rows = conn.execute(
        select(teams.c.team_id, teams.c.base_lat, teams.c.base_lon, i.c.pcode)
        .outerjoin(tasks, (tasks.c.task_id == teams.c.task_id) & tasks.c.state.in_(ACTIVE))
        .outerjoin(i, i.c.incident_id == tasks.c.incident_id)
        .where(teams.c.duty == "on_duty")
        .order_by(teams.c.team_id)
    ).all()
    reached = [
        r.team_id
        for r in rows
        if r.pcode in chosen or city.locate(r.base_lat, r.base_lon) in chosen
    ]
    return {"zones": len(chosen), "teams": len(reached), "team_ids": reached}
