"""When an aircraft may reach a zone: the operation's window, and the public one."""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import Point

from hanano.warning.tracks import Profile

# What a public alert may say of when an aircraft can reach a zone. Exact windows, computed from
# the track's estimate and its uncertainty, let anyone fit the estimate back to metres and read
# its uncertainty, which for a bearing sighting is a fixed share of the distance the spotter
# gave: with the aircraft's true place, that puts the post on a circle. So the public window is
# computed from the centre of the grid cell the estimate falls in, with a fixed uncertainty,
# and widened to whole minutes: it says no more than the cell, and nothing of the sighting.
PUBLIC_CELL_M = 2000.0
PUBLIC_SIGMA_M = 1500.0


def public_window(zone: Any, here: Point, p: Profile) -> tuple[int, int]:
    cell = Point(
        (math.floor(here.x / PUBLIC_CELL_M) + 0.5) * PUBLIC_CELL_M,
        (math.floor(here.y / PUBLIC_CELL_M) + 0.5) * PUBLIC_CELL_M,
    )
    lo, hi = eta_window(zone, cell, PUBLIC_SIGMA_M, p)
    return 60 * math.floor(lo / 60), 60 * math.ceil(hi / 60)


def eta_window(zone: Any, here: Point, sigma: float, p: Profile) -> tuple[float, float]:
    """When the aircraft may reach the zone: its nearest edge at top speed, its far side at the
    slowest speed, each widened by twice the position's uncertainty (seconds)."""
    distance = zone.plane.distance(here)
    far = distance + math.sqrt(zone.plane.area / math.pi) * 2
    return max(0.0, distance - 2 * sigma) / p.max_mps, (far + 2 * sigma) / p.min_mps
