"""Real headless Chromium (Debian's package) driven by Playwright, offline but for localhost."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# A run per backend may go on at once (make unit): each keeps its own screenshots.
ARTIFACTS = (
    Path(__file__).resolve().parents[2]
    / "test-artifacts"
    / os.environ.get("HANANO_TEST_BACKEND", "sqlite")
)


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def offline(route: Any) -> None:
    """Let requests to this machine through and abort everything else: the page must work with
    no network at all."""
    host = urlsplit(route.request.url).hostname
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """A factory of pages, each in its own browser context (its own cookies), offline."""
    contexts = []

    def make(width: int = 1440, height: int = 900) -> Any:
        context = chromium.new_context(
            viewport={"width": width, "height": height},
            timezone_id="Asia/Damascus",
            # Only so the tests may evaluate their own waits; the page itself needs no eval.
            bypass_csp=True,
        )
        context.route("**/*", offline)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
