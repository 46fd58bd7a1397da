"""How each ended alert ended: cancelled, cleared or superseded by a later alert (with that
alert's reason and who issued it), or expired.

Read only from alerts themselves: an ending is an alert citing the one it ends, and every alert
is readable by everyone (`AlertIssued.audience`), so an ending tells no reader more than the
alerts they may already read.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hanano.warning.tables import alerts


def _how(later: dict[str, Any]) -> str:
    if later.get("msg_type") == "Cancel":
        return "cancelled"
    return "cleared" if later.get("level") == "all_clear" else "superseded"


def add_endings(conn: Connection, items: list[dict[str, Any]], now: str) -> list[dict[str, Any]]:
    """Each ended alert of `items` with `ended`: how, when, by which alert, its reason and
    source. Active ones, and cancels and all-clears (themselves endings), have `ended` None."""
    ended = [a for a in items if a["status"] == "ended" and a["level"] != "all_clear"]
    for a in items:
        a["ended"] = None
    if not ended:
        return items
    first = min(int(a["alert_id"].split("-", 1)[1]) for a in ended)
    by: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        select(alerts.c.data).where(alerts.c.number > first).order_by(alerts.c.number)
    ).scalars()
    for raw in rows:
        later = json.loads(raw)
        for cited in later.get("references", []):
            by.setdefault(cited, later)
    for a in ended:
        later = by.get(a["alert_id"])
        if later is not None:
            a["ended"] = {
                "how": _how(later),
                "at": later["sent"],
                "by": later["alert_id"],
                "reason": later.get("reason", ""),
                "reason_parts": later.get("reason_parts"),
                "source": later.get("source", "engine"),
            }
        else:
            how = "expired" if a["expires"] <= now else "superseded"
            a["ended"] = {
                "how": how,
                "at": a["expires"] if how == "expired" else None,
                "by": None,
                "reason": "",
                "reason_parts": None,
                "source": None,
            }
    return items
