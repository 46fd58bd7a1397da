"""Why a track threatens what it does, in English and in parts (a code and its values) from
which the operations room words it in the reader's language."""

from __future__ import annotations

from typing import Any

from hanano.settings import Settings
from hanano.warning.threat_model import Fix
from hanano.warning.tracks import LiveTrack

COUNTED = ("watch", "warning", "imminent")


def threat_reason(
    track: LiveTrack,
    what: str,
    fix: Fix,
    speed: float,
    zones: list[dict[str, Any]],
    chances: dict[str, float],
    cfg: Settings,
) -> tuple[str, dict[str, Any]]:
    """Why, in English and in parts (a code and its values) for the room's languages."""
    counts = {lv: sum(1 for z in zones if z["level"] == lv) for lv in COUNTED}
    shape: dict[str, Any]
    if fix.hovering:
        how, shape = "hovering", {"code": "hovering"}
    elif fix.heading is None:
        how, shape = "no usable heading", {"code": "no_heading"}
    else:
        how, shape = (
            f"heading {fix.heading:.0f}°",
            {"code": "heading", "heading_deg": round(fix.heading)},
        )
    top = max(chances.values(), default=0.0)
    text = (
        f"{track.track_id} ({track.aircraft}, {what}) at ±{fix.sigma:.0f} m, "
        f"{speed:.0f} m/s, {how}; highest chance of a strike within "
        f"{cfg.warning_horizon_min:g} min {top:.0%}; "
        f"{counts['imminent']} imminent, {counts['warning']} warning, {counts['watch']} watch"
    )
    parts = {
        "code": "track",
        "track_id": track.track_id,
        "aircraft": track.aircraft,
        "activity": what.replace(" ", "_"),
        "sigma_m": round(fix.sigma),
        "speed_mps": round(speed),
        "shape": shape,
        "top_percent": round(top * 100),
        "horizon_min": cfg.warning_horizon_min,
        "counts": counts,
    }
    return text, parts
