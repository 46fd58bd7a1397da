"""Alerts an operator issues, cancels and clears by hand.

They take the engine's own path (one `AlertIssued` event, the same texts, CAP and channels), so
the public, the sirens and the rescuers' pull-back treat them alike. What differs is how they
end: an operator's alert holds its zones at its level until an operator cancels or clears it, or
it expires (see `standing_levels` in alerts.py, which the automatic all-clear respects).

An operator may only raise a zone: lowering one under a live threat would silence what the
engine still sees. Ending an alert brings each of its zones down to the level that still
stands without it (a live threat, another operator's alert), never below.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row, select

from hanano.errors import conflict, invalid, not_found
from hanano.store.sequencer import Tx
from hanano.warning.alerts import (
    OPERATOR_MAX_HOURS,
    _bare,
    issue,
    operator_alerts_in_force,
    standing_levels,
)
from hanano.warning.events import ThreatLevel
from hanano.warning.tables import alerts, zone_state
from hanano.warning.zones import RANK, city_plane, strike_counts

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
PCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
TEXT_PAIRS = (("description_en", "description_ar"), ("instruction_en", "instruction_ar"))


class ManualAlertIn(BaseModel):
    """An operator's alert: zones by P-code, a level, why, and optionally an ETA window, how
    long it stands and its own text (in both languages, or neither)."""

    model_config = ConfigDict(extra="forbid")

    zones: Annotated[list[PCode], Field(min_length=1, max_length=200)]
    level: ThreatLevel
    reason: Reason
    eta_min_s: Annotated[int, Field(ge=0, le=7200)] | None = None
    eta_max_s: Annotated[int, Field(ge=0, le=7200)] | None = None
    expires_min: Annotated[float, Field(gt=0, le=OPERATOR_MAX_HOURS * 60)] | None = None
    description_en: Text | None = None
    description_ar: Text | None = None
    instruction_en: Text | None = None
    instruction_ar: Text | None = None


class EndAlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


def check_manual(body: ManualAlertIn) -> None:
    """What the schema cannot say: pairs that come together."""
    if (body.eta_min_s is None) != (body.eta_max_s is None):
        missing = "eta_max_s" if body.eta_max_s is None else "eta_min_s"
        raise invalid(missing, "give the ETA window's both ends, or neither")
    if (
        body.eta_min_s is not None
        and body.eta_max_s is not None
        and body.eta_min_s > body.eta_max_s
    ):
        raise invalid("eta_max_s", "must not come before eta_min_s")
    for en, ar in TEXT_PAIRS:
        given_en, given_ar = getattr(body, en), getattr(body, ar)
        if (given_en is None) != (given_ar is None):
            raise invalid(ar if given_ar is None else en, "give the text in Arabic and English")


def _raised_zones(tx: Tx, body: ManualAlertIn, pcodes: list[str]) -> dict[str, Row[Any]]:
    """The zones' standing states, once each zone is known and stands below the new level."""
    plane = city_plane(tx.conn)
    unknown = [p for p in pcodes if p not in plane.zones]
    if unknown:
        raise invalid("zones", f"no such neighbourhood: {', '.join(unknown)}")
    states = {
        r.pcode: r
        for r in tx.conn.execute(select(zone_state).where(zone_state.c.pcode.in_(pcodes)))
    }
    already = [
        f"{p} stands at {states[p].level} ({states[p].alert_id})"
        for p in pcodes
        if p in states and RANK[states[p].level] >= RANK[body.level]
    ]
    if already:
        raise conflict(
            f"an operator's alert only raises zones: {'; '.join(already)}; "
            f"leave them out or choose a higher level"
        )
    return states


