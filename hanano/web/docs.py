"""The API's interactive docs at /docs: Swagger UI from vendored files, nothing from elsewhere.

The page is static; its script reads /openapi.json from this server. The Content-Security-Policy
tells the browser to load nothing from another origin either.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse

from hanano.web.ui_routes import STATIC

# Swagger UI sets inline styles and draws its icons as data: images.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def install(app: FastAPI) -> None:
    """Serve /docs (the vendored files themselves are under /static)."""

    async def swagger_ui() -> FileResponse:
        return FileResponse(
            STATIC / "docs.html",
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    app.add_api_route("/docs", swagger_ui, include_in_schema=False, response_class=FileResponse)
