"""The API's docs page works with no network: Swagger UI from the vendored files, under its
Content-Security-Policy (not bypassed here)."""

from __future__ import annotations

from typing import Any

from hanano.service import Service
from tests.helpers_server import running_server
from tests.ui.conftest import offline, shot


def test_the_docs_page_lists_the_operations_offline(chromium: Any, aleppo: Service) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", offline)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: refused.append(r.url))
    try:
        with running_server(aleppo) as base:
            page.goto(base + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert "/api/v1/reports" in " ".join(paths)
            assert len(paths) > 80
            shot(page, "docs")
    finally:
        context.close()
    assert refused == []
