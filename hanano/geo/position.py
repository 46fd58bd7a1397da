"""Whether a position can be a place in the city: finite, on the globe, not 0,0, and within the
configured margin of the city's zones.

0,0 is what a phone or radio sends when it has no fix; taken for a team's base or a hospital, it
would put them in the Gulf of Guinea and every travel time with them. With no zones loaded there
is no extent to compare against, so only the first three rules apply.
"""

from __future__ import annotations

import math

from hanano.city.model import City
from hanano.errors import FieldError, Problem


def coordinate_faults(
    lat: float, lon: float, lat_field: str = "lat", lon_field: str = "lon"
) -> list[FieldError]:
    """Latitude and longitude must be finite numbers in range."""
    errors = []
    for field, value, limit in ((lat_field, lat, 90.0), (lon_field, lon, 180.0)):
        if not (math.isfinite(value) and -limit <= value <= limit):
            message = f"must be a finite number from -{limit:g} to {limit:g}"
            errors.append(FieldError(field, message))
    return errors


def position_faults(
    city: City,
    margin_km: float,
    lat: float,
    lon: float,
    lat_field: str = "lat",
    lon_field: str = "lon",
) -> list[FieldError]:
    """What is wrong with a position given for a place in the city (empty when nothing is)."""
    errors = coordinate_faults(lat, lon, lat_field, lon_field)
    if errors:
        return errors
    if lat == 0 and lon == 0:
        return [FieldError(lat_field, "0,0 is what a device sends without a fix, not a place")]
    outside = city.distance_outside_m(lat, lon)
    if outside > margin_km * 1000:
        return [
            FieldError(
                lat_field,
                f"the point lies {outside / 1000:.0f} km outside the city (limit {margin_km:g} km)",
            )
        ]
    return []


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise Problem(422, "Invalid position", detail, errors)


def check_position(
    city: City,
    margin_km: float,
    lat: float,
    lon: float,
    lat_field: str = "lat",
    lon_field: str = "lon",
) -> None:
    """Refuse (422 naming the field) a position that cannot be a place in the city."""
    _refuse(position_faults(city, margin_km, lat, lon, lat_field, lon_field))


def check_area(
    lat: float | None, lon: float | None, radius_m: float, polygons: list[list[list[float]]]
) -> None:
    """An area (a threat's) as a point with a radius, or zones of [lon, lat] points: finite and
    on the globe. A threat may lie outside the city (a foreign agency's zone), so the city's
    bounds do not apply."""
    if (lat is None) != (lon is None):
        _refuse([FieldError("lat", "lat and lon must be given together")])
    if lat is None and not polygons:
        _refuse([FieldError("polygon", "give a point with a radius, or a zone")])
    if not (math.isfinite(radius_m) and radius_m >= 0):
        _refuse([FieldError("radius_m", "must be a finite number of metres, 0 or more")])
    if lat is not None and lon is not None:
        _refuse(coordinate_faults(lat, lon))
        if radius_m <= 0:
            _refuse([FieldError("radius_m", "a point threat needs a radius above 0")])
    for ring in polygons:
        if len(ring) < 3 or any(len(p) != 2 for p in ring):
            _refuse([FieldError("polygon", "a zone needs at least three [lon, lat] points")])
        for number, (p_lon, p_lat) in enumerate(ring):
            _refuse(coordinate_faults(p_lat, p_lon, f"polygon.{number}.1", f"polygon.{number}.0"))
