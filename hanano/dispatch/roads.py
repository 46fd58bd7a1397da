"""Roads: a drivable graph imported from OpenStreetMap, closures, and travel times."""

from __future__ import annotations

from sqlalchemy import Connection

from hanano.dispatch.travel import Router
from hanano.settings import Settings


def road_router(conn: Connection, settings: Settings) -> Router | None:
    return None
