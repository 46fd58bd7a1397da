"""Where the lead time was won: for each warned strike, the cue that first put the aircraft that
warned of it on the map.

The alert that opened a strike's warning episode names its threats; a track's first sighting
says what the spotter saw first (a take-off from an air base, a bearing from a post, an aircraft
over or circling a neighbourhood). Strikes are grouped by the first cue of the earliest of those
tracks; an alert raised by no track (an operator's, a foreign agency's) counts as "other". A
take-off whose base's learned routes lifted the strike's zone to the level that alert raised it
to (the track's assessment names the zones its routes lifted above what no heading would have
given) counts as "learned_route": lead the routes won. A take-off on routes that lifted other
zones, but not the struck one, still counts as "took_off".
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
# Per alert, per track it names, the zones that track's learned routes lifted.
Lifted = dict[str, dict[str, set[str]]]


def _lifted(data: dict[str, Any]) -> set[str] | None:
    """The zones an assessment's learned routes lifted; None when it stood on no routes."""
    shape = (data.get("reason_parts") or {}).get("shape") or {}
    if shape.get("code") != "route":
        return None
    return set(shape.get("raised") or [])


def first_cues(events: Iterable[Any]) -> tuple[dict[str, str], dict[str, list[str]], Lifted]:
    """Each track's first cue (by its order of starting), each alert's threats, and the zones
    learned routes had lifted, for the tracks it names, when it was raised."""
    activity: dict[str, str] = {}
    cues: dict[str, str] = {}
    threats: dict[str, list[str]] = {}
    routed: dict[str, set[str]] = {}
    lifted: Lifted = {}
    for e in events:
        if e.type == SIGHTING:
            activity[e.data["sighting_id"]] = e.data.get("activity") or "unknown"
        elif e.type == TRACK_STARTED:
            cues[e.data["track_id"]] = activity.get(e.data["sighting_id"], "unknown")
        elif e.type == ASSESSED:
            raised = _lifted(e.data)
            if raised is None:
                routed.pop(e.data["threat_id"], None)
            else:
                routed[e.data["threat_id"]] = raised
        elif e.type == ALERT:
            named = list(e.data.get("threat_ids") or [])
            threats[e.data["alert_id"]] = named
            lifted[e.data["alert_id"]] = {t: routed[t] for t in named if t in routed}
    return cues, threats, lifted


def _track_number(track_id: str) -> int:
    digits = track_id.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else 1 << 30


def lead_by_cue(rows: list[dict[str, Any]], events: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Per first cue: how many warned strikes it led to, and their median and mean lead (s)."""
    cues, threats, lifted = first_cues(events)
    leads: dict[str, list[float]] = {}
    for row in rows:
        if not row["warned"] or row["lead_s"] is None:
            continue
        tracks = sorted(
            (t for t in threats.get(row["alert_id"], []) if t in cues), key=_track_number
        )
        cue = cues[tracks[0]] if tracks else "other"
        if tracks and row.get("pcode") in lifted.get(row["alert_id"], {}).get(tracks[0], ()):
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
