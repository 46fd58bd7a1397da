"""Helpers for early-warning tests: bodies, posts, bases, the CAP schema."""

import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import xmlschema

from hanano.access.tokens import create_token
from hanano.service import Service
from hanano.warning.cap import schema_path
from hanano.warning.posts import register_aleppo_bases, register_post

# An observation post on the eastern edge of the city, looking east towards Kuweires.
EAST_POST = (36.2050, 37.2300)
HANANO_PCODE = "N0129"


def sighting_body(at: datetime, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "observed_at": (at - timedelta(seconds=20)).isoformat(),
        "aircraft": "helicopter",
        "activity": "over",
        "pcode": HANANO_PCODE,
    }
    body.update(fields)
    return body


def setup_posts(service: Service) -> None:
    service.execute(lambda tx: register_aleppo_bases(tx, "test"))
    service.execute(lambda tx: register_post(tx, "test", "east-1", "Abu Khaled's roof", *EAST_POST))


def spotter_at(service: Service, post_id: str = "east-1") -> str:
    """A spotter token bound to its observation post (a spotter reports from its own post)."""
    return service.execute(
        lambda tx: create_token(tx, "test", "spotter", f"spotter at {post_id}", post=post_id)
    ).secret


@cache
def cap_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(schema_path())
