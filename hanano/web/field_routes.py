"""The field app: an installable page at `/field/` for reporters, spotters and team leaders on
their phones, with a service worker that keeps its files so it opens with the network down.

Like the operations room, the page is static and holds no data: what it shows comes from the
JSON API under the phone's own token, so it reads only what that token may read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from hanano.web.assets import Assets
from hanano.web.ui_routes import CSP, STATIC

router = APIRouter(tags=["field app"])
ENTRY = "field/main.js"
# The page may show a photo it has just taken (a blob: URL) before it is sent.
FIELD_CSP = CSP.replace("img-src 'self' data:", "img-src 'self' data: blob:")
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class FieldApp:
    """The page with its import map, and the service worker naming every file it keeps."""

    html: str
    import_map_source: str
    worker: str


def _looks(rel: str) -> bool:
    """The styles and pictures the page shows: the room's base style, the app's own."""
    return rel == "ops.css" or (rel.startswith("field/") and rel.endswith((".css", ".svg")))


def build(assets: Assets) -> FieldApp:
    modules = assets.modules_from(ENTRY)
    html, source = assets.page((STATIC / "field" / "index.html").read_text("utf-8"), modules)
    kept = sorted(
        {
            "/field/",
            "/static/field/manifest.webmanifest",
            *(assets.url(rel) for rel in modules),
            *(assets.url(rel) for rel in assets.hashes if _looks(rel)),
        }
    )
    # The cache is named by what it holds: a new release is a new cache, and the old is dropped.
    # The manifest keeps its plain name (browsers look for it there), so its content counts too.
    manifest = (STATIC / "field" / "manifest.webmanifest").read_text("utf-8")
    version = hashlib.sha256((html + manifest + "\n".join(kept)).encode()).hexdigest()[:12]
    template = (STATIC / "field" / "sw.js.in").read_text("utf-8")
    worker = template.replace("/* VERSION */", json.dumps(version)).replace(
        "/* FILES */", json.dumps(kept)
    )
    return FieldApp(html, source, worker)


@router.get("/field/", response_class=HTMLResponse)
def field_page(request: Request) -> HTMLResponse:
    """The field app (HTML, no data): install it from here; it keeps working offline."""
    app: FieldApp = request.app.state.field_app
    return HTMLResponse(
        app.html,
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": f"{FIELD_CSP}; script-src 'self' {app.import_map_source}",
            **HEADERS,
        },
    )


@router.get(
    "/field/sw.js",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {"schema": {"type": "string"}}}}},
)
def field_worker(request: Request) -> Response:
    """The field app's service worker (JavaScript): it keeps the app's files, never data."""
    app: FieldApp = request.app.state.field_app
    return Response(
        app.worker,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", **HEADERS},
    )


def install(app: FastAPI, assets: Assets) -> None:
    app.state.field_app = build(assets)
    app.include_router(router)
