"""Where the lead time was won: for each warned strike, the cue that first put the aircraft that
warned of it on the map.

The alert that opened a strike's warning episode names its threats; a track's first sighting
says what the spotter saw first (a take-off from an air base, a bearing from a post, an aircraft
over or circling a neighbourhood). Strikes are grouped by the first cue of the earliest of those
tracks; an alert raised by no track (an operator's, a foreign agency's) counts as "other". A
take-off whose track stood on its base's learned routes when the alert was raised (its latest
assessment says so) counts as "learned_route": the lead its routes won.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

TRACK_STARTED = "warning.track_started"
SIGHTING = "warning.sighting_reported"
ALERT = "warning.alert_issued"
ASSESSED = "warning.threat_assessed"
LEARNED_ROUTE = "learned_route"


def _shape(data: dict[str, Any]) -> str | None:
    parts = data.get("reason_parts") or {}
    shape = parts.get("shape") or {}
    code = shape.get("code")
    return code if isinstance(code, str) else None


def first_cues(events: Iterable[Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each track's first cue (by its order of starting), and each alert's threats; a threat
    on its base's learned routes when the alert was raised is named as `threat:learned_route`."""
    activity: dict[str, str] = {}
    cues: dict[str, str] = {}
    threats: dict[str, list[str]] = {}
    routed: set[str] = set()
    for e in events:
        if e.type == SIGHTING:
            activity[e.data["sighting_id"]] = e.data.get("activity") or "unknown"
        elif e.type == TRACK_STARTED:
            cues[e.data["track_id"]] = activity.get(e.data["sighting_id"], "unknown")
        elif e.type == ASSESSED and _shape(e.data) == "route":
            routed.add(e.data["threat_id"])
        elif e.type == ASSESSED:
            routed.discard(e.data["threat_id"])
        elif e.type == ALERT:
            named = list(e.data.get("threat_ids") or [])
            on_routes = [f"{t}:{LEARNED_ROUTE}" for t in named if t in routed]
            threats[e.data["alert_id"]] = named + on_routes
    return cues, threats


def _track_number(track_id: str) -> int:
    digits = track_id.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else 1 << 30


def lead_by_cue(rows: list[dict[str, Any]], events: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Per first cue: how many warned strikes it led to, and their median and mean lead (s)."""
    cues, threats = first_cues(events)
    leads: dict[str, list[float]] = {}
    for row in rows:
        if not row["warned"] or row["lead_s"] is None:
            continue
        named = threats.get(row["alert_id"], [])
        tracks = sorted((t for t in named if t in cues), key=_track_number)
        cue = cues[tracks[0]] if tracks else "other"
        if tracks and f"{tracks[0]}:{LEARNED_ROUTE}" in named:
            cue = LEARNED_ROUTE
        leads.setdefault(cue, []).append(float(row["lead_s"]))
    return {
        cue: {
            "strikes": len(found),
            "median_lead_s": statistics.median(found),
            "mean_lead_s": statistics.fmean(found),
        }
        for cue, found in sorted(leads.items())
    }


def cue_line(by_cue: dict[str, dict[str, float]]) -> str:
    parts = [
        f"{cue} {v['strikes']:.0f} strikes (median lead {v['median_lead_s']:.0f}s)"
        for cue, v in by_cue.items()
    ]
    return "lead won by first cue: " + ("; ".join(parts) if parts else "no strike warned")
