"""Travel times from many teams to one place: by road when a graph is imported, else by the
straight line stretched by a detour factor at a configured speed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hanano.geo.distance import haversine_m
from hanano.settings import Settings


@dataclass(frozen=True)
class Leg:
    seconds: float
    metres: float
    via: str  # "by road", "by straight line"
    # The search stopped before reaching this origin: `seconds` is a lower bound.
    at_least: bool = False


class Router(Protocol):
    def legs_to(
        self,
        lat: float,
        lon: float,
        origins: Sequence[tuple[float, float]],
        *,
        penalties: Sequence[float] | None = None,
        enough: int | None = None,
    ) -> list[Leg]:
        """The leg from each origin to the place. With `enough`, a router may stop early once
        that many origins have exact legs whose seconds plus `penalties` (what the caller will
        add to each leg's time when ranking) are no more than any other origin's could be;
        the others then get lower bounds (`at_least`). Without it, every leg is exact."""
        ...


class StraightLine:
    """Distance as the crow flies times a detour factor, at a fixed speed."""

    def __init__(self, speed_kmh: float, detour: float) -> None:
        self.speed_ms = speed_kmh / 3.6
        self.detour = detour

    @classmethod
    def from_settings(cls, settings: Settings) -> StraightLine:
        return cls(settings.road_speed_kmh, settings.detour_factor)

    def legs_to(
        self,
        lat: float,
        lon: float,
        origins: Sequence[tuple[float, float]],
        *,
        penalties: Sequence[float] | None = None,
        enough: int | None = None,
    ) -> list[Leg]:
        legs = []
        for o_lat, o_lon in origins:
            metres = haversine_m(o_lat, o_lon, lat, lon) * self.detour
            legs.append(Leg(metres / self.speed_ms, metres, "by straight line"))
        return legs
