"""What warnings cost, beside what they catch: how many zones an alert names, how many zone
episodes and zone-minutes under warning each strike brings, the team-minutes pull-backs take
from rescues, and how much of the crews' exposure to follow-up strikes they remove.

Zones per alert count the alerts at warning level (not imminent, which names the zone an
aircraft circles over, nor watch). Exposure is the rescuer-minutes on a site when a follow-up
strike hits it (crews.py `exposure`); its cut is measured against the same crews on the same day
with no warnings or watches, so none is ever pulled back.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from hanano.sim.crews import Crews, exposure


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = share * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def alert_sizes(alerts: list[dict[str, Any]]) -> dict[str, float]:
    sizes = [float(len(a["zones"])) for a in alerts if a["level"] == "warning"]
    return {
        "warning_alerts": len(sizes),
        "zones_per_alert_median": statistics.median(sizes) if sizes else 0.0,
        "zones_per_alert_p90": percentile(sizes, 0.90),
    }


def zone_load(
    spans: Iterable[tuple[datetime, datetime | None]], strikes: int, end: datetime | None
) -> dict[str, float]:
    """Zone episodes and zone-minutes at warning or imminent per strike; an episode still open
    at the end of the replay counts up to `end`."""
    count, minutes = 0, 0.0
    for start, stop in spans:
        count += 1
        closed = stop or end or start
        minutes += max((closed - start).total_seconds(), 0.0) / 60
    return {
        "episodes_per_strike": count / strikes if strikes else 0.0,
        "zone_minutes_per_strike": minutes / strikes if strikes else 0.0,
    }


def crew_costs(
    with_system: Crews, without: Crews, hits: list[tuple[str, datetime]]
) -> dict[str, Any]:
    """Team-minutes lost to pull-backs and the exposure to follow-ups, against no system."""
    exposed = exposure(with_system.presence, hits)
    baseline = exposure(without.presence, hits)
    return {
        "teams": len(with_system.teams),
        "follow_ups": len(hits),
        "pulled_back_team_min": with_system.lost_minutes(),
        "pull_backs_held": len(with_system.holds),
        "exposure_rescuer_min": exposed,
        "exposure_without_system_rescuer_min": baseline,
        # No exposure without a system (no follow-up found a crew): nothing to cut.
        "exposure_cut_pct": 100.0 * (1 - exposed / baseline) if baseline else 0.0,
    }
