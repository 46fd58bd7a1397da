"""A fake hostile primary for the mirror's tests: a partner server that stands between the mirror
and a real hanano, passes its /tlog/ answers through, and can flip one byte of one resource or
hold bundles or media files back (so that the mirror can be killed in the middle of a fetch)."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import httpx2 as httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.helpers_server import running_app


@dataclass
class FakePartnerPrimary:
    """What the fake partner server does to the real primary's answers."""

    upstream: str
    flip: str | None = None  # the /tlog/ path whose answer gets one byte flipped
    at: int = 0  # which byte
    bundle_delay: float = 0.0  # seconds each entry bundle is held back
    bundles_served: int = 0
    served: threading.Event = field(default_factory=threading.Event)
    serve_before_signal: int = 1
    blob_delay: float = 0.0  # seconds each media file (/tlog/blob/...) is held back
    blob_asked: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str, headers: dict[str, str]) -> Response:
        if path.startswith("blob/"):
            self.blob_asked.set()
            time.sleep(self.blob_delay)
        upstream = httpx.get(f"{self.upstream}/tlog/{path}", headers=headers, timeout=30)
        body = upstream.content
        if path == self.flip and body:
            flipped = bytearray(body)
            flipped[self.at % len(flipped)] ^= 0x01
            body = bytes(flipped)
        if path.startswith("tile/entries/"):
            time.sleep(self.bundle_delay)
            self.bundles_served += 1
            if self.bundles_served >= self.serve_before_signal:
                self.served.set()
        return Response(body, status_code=upstream.status_code)


def _app(fake: FakePartnerPrimary) -> Starlette:
    async def tlog(request: Request) -> Response:
        headers = {}
        if "authorization" in request.headers:
            headers["Authorization"] = request.headers["authorization"]
        path = request.path_params["path"]
        return await asyncio.to_thread(fake.answer, path, headers)

    return Starlette(routes=[Route("/tlog/{path:path}", tlog)])


def fake_partner_server(fake: FakePartnerPrimary) -> AbstractContextManager[str]:
    """The fake partner server, listening; its base URL."""
    return running_app(_app(fake))
