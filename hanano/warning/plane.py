"""A local plane in metres east and north of a point: good to a few metres across a city."""

from __future__ import annotations

import json
import math
from typing import Any

from hanano.store.log import canonical_bytes

M_PER_DEG_LAT = 111_320.0


def to_plane(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north of (lat0, lon0)."""
    east = (lon - lon0) * M_PER_DEG_LAT * math.cos(math.radians(lat0))
    north = (lat - lat0) * M_PER_DEG_LAT
    return east, north


def from_plane(lat0: float, lon0: float, east: float, north: float) -> tuple[float, float]:
    """The latitude and longitude `east`, `north` metres from (lat0, lon0)."""
    lat = lat0 + north / M_PER_DEG_LAT
    lon = lon0 + east / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return lat, lon


def bearing_vector(bearing_deg: float) -> tuple[float, float]:
    """Unit vector (east, north) of a compass bearing (0 north, 90 east)."""
    rad = math.radians(bearing_deg)
    return math.sin(rad), math.cos(rad)


def compass(east: float, north: float) -> float:
    """Compass bearing of a vector, 0 to 360."""
    return math.degrees(math.atan2(east, north)) % 360.0


def logged_json(event: Any, *path: str) -> str:
    """A field of a recorded event as JSON text spelled as the log spells it (through its RFC
    8785 canonical bytes), so live and rebuilt projections store the same text: the live value
    holds 1.0 where the log, and so a rebuild, holds 1. The value is taken from the event's data,
    not its leaf, where a sealed field stands only as its commitment."""
    value = event.data
    for key in path:
        value = value[key]
    value = json.loads(canonical_bytes(value))
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
