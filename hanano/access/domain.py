"""Access: tokens, operations-room users and sessions, who may read what."""

from hanano.access import cli, migrations, routes, tables, tokens, user_cli, users
from hanano.access.handlers import HANDLERS
from hanano.domain import Domain, events_of, tables_of

# Imported for what they register.
_ = (tokens, users)

DOMAIN = Domain(
    name="access",
    events=events_of("hanano.access"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router,),
    commands=(cli.token, user_cli.user_group),
)
