"""What the dispatch modules share: settings, vocabularies, numbering and small helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Connection, Table, func, select

from hanano.clock import parse_iso
from hanano.errors import invalid

Capability = Literal["light_rescue", "heavy_rescue", "medical", "fire"]
CAPABILITIES: tuple[Capability, ...] = ("light_rescue", "heavy_rescue", "medical", "fire")
CAPABILITY_WORDS = {
    "light_rescue": "light rescue",
    "heavy_rescue": "heavy rescue",
    "medical": "medical",
    "fire": "fire",
}
Duty = Literal["on_duty", "off_duty", "unavailable"]
DISPATCH_ACTOR = "hanano:dispatch"
LIVE_INCIDENT = ("open", "responding")

# A check-in, or the task moving on, ends its alarm and the alarm's acknowledgement.
ALARM_CLEARED = {
    "checkin_alarm_at": None,
    "checkin_acknowledged_at": None,
    "checkin_acknowledged_by": None,
}


def next_number(conn: Connection, column: Column[Any]) -> int:
    return int(conn.execute(select(func.max(column))).scalar() or 0) + 1


def require_reason(reason: str | None, what: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid(what, "a reason is required")
    return text


def minutes_between(start: str, end: datetime) -> float:
    return (end - parse_iso(start)).total_seconds() / 60


def row_exists(conn: Connection, table: Table, column: Column[Any], value: Any) -> bool:
    return conn.execute(select(column).where(column == value)).first() is not None
