"""What ODK Collect sends: its headers, and a filled-in form as the multipart body it posts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

# The headers ODK Collect (v2024.3) sends with every OpenRosa request.
COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "Dalvik/2.1.0 (Linux; U; Android 13) org.odk.collect.android/v2024.3.1",
    "Accept-Encoding": "gzip,deflate",
    "Date": "Mon, 25 Nov 2026 10:00:00 GMT",
}


def base(token: str) -> str:
    return f"/openrosa/key/{token}/"


def instance(form_id: str, fields: dict[str, Any], instance_id: str | None = None) -> bytes:
    """A filled-in form as Collect writes it: the form's root, its answers, meta/instanceID."""
    iid = instance_id or f"uuid:{uuid.uuid4()}"
    body = "".join(
        f"<{name}/>" if value is None else f"<{name}>{value}</{name}>"
        for name, value in fields.items()
    )
    return (
        "<?xml version='1.0' ?>"
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{form_id}" version="2026120701">{body}'
        f"<meta><instanceID>{iid}</instanceID></meta></data>"
    ).encode()


def report_xml(at: datetime, instance_id: str | None = None, **fields: Any) -> bytes:
    answers: dict[str, Any] = {
        "kind": "strike",
        "location": None,
        "observed_at": at.isoformat(timespec="milliseconds"),
        "text": None,
        "trapped": None,
        "casualties": None,
        "photo": None,
    }
    answers.update(fields)
    return instance("hanano_report", answers, instance_id)


def submit(
    client: TestClient,
    token: str,
    xml: bytes,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> Any:
    """POST the form as Collect does: `xml_submission_file` first, then each attachment."""
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("xml_submission_file", ("submission.xml", xml, "text/xml"))
    ]
    for name, data, media_type in attachments or []:
        files.append((name, (name, data, media_type)))
    return client.post(base(token) + "submission", files=files, headers=COLLECT_HEADERS)