def issue_manual(tx: Tx, actor: str, body: ManualAlertIn) -> str:
    """Issue an operator's alert for zones that stand below its level; returns its id."""
    check_manual(body)
    pcodes = sorted(set(body.zones))
    states = _raised_zones(tx, body, pcodes)
    strikes = strike_counts(tx.conn, tx.now(), tx.settings.public_delay_min)
    zones: list[dict[str, Any]] = [
        {
            "pcode": p,
            "level": body.level,
            "eta_min_s": body.eta_min_s,
            "eta_max_s": body.eta_max_s,
            "strikes": strikes.get(p, 0),
        }
        for p in pcodes
    ]
    zones.sort(key=lambda z: (-z["strikes"], z["pcode"]))
    for n, z in enumerate(zones, start=1):
        z["rank"] = n
    previous = [
        states[p].alert_id
        for p in pcodes
        if p in states and states[p].alert_id and states[p].level != "none"
    ]
    own = {
        field: getattr(body, field)
        for pair in TEXT_PAIRS
        for field in pair
        if getattr(body, field) is not None
    }
    return issue(
        tx,
        body.level,
        zones,
        previous,
        [],
        body.reason,
        tx.settings,
        actor=actor,
        expires_min=body.expires_min,
        operator_text=own,
    )


def _why_ended(tx: Tx, alert_id: str, number: int, expires: str) -> str:
    """Which later alert ended this one, in words."""
    rows = tx.conn.execute(
        select(alerts.c.alert_id, alerts.c.level, alerts.c.msg_type, alerts.c.data)
        .where(alerts.c.number > number, alerts.c.data.like(f'%"{alert_id}"%'))
        .order_by(alerts.c.number)
    ).all()
    for r in rows:
        if alert_id in json.loads(r.data).get("references", []):
            if r.msg_type == "Cancel":
                return f"cancelled by {r.alert_id}"
            if r.level == "all_clear":
                return f"cleared by {r.alert_id}"
            return f"superseded by {r.alert_id}"
    return f"expired at {expires}"


def end_alert(
    tx: Tx, actor: str, alert_id: str, kind: Literal["cancel", "all_clear"], reason: str
) -> dict[str, Any]:
    """Cancel an alert (it was wrong) or give its all-clear (the threat has passed).

    Its zones with nothing else standing get the cancel or all-clear; those a live threat or
    another operator's alert still holds are re-issued at that level by the engine, citing it.
    """
    row = tx.conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).first()
    if row is None:
        raise not_found(f"alert {alert_id}")
    if row.level == "all_clear":
        what = "a cancel" if row.msg_type == "Cancel" else "an all-clear"
        raise conflict(f"{alert_id} is {what}: there is nothing of it to end")
    now = tx.now()
    governed = tx.conn.execute(
        select(zone_state)
        .where(zone_state.c.alert_id == alert_id, zone_state.c.level != "none")
        .order_by(zone_state.c.pcode)
    ).all()
    holding = any(a["alert_id"] == alert_id for a in operator_alerts_in_force(tx.conn, now))
    if not governed and not holding:
        raise conflict(
            f"{alert_id} is no longer in force: {_why_ended(tx, alert_id, row.number, row.expires)}"
        )
    standing = standing_levels(tx.conn, now, exclude=alert_id)
    to_none = [r.pcode for r in governed if r.pcode not in standing]
    cfg = tx.settings
    ended = issue(
        tx,
        "all_clear",
        [_bare(p, "all_clear", n) for n, p in enumerate(to_none, start=1)],
        [alert_id],
        [],
        reason,
        cfg,
        actor=actor,
        msg_type="Cancel" if kind == "cancel" else None,
        text_level="cancel" if kind == "cancel" else None,
    )
    reissued = _reissue(tx, [r.pcode for r in governed], standing, alert_id, ended)
    return {"alert_id": ended, "cleared": to_none, "reissued": reissued}


def _reissue(
    tx: Tx, governed: list[str], standing: dict[str, str], alert_id: str, ended: str
) -> list[str]:
    """Re-issue, at the level still standing there, the zones an ended alert governed."""
    reissued = []
    for level in ("imminent", "warning", "watch"):
        held = [p for p in governed if standing.get(p) == level]
        if held:
            reissued.append(
                issue(
                    tx,
                    level,
                    [_bare(p, level, n) for n, p in enumerate(held, start=1)],
                    [alert_id],
                    [],
                    f"still {level} after {alert_id} was ended ({ended}): a live threat or "
                    f"another operator's alert holds these zones",
                    tx.settings,
                    reason_parts={
                        "code": "still_level",
                        "level": level,
                        "alert_id": alert_id,
                        "ended": ended,
                    },
                )
            )
    return reissued
