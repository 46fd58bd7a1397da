"""Why a track threatens what it does, in English and in parts (a code and its values) from
which the operations room words it in the reader's language; and what of a threat a public
alert may repeat."""

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
    elif fix.routes is not None:
        routes = fix.routes
        how = f"no heading yet, on {routes.origin}'s usual routes ({len(routes.bearings)} tracks)"
        shape = {"code": "route", "base_id": routes.origin, "tracks": len(routes.bearings)}
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


# What of a track's reason a public alert repeats: its id, kind, what it does and where it
# heads (all of which the aircraft's own side knows), never the estimate's uncertainty, speed or
# chances, from which the sighting behind it could be worked back.
PUBLIC_PARTS = ("code", "track_id", "aircraft", "activity", "shape", "counts")


def public_reason(parts: dict[str, Any] | None) -> tuple[str | None, dict[str, Any] | None]:
    """A track's reason as a public alert may give it, in English and in parts; a foreign
    alert's parts as they are (all of them the agency's own published words), its English
    left to the threat's reason."""
    if parts is not None and parts.get("code") == "foreign":
        return None, parts
    if parts is None or parts.get("code") != "track":
        return None, None
    shown = {k: parts[k] for k in PUBLIC_PARTS if k in parts}
    shape = parts.get("shape") or {}
    if shape.get("code") == "route":
        # That the aircraft was seen taking off, and from where, tells of the spotters who watch
        # the base: in public it is an aircraft with no usable heading, as before its routes.
        shape = {"code": "no_heading"}
        shown["shape"] = shape
    how = {"hovering": "hovering", "no_heading": "no usable heading"}.get(
        shape.get("code", ""), f"heading {shape.get('heading_deg', '?')}°"
    )
    what = str(parts.get("activity", "")).replace("_", " ")
    return f"{parts['track_id']} ({parts['aircraft']}, {what}), {how}", shown


# What an alert says of each zone: public, so only the level, the zone's rank and logged
# strikes, and the public ETA window (never the track's exact window or probability).
def public_zone(z: dict[str, Any]) -> dict[str, Any]:
    window = z.get("public_eta_s")
    return {
        "pcode": z["pcode"],
        "level": z["level"],
        "strikes": z.get("strikes", 0),
        "rank": z.get("rank"),
        "eta_min_s": None if window is None else window[0],
        "eta_max_s": None if window is None else window[1],
    }
