"""The field: forms filled in on phones (ODK Collect, KoboCollect) and SMS become reports,
sightings and team steps through the domains that own them."""

from hanano.domain import Domain, events_of, tables_of
from hanano.field import (
    cli,
    migrations,
    radio_routes,
    routes,
    sms,
    sms_alerts,
    sms_cli,
    sms_routes,
    sms_setup,
    submissions,
    tables,
)
from hanano.field.handlers import HANDLERS

_ = (submissions, sms, sms_setup)  # imported for what they register

DOMAIN = Domain(
    name="field",
    events=events_of("hanano.field"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router, sms_routes.router, radio_routes.router),
    commands=(cli.field, sms_cli.sms),
    start=sms_alerts.start,
)
