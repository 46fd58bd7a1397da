"""Health, identity, tokens, the city's zones, the raw log for auditors, and the live stream."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from hanano.access.tokens import Principal
from hanano.access.visibility import reads_primary_address
from hanano.evidence.mirror_state import mirror_of
from hanano.web.deps import ALL, ServiceDep, allow, still_holds
from hanano.web.stream import Broadcaster, sse_stream

router = APIRouter(prefix="/api/v1")


@router.get("/health", tags=["system"])
def health(service: ServiceDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "backend": service.engine.dialect.name,
        "read_only": service.sequencer.read_only,
    }


@router.get("/mirror", tags=["system"])
def mirror(service: ServiceDep, who: Annotated[Principal, Depends(allow(*ALL))]) -> dict[str, Any]:
    """Whether this server is a read-only mirror: of which primary (not told to the public
    role), the size it holds, the primary's size when it last looked, and so how far behind it
    is, and how many media files its log names that it does not hold yet (`blobs_missing`);
    `mirror` is null on a primary."""
    # Read each time: the follower that writes it is another process.
    state = mirror_of(service.engine)
    if state is None:
        return {"mirror": None}
    view = state.view()
    if not reads_primary_address(who):
        del view["primary"]
    return {"mirror": view}


@router.get(
    "/stream",
    tags=["live"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    request: Request, who: Annotated[Principal, Depends(allow(*ALL))]
) -> StreamingResponse:
    """Server-Sent Events of what the caller's role may see. The stream ends (`event: ended`)
    within seconds of the caller's token being revoked or session ended, in any process."""
    broadcaster: Broadcaster = request.app.state.broadcaster
    sub = broadcaster.subscribe(who)
    return StreamingResponse(
        sse_stream(broadcaster, sub, still_allowed=still_holds(request, who)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
