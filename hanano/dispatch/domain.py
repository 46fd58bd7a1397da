"""Dispatch: teams, tasks and the roads still open; rescuers pulled back before a second strike."""

from hanano.dispatch import (
    cli,
    hospitals,
    migrations,
    pullback_end,
    pullback_risk,
    recommend,
    roads,
    routes,
    safety,
    tables,
    tasks,
    teams,
    worksites,
)
from hanano.dispatch.handlers import HANDLERS
from hanano.domain import Domain, events_of, tables_of

_ = (
    hospitals,
    pullback_end,
    pullback_risk,
    recommend,
    roads,
    safety,
    tasks,
    teams,
    worksites,
)  # imported for what they register

DOMAIN = Domain(
    name="dispatch",
    events=events_of("hanano.dispatch"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router,),
    commands=tuple(cli.COMMANDS),
)
