"""The room's static files by content hash: `room/state.js` is also served as
`room/state.<hash>.js` with immutable caching, and the page names only hashed files.

Modules import each other by plain relative names (no build step); an import map in the page
sends each resolved name to its hashed file, and `modulepreload` links fetch every module at
once instead of one level of imports per round trip.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from starlette.types import ASGIApp, Receive, Scope, Send

# The files the room and the field app load: hashed whenever a page names them.
ROOM_FILES = ("*.css", "room/**/*.js", "vendor/leaflet/*.js", "vendor/leaflet/*.css")
FIELD_FILES = ("field/*.js", "field/*.css", "field/*.svg")
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[a-z]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
# A module's static imports of its neighbours: `import { x } from "./y.js";`.
IMPORT = re.compile(r'^import [^;]*?from "(\.{1,2}/[^"]+\.js)";', re.MULTILINE)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:12]


@dataclass
class Assets:
    """Content hashes of the room's files, read once when the app is built."""

    root: Path
    hashes: dict[str, str] = field(default_factory=dict)
    # Each hashed file's bytes as hashed, and gzipped once: what its hashed name always serves.
    bodies: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for pattern in ROOM_FILES + FIELD_FILES:
            for path in sorted(self.root.glob(pattern)):
                rel = path.relative_to(self.root).as_posix()
                body = path.read_bytes()
                self.hashes[rel] = _digest(body)
                self.bodies[rel] = (body, gzip.compress(body, 9, mtime=0))

    def url(self, rel: str) -> str:
        digest = self.hashes.get(rel)
        if digest is None:
            return f"/static/{rel}"
        stem, dot, ext = rel.rpartition(".")
        return f"/static/{stem}.{digest}{dot}{ext}"

    def hashed_body(self, rel: str) -> tuple[str, tuple[bytes, bytes]] | None:
        """The plain name and bytes (plain, gzipped) behind a hashed name, if the hash is theirs."""
        match = HASHED.match(rel)
        if match is None:
            return None
        plain = match["stem"] + match["ext"]
        if self.hashes.get(plain) != match["hash"]:
            return None
        return plain, self.bodies[plain]

    def room_modules(self) -> list[str]:
        return [rel for rel in self.hashes if rel.startswith("room/")]

    def modules_from(self, entry: str) -> list[str]:
        """The modules `entry` loads, itself included, following static imports: what a page
        that starts from it needs, and no more (the field app uses a few of the room's)."""
        found: list[str] = []
        todo = [entry]
        while todo:
            rel = todo.pop()
            if rel in found or rel not in self.hashes:
                continue
            found.append(rel)
            base = PurePosixPath(rel).parent
            source = (self.root / rel).read_text(encoding="utf-8")
            for target in IMPORT.findall(source):
                todo.append(posixpath.normpath((base / target).as_posix()))
        return sorted(found)

    def import_map(self, modules: list[str] | None = None) -> str:
        names = self.room_modules() if modules is None else modules
        imports = {f"/static/{rel}": self.url(rel) for rel in names}
        return json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)

    def page(self, html: str, modules: list[str] | None = None) -> tuple[str, str]:
        """The page with hashed names, its import map and preloads of `modules` (by default
        the room's); and the import map's CSP source (an inline script, allowed by its hash
        only)."""
        names = self.room_modules() if modules is None else modules
        for rel in self.hashes:
            html = html.replace(f'"/static/{rel}"', f'"{self.url(rel)}"')
        imports = self.import_map(names)
        preloads = "".join(f'<link rel="modulepreload" href="{self.url(rel)}">\n' for rel in names)
        block = f'<script type="importmap">{imports}</script>\n{preloads}'
        html = html.replace("<!-- assets -->\n", block, 1)
        digest = base64.b64encode(hashlib.sha256(imports.encode()).digest()).decode()
        return html, f"'sha256-{digest}'"


class HashedAssetServer:
    """Serves the hashed files from memory, ahead of the app's middleware.

    The room opens with some thirty of them at once, beside the lists it reads; each passing
    through the request guards, a file read in a thread and a fresh gzip cost the server more
    than the lists did, and the page waited on it. Their names change with their content, so
    bytes read and compressed once at start are always the right answer. Any other path goes on
    to the app."""

    def __init__(self, app: ASGIApp, assets: Assets, prefix: str = "/static/") -> None:
        self.app = app
        self.assets = assets
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        found = None
        if path.startswith(self.prefix) and scope["method"] in ("GET", "HEAD"):
            found = self.assets.hashed_body(path[len(self.prefix) :])
        if found is None:
            await self.app(scope, receive, send)
            return
        plain, (body, zipped) = found
        headers = [
            (b"content-type", _content_type(plain).encode()),
            (b"cache-control", IMMUTABLE.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"vary", b"Accept-Encoding"),
        ]
        if _accepts_gzip(scope):
            body = zipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.body", "body": body})


def _content_type(name: str) -> str:
    if name.endswith(".js"):
        return "text/javascript; charset=utf-8"
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def _accepts_gzip(scope: Scope) -> bool:
    """Whether the client's Accept-Encoding takes gzip: named, or by `*`, with a weight above
    0 (RFC 9110 12.5.3: `gzip;q=0` refuses it)."""
    weights: dict[str, float] = {}
    for key, value in scope.get("headers", ()):
        if key == b"accept-encoding":
            for item in value.decode("latin-1").lower().split(","):
                coding, *params = (part.strip() for part in item.split(";"))
                weights[coding] = _weight(params)
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
