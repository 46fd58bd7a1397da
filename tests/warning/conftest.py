"""Fixtures of early-warning tests: a fake partner agency's web server (an outside party)."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.helpers_server import free_port


class FakePartner(BaseHTTPRequestHandler):
    """Another agency's web server, outside hanano."""

    pages: dict[str, tuple[int, bytes, str]]
    hits: dict[str, int]
    not_modified: int

    def do_GET(self) -> None:
        cls = type(self)
        cls.hits[self.path] = cls.hits.get(self.path, 0) + 1
        status, body, etag = cls.pages.get(self.path, (404, b"", ""))
        if etag and self.headers.get("If-None-Match") == etag:
            cls.not_modified += 1
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def partner() -> Iterator[tuple[str, type[FakePartner]]]:
    handler = type(
        "FakePartnerAgency", (FakePartner,), {"pages": {}, "hits": {}, "not_modified": 0}
    )
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
