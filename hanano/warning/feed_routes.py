"""Foreign CAP feeds polled by the server, and the outbox of alert deliveries: for the admin."""

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from hanano.access.tokens import Principal
from hanano.errors import invalid
from hanano.warning import api as warning_api
from hanano.warning.feeds import add_feed, remove_feed
from hanano.warning.signatures import load_cert
from hanano.web.deps import ADMIN, ServiceDep, allow

router = APIRouter(prefix="/api/v1", tags=["warning"])
Admin = Annotated[Principal, Depends(allow(*ADMIN))]


@router.post(
    "/feeds",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {"type": "string", "format": "uri"},
                            "cert": {
                                "type": "string",
                                "description": "the agency's signing certificate (PEM): each "
                                "alert of the feed must carry an enveloped XML-DSig signature "
                                "that verifies with it, or it is refused",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def post_feed(request: Request, service: ServiceDep, who: Admin) -> dict[str, Any]:
    """Poll another agency's CAP feed (Atom or RSS) or CAP document at this URL; each new alert
    in it is imported once. With `cert` (PEM), each alert must be signed with that certificate:
    one whose signature, digest or certificate does not check out is recorded as refused, listed
    with the feed, and never acted on."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise invalid("body", "a JSON object with the feed's url") from None
    if not isinstance(body, dict):
        raise invalid("body", "a JSON object with the feed's url")
    url = body.get("url")
    cert = body.get("cert")
    trust = None if cert is None else load_cert(cert, "cert")
    created = await service.sequencer.run(lambda tx: add_feed(tx, who.actor, url, trust))
    # Early warning's workers run only in a served app (hanano.warning.domain.start).
    workers = getattr(request.app.state, "workers", {}).get("warning")
    if workers is not None:
        workers.poller.poke()
    return created


@router.get("/feeds")
def get_feeds(service: ServiceDep, _: Admin) -> dict[str, Any]:
    """Registered feeds, how their last fetch went, their signing certificate's SHA-256, and the
    alerts refused from each for their signature, with the reason; `refused` lists the latest
    refusals of every source (feeds, `hanano warn import-cap`, the API)."""
    items, refused = warning_api.feeds(service)
    return {"feeds": items, "count": len(items), "refused": refused}


@router.delete("/feeds/{feed_id}")
async def delete_feed(feed_id: str, service: ServiceDep, who: Admin) -> dict[str, Any]:
    """Stop polling a feed. Alerts already imported from it stay."""
    await service.sequencer.run(lambda tx: remove_feed(tx, who.actor, feed_id))
    return {"feed_id": feed_id, "removed": True}


@router.get("/deliveries")
def get_deliveries(
    service: ServiceDep,
    _: Admin,
    status: Literal["pending", "delivered", "gave_up"] | None = None,
    alert_id: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alert deliveries to MQTT and webhooks, newest first: attempts, last error, outcome."""
    items = warning_api.deliveries(service, status, alert_id, limit)
    return {"deliveries": items, "count": len(items)}
