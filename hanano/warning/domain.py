"""Early warning: spotters' sightings turned into tracks, threats and CAP alerts on channels."""

from __future__ import annotations

from dataclasses import dataclass

from hanano.domain import Announcer, Domain, Runtime, events_of, tables_of
from hanano.warning import (
    alerts,
    cli,
    feed_routes,
    feeds,
    feeds_cli,
    foreign,
    migrations,
    outbox,
    posts,
    refusals,
    routes,
    sightings,
    sirens,
    tables,
    tracks,
    zones,
)
from hanano.warning.channels import Fanout, start_channels
from hanano.warning.handlers import HANDLERS
from hanano.warning.poller import FeedPoller, start_feed_poller

# Imported for what they register (feeds_cli adds its commands to `warn`).
_ = (alerts, feeds, feeds_cli, foreign, outbox, posts, refusals, sightings, sirens, tracks, zones)


@dataclass
class Workers:
    """What early warning runs beside the requests: the alert channels and the feed poller."""

    channels: Fanout
    poller: FeedPoller

    def stop(self) -> None:
        self.poller.stop()
        self.channels.stop()


def start(service: Runtime, announcer: Announcer | None) -> Workers:
    return Workers(start_channels(service, announcer), start_feed_poller(service))


DOMAIN = Domain(
    name="warning",
    events=events_of("hanano.warning"),
    tables=tables_of(tables),
    migrations=migrations.MIGRATIONS,
    handlers=HANDLERS,
    routers=(routes.router, feed_routes.router),
    commands=(cli.warn,),
    start=start,
)
