"""Intake: every report of a strike captured at once and linked into one incident per strike."""

from hanano.domain import Domain, events_of, tables_of
from hanano.intake import cli, migrations, projection, routes, tables
from hanano.intake.handlers import HANDLERS

_ = projection  # imported for what it registers

DOMAIN = Domain(
    name="intake",
    events=events_of("hanano.intake"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router,),
    commands=(cli.report, cli.incidents),
)
