"""Photos for media tests, and the records the access matrix needs for the media endpoints."""

import hashlib
import os

from fastapi.testclient import TestClient

from hanano.evidence import note
from tests.helpers import auth

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def photo(size: int = 2000, seed: int = 0) -> bytes:
    """Bytes that begin like a JPEG; the rest differs per seed, so each is a distinct file."""
    body = hashlib.sha256(seed.to_bytes(8, "big")).digest() * (size // 32 + 1)
    return (JPEG_HEAD + body)[:size]


def media_photo() -> bytes:
    """A photo no other call has made: uploads of the same bytes are refused as duplicates."""
    return JPEG_HEAD + os.urandom(256)


def media_names(client: TestClient, token: str, incident_id: str) -> dict[str, str]:
    """An uploaded photo's hash and a fresh device key, for the matrix's path templates."""
    answer = client.post(
        "/api/v1/media",
        data={"incident_id": incident_id},
        files={"file": ("photo.jpg", media_photo(), "image/jpeg")},
        headers=auth(token),
    )
    assert answer.status_code == 201, answer.text
    return {"media": answer.json()["sha256"], "device_key": note.generate_key("phone")[1]}
