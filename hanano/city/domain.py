"""The city: its neighbourhoods (OCHA P-codes, names, polygons) and the names people use."""

from hanano.city import cli, migrations, projection, routes, tables
from hanano.city.handlers import HANDLERS
from hanano.domain import Domain, events_of, tables_of

_ = projection  # imported for what it registers

DOMAIN = Domain(
    name="city",
    events=events_of("hanano.city"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router,),
    commands=(cli.city,),
)
