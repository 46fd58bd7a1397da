"""The QR code that sets up ODK Collect or KoboCollect for hanano in one scan.

Collect reads its settings from a QR code holding base64(zlib(JSON)), the JSON having a
"general" section (the server), an "admin" one and a "project" one. The server is the phone's
OpenRosa address, token included: the code is a credential, to be handed over like the token.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

import segno

from hanano.errors import invalid
from hanano.field.openrosa import PREFIX


def settings(base_url: str, token: str, name: str) -> dict[str, object]:
    if not base_url.startswith(("https://", "http://")):
        raise invalid("url", "must be the server's http(s) address, e.g. https://hanano.example")
    return {
        "general": {
            "server_url": f"{base_url.rstrip('/')}{PREFIX}/{token}",
            # The phone keeps exactly the forms its role is handed, and sends each one as soon
            # as any network allows.
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {"change_server": False},
        "project": {"name": name, "icon": "H", "color": "#b3261e"},
    }


def payload(config: dict[str, object]) -> str:
    """What the QR code carries."""
    packed = zlib.compress(json.dumps(config, ensure_ascii=False).encode("utf-8"), 9)
    return base64.b64encode(packed).decode("ascii")


def write(text: str, out: Path) -> None:
    """Write the QR code as an image; its kind (.svg, .png) from the file's suffix."""
    kind = out.suffix.lower().removeprefix(".")
    if kind not in ("svg", "png"):
        raise invalid("out", "must end in .svg or .png")
    code = segno.make(text, micro=False, error="m")
    # The code holds the token: readable by its owner alone, like the log's key.
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        code.save(file, kind=kind, scale=6, border=4)
