"""The room's page names its whole module graph up front: a `modulepreload` for each module that
main.js reaches through its imports, by its content-hashed name, so that a slow link fetches
them all at once instead of one level of imports per round trip. The links are generated from
the files; this checks that they are exactly the graph, with no module left out or dead."""

from __future__ import annotations

import json
import posixpath
import re

from fastapi.testclient import TestClient

from hanano.web.ui_routes import STATIC

# `import … from "./x.js"`, `export … from "./x.js"`, `import "./x.js"` and `import("./x.js")`.
IMPORT = re.compile(r'(?:\bfrom|\bimport)\s*\(?\s*"(\.\.?/[^"]+\.js)"')
HASHED = re.compile(r"^/static/(?P<stem>.+)\.[0-9a-f]{12}\.js$")
LEAFLET = re.compile(r'<script src="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js"[^>]*>')
IMPORT_MAP = re.compile(r'<script type="importmap">(.+?)</script>')


def _module_graph(entry: str) -> set[str]:
    """Every module `entry` reaches by its imports, as paths under static/."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        source = (STATIC / rel).read_text(encoding="utf-8")
        for target in IMPORT.findall(source):
            found = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            assert (STATIC / found).is_file(), f"{rel} imports {target}, which is missing"
            todo.append(found)
    return seen


def test_the_page_preloads_exactly_the_module_graph(client: TestClient) -> None:
    graph = _module_graph("room/main.js")
    files = {p.relative_to(STATIC).as_posix() for p in (STATIC / "room").rglob("*.js")}
    assert files == graph, f"modules main.js never reaches: {sorted(files - graph)}"
    page = client.get("/").text
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    named = set()
    for href in preloads:
        match = HASHED.match(href)
        assert match is not None, f"{href} is not named by its content"
        named.add(f"{match['stem']}.js")
    assert sorted(named) == sorted(graph) and len(preloads) == len(graph)
    # Each module's imports resolve to the same hashed name that was preloaded.
    found = IMPORT_MAP.search(page)
    assert found is not None
    import_map = json.loads(found[1])
    assert set(import_map["imports"].values()) == set(preloads)
    # The map's library, which the modules wait for, is asked for before them.
    leaflet = LEAFLET.search(page)
    assert leaflet is not None and 'fetchpriority="high"' in leaflet[0]
    assert leaflet.start() < page.index('rel="modulepreload"')


def test_a_hashed_file_is_gzipped_only_for_a_client_that_accepts_gzip(client: TestClient) -> None:
    page = client.get("/").text
    href = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)[0]
    plain = (STATIC / re.sub(r"\.[0-9a-f]{12}\.js$", ".js", href[len("/static/") :])).read_bytes()
    for accept, zipped in [
        ("gzip", True),
        ("br, GZIP;q=0.5", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),  # RFC 9110 12.5.3: q=0 is "not acceptable"
        ("gzip; q=0.000, identity", False),
        ("*;q=0, identity", False),
        ("x-gzip-not, identity", False),
    ]:
        answer = client.get(href, headers={"Accept-Encoding": accept})
        assert answer.status_code == 200
        assert (answer.headers.get("content-encoding") == "gzip") is zipped, accept
        assert answer.content == plain, accept


def test_the_pages_are_served_only_by_their_routes(client: TestClient) -> None:
    # A page's template under /static/ would run without the Content-Security-Policy and the
    # frame-ancestors its route sends, framed by any site; its files are served as before.
    for page in ("index.html", "docs.html", "field/index.html", "FIELD/../index.html"):
        assert client.get(f"/static/{page}").status_code == 404, page
    assert client.get("/").headers["content-security-policy"]
    script = client.get("/static/room/main.js")
    assert script.status_code == 200 and script.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/field/manifest.webmanifest").status_code == 200
