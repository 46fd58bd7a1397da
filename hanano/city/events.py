"""Events of the city: its zones and the names people use for them."""

from __future__ import annotations

from typing import Any, ClassVar

from hanano.events import (
    EVERYONE,
    OPERATIONAL,
    Audience,
    Event,
    readable_by,
    register,
)


@register
class NeighbourhoodImported(Event):
    """A zone of the city: names, OCHA P-code and polygon (GeoJSON geometry)."""

    type: ClassVar[str] = "city.neighbourhood_imported"
    audience: ClassVar[Audience] = readable_by(EVERYONE)
    pcode: str
    name_en: str
    name_ar: str
    geometry: dict[str, Any]


@register
class AliasAdded(Event):
    """Another name people use for a place inside a neighbourhood."""

    type: ClassVar[str] = "city.alias_added"
    audience: ClassVar[Audience] = OPERATIONAL
    alias: str
    pcode: str
