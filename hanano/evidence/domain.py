"""Evidence: the tamper-evident log's tree, checkpoints, witnesses, timestamps and media."""

from hanano.domain import Announcer, Domain, Runtime, events_of, tables_of
from hanano.evidence import (
    cli,
    events,
    media,
    media_cli,
    media_routes,
    migrations,
    mirror_cli,
    mirror_users_cli,
    routes,
    tables,
    tile_routes,
    witness_cli,
    witness_push,
    witnesses,
)
from hanano.evidence.handlers import HANDLERS

_ = (events, media, mirror_users_cli, witness_cli, witnesses)  # imported for what they register


def start(service: Runtime, _announcer: Announcer | None) -> witness_push.WitnessPusher:
    """What the log runs beside the requests: pushing checkpoints to its witnesses."""
    return witness_push.start_pusher(service)


DOMAIN = Domain(
    name="evidence",
    events=events_of("hanano.evidence"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router, routes.entries_router, media_routes.router, tile_routes.router),
    commands=(cli.log_group, media_cli.media_group, mirror_cli.mirror_group),
    start=start,
)
