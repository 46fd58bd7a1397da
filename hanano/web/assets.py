"""The room's static files by content hash: `room/state.js` is also served as
`room/state.<hash>.js` with immutable caching, and the page names only hashed files.

Modules import each other by plain relative names (no build step); an import map in the page
sends each resolved name to its hashed file, and `modulepreload` links fetch every module at
once instead of one level of imports per round trip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# The files the room and the field app load: hashed whenever a page names them.
ROOM_FILES = ("*.css", "room/**/*.js", "vendor/leaflet/*.js", "vendor/leaflet/*.css")
FIELD_FILES = ("field/*.js", "field/*.css", "field/*.svg")
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[a-z]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
# A module's static imports of its neighbours: `import { x } from "./y.js";`.
IMPORT = re.compile(r'^import [^;]*?from "(\.{1,2}/[^"]+\.js)";', re.MULTILINE)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@dataclass
class Assets:
    """Content hashes of the room's files, read once when the app is built."""

    root: Path
    hashes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for pattern in ROOM_FILES + FIELD_FILES:
            for path in sorted(self.root.glob(pattern)):
                self.hashes[path.relative_to(self.root).as_posix()] = _digest(path)

    def url(self, rel: str) -> str:
        digest = self.hashes.get(rel)
        if digest is None:
            return f"/static/{rel}"
        stem, dot, ext = rel.rpartition(".")
        return f"/static/{stem}.{digest}{dot}{ext}"

    def resolve(self, rel: str) -> Path | None:
        """The file behind a hashed name, if the hash is its current content's."""
        match = HASHED.match(rel)
        if match is None:
            return None
        plain = match["stem"] + match["ext"]
        if self.hashes.get(plain) != match["hash"]:
            return None
        return self.root / plain

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
