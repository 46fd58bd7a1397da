"""What the operations room reads as it opens, in one answer.

The room opens with a dozen lists. On a field post's link (300 ms round trips) a dozen requests
over a browser's six connections cost two or three round trips more than one, so the page asks
for `/api/v1/opening`, and the server answers each list by running that list's own route inside
the app, with the caller's own credentials: each part passes the same gate and the same
visibility rule as when asked for alone, and says its own status (a list the caller may not read
is a 403 part, not an error of the whole).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.types import Message, Scope

from hanano.access.tokens import ANONYMOUS, Principal
from hanano.errors import Problem
from hanano.web.deps import ALL, allow

router = APIRouter(prefix="/api/v1", tags=["room"])

# What static/room/resources.js reads when the room opens, exactly as it asks for it.
OPENING_READS = (
    "/api/v1/neighbourhoods",
    "/api/v1/incidents?limit=5000",
    "/api/v1/teams",
    "/api/v1/tasks?active=true",
    "/api/v1/hospitals",
    "/api/v1/alerts?outlines=false",
    "/api/v1/tracks",
    "/api/v1/watches",
    "/api/v1/pullbacks",
    "/api/v1/threats",
    "/api/v1/board",
    "/api/v1/roads/closures",
)
OPENING_SCHEMA = {
    "type": "object",
    "properties": {
        "reads": {
            "type": "object",
            "description": "path → that route's answer to the caller",
            "additionalProperties": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "body": {}},
                "required": ["status", "body"],
            },
        }
    },
    "required": ["reads"],
}
# Headers of the caller's request that the inner requests do not carry: each part is answered
# as plain JSON, and compressed once with the whole.
DROPPED = {b"accept-encoding", b"content-length", b"content-type", b"if-none-match"}
KEPT_SCOPE = ("type", "asgi", "http_version", "scheme", "server", "client", "root_path")


def _inner_scope(outer: Scope, path_and_query: str) -> Scope:
    path, _, query = path_and_query.partition("?")
    scope: Scope = {key: outer[key] for key in KEPT_SCOPE if key in outer}
    scope.update(
        method="GET",
        path=path,
        raw_path=path.encode(),
        query_string=query.encode(),
        headers=[(k, v) for k, v in outer["headers"] if k.lower() not in DROPPED],
    )
    return scope


async def _read(app: Any, outer: Scope, path_and_query: str) -> bytes:
    """One list, as its route answers this caller: `{"status": N, "body": JSON}`, the body
    as the route wrote it (each route's JSON goes into the whole unparsed: read and written
    again, the thousand incidents cost the server more than the route did)."""
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_inner_scope(outer, path_and_query), receive, send)
    body = b"".join(chunks) or b"null"
    return b'{"status":%d,"body":%b}' % (status, body)


@router.get(
    "/opening",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": OPENING_SCHEMA}}}},
)
async def opening(request: Request, who: Annotated[Principal, Depends(allow(*ALL))]) -> Response:
    """Every list the operations room reads as it opens, each as its own route would answer the
    caller (`reads`: path → `status` and `body`); a list the caller's role may not read is
    there with its 403. Only for a caller with a credential: a dozen reads for one request is
    no service to offer the anonymous."""
    if who is ANONYMOUS:
        raise Problem(401, "Unauthorized", "sign in, or send a token, to read the room's lists")
    parts = await asyncio.gather(*(_read(request.app, request.scope, p) for p in OPENING_READS))
    reads = b",".join(
        orjson.dumps(path) + b":" + part for path, part in zip(OPENING_READS, parts, strict=True)
    )
    return Response(b'{"reads":{%b}}' % reads, media_type="application/json")
