"""What screens and feeds read of early warning."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hanano.settings import Settings
from hanano.warning.cap import to_cap
from hanano.warning.tables import threats, tracks, zone_state


def live_tracks_view(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(tracks).where(tracks.c.status == "live").order_by(tracks.c.number)
    ).all()
    zones: dict[str, list[dict[str, Any]]] = {}
    reasons: dict[str, tuple[str | None, dict[str, Any] | None]] = {}
    for t in conn.execute(
        select(threats.c.threat_id, threats.c.zones, threats.c.reason, threats.c.reason_parts)
    ):
        parts = json.loads(t.reason_parts) if t.reason_parts else None
        reasons[t.threat_id] = (t.reason, parts)
        zones[t.threat_id] = [
            {
                "pcode": z["pcode"],
                "level": z["level"],
                "probability": z.get("probability"),
                "eta_min_s": z["eta_min_s"],
                "eta_max_s": z["eta_max_s"],
                "strikes": z["strikes"],
                "rank": z["rank"],
            }
            for z in sorted(json.loads(t.zones), key=lambda z: z["rank"])
        ]
    return [
        {
            "id": r.track_id,
            "aircraft": r.aircraft,
            "at": r.at,
            "lat": r.lat,
            "lon": r.lon,
            "uncertainty_m": r.sigma_m,
            "speed_mps": r.speed_mps,
            "heading_deg": r.heading_deg,
            "circling": bool(r.circling),
            "sightings": r.sighting_count,
            "zones": zones.get(r.track_id, []),
            # Why it threatens what it does: the English sentence, and its parts from which the
            # room words it in the reader's language.
            "reason": reasons.get(r.track_id, (None, None))[0],
            "reason_parts": reasons.get(r.track_id, (None, None))[1],
        }
        for r in rows
    ]


def zone_threats_view(conn: Connection) -> list[dict[str, Any]]:
    """Each zone a live threat names: its level, the threats' combined probability of a strike
    there within the warning horizon and the threat that gives it most, likeliest first."""
    rows = conn.execute(
        select(
            zone_state.c.pcode, zone_state.c.level, zone_state.c.probability, zone_state.c.threat_id
        ).where(zone_state.c.probability.is_not(None))
    ).all()
    items = [
        {
            "pcode": r.pcode,
            "level": r.level,
            "probability": r.probability,
            "threat_id": r.threat_id,
        }
        for r in rows
    ]
    return sorted(items, key=lambda z: (-z["probability"], z["pcode"]))


def cap_document(alert: dict[str, Any], settings: Settings) -> bytes:
    base = settings.public_url.rstrip("/")
    return to_cap(
        alert,
        settings.cap_sender,
        f"hanano early warning, {settings.city}",
        f"{base}/api/v1/alerts/{alert['alert_id']}.cap",
    )
