"""A local plane in metres east and north of a point: good to a few metres across a city."""

from __future__ import annotations

import math
from typing import Any

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


def canonical_json(value: Any) -> str:
    """JSON as the log spells it (RFC 8785), so live and rebuilt projections store the same text:
    the log writes 1.0 as 1, which a plain dump of the live value would not."""
    import rfc8785

    return bytes(rfc8785.dumps(value)).decode()
