"""Early warning's use cases: what the HTTP routes and the CLI commands both call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from hanano.access.field import own_post
from hanano.access.tokens import Principal
from hanano.access.visibility import field_readers
from hanano.domain import Runtime
from hanano.store.sequencer import Tx
from hanano.warning import manual, posts, sightings, sirens, views
from hanano.warning.alerts import get_alert, list_alerts
from hanano.warning.cap import to_atom
from hanano.warning.events import ObservationPostRegistered
from hanano.warning.feeds import list_feeds
from hanano.warning.outbox import list_deliveries
from hanano.warning.refusals import list_refused
from hanano.warning.sightings import SightingIn, SightingResult

EndKind = Literal["cancel", "all_clear"]
# The roles that read where an observation post stands and what it is called (posts are targets).
POST_PLACES = field_readers(ObservationPostRegistered, ("name", "lat", "lon"))


async def report_sighting(runtime: Runtime, who: Principal, sighting: SightingIn) -> SightingResult:
    """A sighting from a spotter or a sensor, made from the caller's own post if a spotter
    (403 if it names another); returns once it, its track and alerts are durable."""
    return await runtime.sequencer.run(sighting_command(runtime, who, sighting))


def sighting_command(
    runtime: Runtime, who: Principal, sighting: SightingIn
) -> Callable[[Tx], SightingResult]:
    """The checked sighting as a command, for a channel that records its own step in the same
    transaction (an OpenRosa submission)."""
    post = own_post(who, sighting.post_id)
    if post != sighting.post_id and sighting.lat is None:
        sighting = sighting.model_copy(update={"post_id": post})
    sightings.check_sighting(sighting, runtime.clock.now(), runtime.settings)
    return lambda tx: sightings.report_sighting(tx, who.actor, sighting)


def feeds(runtime: Runtime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Registered feeds and the latest alerts refused from any source, with the reason."""
    with runtime.engine.connect() as conn:
        return list_feeds(conn), list_refused(conn)


def deliveries(
    runtime: Runtime, status: str | None, alert_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Alert deliveries to MQTT and webhooks, newest first."""
    with runtime.engine.connect() as conn:
        return list_deliveries(conn, status, alert_id, limit)


def alerts(runtime: Runtime, hours: float = 24.0, outlines: bool = True) -> list[dict[str, Any]]:
    """Active alerts and those of the last `hours`, newest first; without `outlines`, each
    zone is named by its P-code and names only (the room draws zones from the city's own)."""
    with runtime.engine.connect() as conn:
        found = list_alerts(conn, runtime.clock.now(), hours)
    if not outlines:
        for item in found:
            item["zones"] = [
                {k: v for k, v in zone.items() if k != "polygon"} for zone in item.get("zones", [])
            ]
    return found


def alert(runtime: Runtime, alert_id: str) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return get_alert(conn, alert_id)


def alerts_atom(runtime: Runtime) -> bytes:
    """A CAP Atom feed of the last day's alerts, each entry linking its CAP document."""
    now = runtime.clock.now()
    items = alerts(runtime)
    settings = runtime.settings
    return to_atom(
        items,
        settings.public_url.rstrip("/"),
        items[0]["sent"] if items else now.isoformat(),
        f"hanano alerts: {settings.city}",
    )


def alert_cap(runtime: Runtime, alert_id: str) -> bytes:
    """One alert as a CAP 1.2 document."""
    return views.cap_document(alert(runtime, alert_id), runtime.settings)


def tracks(runtime: Runtime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Live tracks, and each zone they threaten with the tracks' combined probability."""
    with runtime.engine.connect() as conn:
        return views.live_tracks_view(conn), views.zone_threats_view(conn)


def observation_posts(runtime: Runtime, who: Principal) -> list[dict[str, Any]]:
    """Observation posts, with names and places for the roles that read them; a spotter's
    token lists only the post it reports from."""
    with runtime.engine.connect() as conn:
        items = posts.posts_view(conn, who.role in POST_PLACES)
    if who.role == "spotter":
        items = [i for i in items if i["id"] == who.post]
    return items


def air_bases(runtime: Runtime) -> list[dict[str, Any]]:
    """Known air bases, where sorties start."""
    with runtime.engine.connect() as conn:
        return posts.bases_view(conn)


def siren_list(runtime: Runtime) -> list[dict[str, Any]]:
    """Sirens, the zones each sounds for, and whether it sounds now."""
    with runtime.engine.connect() as conn:
        return sirens.sirens_view(conn)


async def issue_alert(
    runtime: Runtime, who: Principal, body: manual.ManualAlertIn
) -> dict[str, Any]:
    """An operator's alert for zones; returns it as `alert` shows it."""
    manual.check_manual(body)
    alert_id = await runtime.sequencer.run(lambda tx: manual.issue_manual(tx, who.actor, body))
    return alert(runtime, alert_id)


async def end_alert(
    runtime: Runtime, who: Principal, alert_id: str, kind: EndKind, reason: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cancel an alert or give its all-clear; returns what ended (the zones cleared and those
    re-issued) and the ending alert."""
    result = await runtime.sequencer.run(
        lambda tx: manual.end_alert(tx, who.actor, alert_id, kind, reason)
    )
    return result, alert(runtime, result["alert_id"])
