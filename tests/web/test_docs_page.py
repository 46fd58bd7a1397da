"""/docs loads nothing from another origin: Swagger UI is vendored, with its licence."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from hanano.web.ui_routes import STATIC


class References(HTMLParser):
    """Every URL the page makes the browser fetch or run."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attribute in ("src", "href", "data-openapi-url"):
            if named.get(attribute):
                self.urls.append(str(named[attribute]))
        self._in_script = tag == "script" and not named.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_docs_page_references_only_same_origin_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    found = References()
    found.feed(page.text)
    assert found.inline_scripts == 0
    assert any(u.endswith("swagger-ui-bundle.js") for u in found.urls)
    for url in found.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    script = client.get("/static/docs.js").text
    assert not re.search(r"https?://", script)


def test_swagger_ui_ships_with_its_licence_and_redoc_is_gone(client: TestClient) -> None:
    vendored = STATIC / "vendor" / "swagger-ui"
    assert "Apache License" in (vendored / "LICENSE").read_text(encoding="utf-8")
    assert (vendored / "VERSION").read_text(encoding="utf-8").strip()
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_the_document_declares_its_problem_responses(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            # A refusal is a problem; OpenRosa's may also be an OpenRosaResponse (XML).
            content = dict(responses["422"]["content"])
            if path.startswith("/openrosa/"):
                assert content.pop("text/xml") == {}, (method, path)
            assert content == problem, (method, path)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert {"413", "415"} <= set(responses), (method, path)
    reports = document["paths"]["/api/v1/reports"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415", "422"} <= set(reports)
    assert "429" in document["paths"]["/api/v1/session"]["post"]["responses"]
    assert "401" not in document["paths"]["/api/v1/health"]["get"]["responses"]
