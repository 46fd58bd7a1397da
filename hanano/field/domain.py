"""The field: forms filled in on phones (ODK Collect, KoboCollect) become reports, sightings
and team status through the domains that own them."""

from hanano.domain import Domain, events_of, tables_of
from hanano.field import cli, migrations, routes, submissions, tables
from hanano.field.handlers import HANDLERS

_ = submissions  # imported for what it registers

DOMAIN = Domain(
    name="field",
    events=events_of("hanano.field"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router,),
    commands=(cli.field,),
)
