"""Alerts: watch (aircraft airborne), warning (zone in its corridor, with ETA), imminent
(overhead or circling) and all-clear (no threat for N minutes, never a silent expiry).

A zone's alert only rises with the threat; it comes down only by an all-clear. Each alert
groups the zones that rose to the same level at once, cites the alerts it supersedes in
`references`, and carries its text in Arabic and English.

An operator may issue an alert too (hanano/warning/manual.py). It holds its zones at its level
until an operator cancels or clears it, or it expires: the engine may raise a held zone higher,
but its all-clear brings the zone down no lower than the hold while it lasts.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select

from hanano.clock import isoformat
from hanano.errors import not_found
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.log import MAX_ENTRY_BYTES, encode_event
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.alert_places import known_zones, placed
from hanano.warning.alert_texts import LISTED_WHEN_LONG, texts
from hanano.warning.endings import add_endings
from hanano.warning.events import AlertIssued, MsgType, ThreatAssessed
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import logged_json
from hanano.warning.tables import alerts, zone_state
from hanano.warning.threat_reasons import public_reason, public_zone
from hanano.warning.tracks import ACTOR
from hanano.warning.zones import RANK, threatened_zones

# How long an operator's alert may stand before it must be issued again.
OPERATOR_MAX_HOURS = 24.0


def cap_time(iso: str) -> str:
    """CAP's dateTime: seconds, an explicit +00:00 offset, no fraction."""
    return iso[:19] + "+00:00"


def _next_alert_id(conn: Connection) -> str:
    number = (conn.execute(select(func.max(alerts.c.number))).scalar() or 0) + 1
    return f"AL-{number}"


def _references(conn: Connection, alert_ids: list[str], sender: str) -> tuple[list[str], list[str]]:
    if not alert_ids:
        return [], []
    rows = conn.execute(
        select(alerts.c.alert_id, alerts.c.sent)
        .where(alerts.c.alert_id.in_(alert_ids))
        .order_by(alerts.c.number)
    ).all()
    return [r.alert_id for r in rows], [f"{sender},{r.alert_id},{cap_time(r.sent)}" for r in rows]


def issue(
    tx: Tx,
    level: str,
    zones: list[dict[str, Any]],
    previous: list[str],
    threat_ids: list[str],
    reason: str,
    cfg: Settings,
    *,
    actor: str = ACTOR,
    msg_type: MsgType | None = None,
    expires_min: float | None = None,
    operator_text: dict[str, str] | None = None,
    text_level: str | None = None,
    reason_parts: dict[str, Any] | None = None,
) -> str:
    """Append one alert for `zones`, citing the alerts it supersedes. An `actor` other than the
    engine's marks it as an operator's; `operator_text` overrides the built texts it names."""
    bare, named = known_zones(tx.conn, zones)
    alert_id = _next_alert_id(tx.conn)
    now = tx.now().replace(microsecond=0)
    references, cap_refs = _references(tx.conn, sorted(set(previous)), cfg.cap_sender)
    operator = actor != ACTOR
    minutes = cfg.alert_expiry_min if expires_min is None else expires_min
    fields = {
        "alert_id": alert_id,
        "level": level,
        "msg_type": msg_type or ("Update" if references else "Alert"),
        "sent": isoformat(now),
        "expires": isoformat(now + timedelta(minutes=minutes)),
        "zones": bare,
        "references": references,
        "cap_references": cap_refs,
        "threat_ids": sorted(set(threat_ids)),
        "reason": reason,
        "source": "operator" if operator else "engine",
        "reason_parts": reason_parts,
    }
    words = functools.partial(texts, text_level or level, named, operator=operator)
    tx.append(actor, _fitted(tx, actor, fields, words, operator_text or {}))
    return alert_id


def _fitted(
    tx: Tx,
    actor: str,
    fields: dict[str, Any],
    words: Callable[..., dict[str, str]],
    operator_text: dict[str, str],
) -> AlertIssued:
    """The alert with every zone in its descriptions, unless that would make it too large a
    log entry for a mirror's tile: then with the first LISTED_WHEN_LONG of them."""
    for listed in (None, LISTED_WHEN_LONG):
        event = AlertIssued(**fields, **{**words(listed=listed), **operator_text})
        size = len(encode_event(tx.next_seq, isoformat(tx.now()), actor, event).canonical)
        if size <= MAX_ENTRY_BYTES:
            break
    return event


@HANDLERS.reacts_to(ThreatAssessed.type)
def raise_alerts(tx: Tx, event: RecordedEvent) -> None:
    """Alert the zones whose threat rose above what they were last told.

    Every assessment is followed by this, so a zone's alerted level is already at least what
    any other threat gives it: only the zones this assessment raises above it need an alert.
    """
    named = {z["pcode"]: z for z in event.data["zones"]}
    if not named:
        return
    states = {
        r.pcode: r
        for r in tx.conn.execute(
            select(zone_state.c.pcode, zone_state.c.level, zone_state.c.alert_id).where(
                zone_state.c.pcode.in_(sorted(named))
            )
        )
    }
    cfg = tx.settings
    for level in ("imminent", "warning", "watch"):
        rising = [
            public_zone(z)
            for p, z in sorted(named.items())
            if z["level"] == level
            and RANK[level] > RANK[states[p].level if p in states else "none"]
        ]
        if not rising:
            continue
        rising.sort(key=lambda z: (-z["strikes"], z["eta_min_s"] or 0, z["pcode"]))
        for n, z in enumerate(rising, start=1):
            z["rank"] = n
        said, parts = public_reason(event.data.get("reason_parts"))
        issue(
            tx,
            level,
            rising,
            _previous(states, rising),
            [event.data["threat_id"]],
            # A track's reason in its public form; another threat's (a foreign alert's) as it is.
            f"{len(rising)} zone(s) rose to {level}: {said or event.data['reason']}",
            cfg,
            reason_parts={
                "code": "zones_rose",
                "count": len(rising),
                "level": level,
                "threat": parts,
            },
        )


def _previous(states: dict[str, Any], rising: list[dict[str, Any]]) -> list[str]:
    """The alerts the rising zones stood at, which the new alert supersedes."""
    return [
        states[z["pcode"]].alert_id
        for z in rising
        if z["pcode"] in states
        and states[z["pcode"]].alert_id
        and states[z["pcode"]].level != "none"
    ]


def _clear(tx: Tx, clear: list[Any], cfg: Settings) -> None:
    """The all-clear for zones no threat reaches, naming operators' alerts that expired."""
    expired = sorted(
        {r.alert_id for r in clear if r.alert_id}
        & operator_alert_ids(tx.conn, [r.alert_id for r in clear if r.alert_id])
    )
    issue(
        tx,
        "all_clear",
        [_bare(r.pcode, "all_clear", n) for n, r in enumerate(clear, start=1)],
        [r.alert_id for r in clear if r.alert_id],
        [],
        f"no threat to these zones for {cfg.all_clear_min:g} min"
        + (f"; operator's alert {', '.join(expired)} expired" if expired else ""),
        cfg,
        reason_parts={"code": "no_threat", "minutes": cfg.all_clear_min, "expired": expired},
    )


@HANDLERS.on_tick
def all_clear(tx: Tx) -> None:
    """Bring alerted zones down once their threat has passed for the configured time: to the
    level that still stands (an aircraft elsewhere may still be airborne), or, with no threat
    at all, to an all-clear. Never silently."""
    cfg = tx.settings
    cutoff = isoformat(tx.now() - timedelta(minutes=cfg.all_clear_min))
    due = tx.conn.execute(
        select(zone_state)
        .where(
            zone_state.c.level != "none",
            or_(zone_state.c.peak_at.is_(None), zone_state.c.peak_at <= cutoff),
        )
        .order_by(zone_state.c.pcode)
    ).all()
    if not due:
        return
    standing = standing_levels(tx.conn, tx.now())
    clear = [
        r
        for r in due
        if r.pcode not in standing and (r.last_threat_at is None or r.last_threat_at <= cutoff)
    ]
    if clear:
        _clear(tx, clear, cfg)
    for level in ("warning", "watch"):
        lower = [r for r in due if standing.get(r.pcode) == level and RANK[r.level] > RANK[level]]
        if lower:
            issue(
                tx,
                level,
                [_bare(r.pcode, level, n) for n, r in enumerate(lower, start=1)],
                [r.alert_id for r in lower if r.alert_id],
                [],
                f"no threat above {level} to these zones for {cfg.all_clear_min:g} min",
                cfg,
                reason_parts={
                    "code": "no_threat_above",
                    "level": level,
                    "minutes": cfg.all_clear_min,
                },
            )


def operator_alerts_in_force(
    conn: Connection, now: datetime, exclude: str | None = None
) -> list[dict[str, Any]]:
    """Operators' alerts that still hold their zones: not expired, not cancelled or cleared by
    an operator. Found through the log's actor, so the engine's alerts are never parsed."""
    e = schema.events
    rows = conn.execute(
        select(alerts.c.alert_id, alerts.c.level, alerts.c.expires, alerts.c.data)
        .join(e, e.c.seq == alerts.c.seq)
        .where(
            alerts.c.sent >= isoformat(now - timedelta(hours=OPERATOR_MAX_HOURS)),
            e.c.actor != ACTOR,
        )
        .order_by(alerts.c.number)
    ).all()
    ended: set[str] = set()
    standing = []
    for r in rows:
        data = json.loads(r.data)
        if data.get("source") != "operator":
            continue
        if r.level == "all_clear":
            ended.update(data["references"])
        elif r.expires > isoformat(now):
            standing.append(data)
    return [a for a in standing if a["alert_id"] not in ended and a["alert_id"] != exclude]


def operator_alert_ids(conn: Connection, alert_ids: list[str]) -> set[str]:
    e = schema.events
    rows = conn.execute(
        select(alerts.c.alert_id)
        .join(e, e.c.seq == alerts.c.seq)
        .where(alerts.c.alert_id.in_(sorted(set(alert_ids))), e.c.actor != ACTOR)
    )
    return set(rows.scalars())


def standing_levels(conn: Connection, now: datetime, exclude: str | None = None) -> dict[str, str]:
    """The level each zone must stand at now: the highest any live threat gives it or any
    operator's alert in force holds it at (but `exclude`)."""
    standing = threatened_zones(conn)
    for alert in operator_alerts_in_force(conn, now, exclude):
        for z in alert["zones"]:
            if RANK[alert["level"]] > RANK[standing.get(z["pcode"], "none")]:
                standing[z["pcode"]] = alert["level"]
    return standing


def _bare(pcode: str, level: str, rank: int) -> dict[str, Any]:
    return {
        "pcode": pcode,
        "level": level,
        "eta_min_s": None,
        "eta_max_s": None,
        "strikes": 0,
        "rank": rank,
    }


@HANDLERS.projects(AlertIssued.type)
def _alert_issued(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        alerts.insert().values(
            alert_id=d["alert_id"],
            number=int(d["alert_id"].split("-", 1)[1]),
            seq=event.seq,
            level=d["level"],
            msg_type=d["msg_type"],
            sent=d["sent"],
            expires=d["expires"],
            data=logged_json(event),
        )
    )
    level = "none" if d["level"] == "all_clear" else d["level"]
    pcodes = sorted(z["pcode"] for z in d["zones"])
    known = set(
        conn.execute(select(zone_state.c.pcode).where(zone_state.c.pcode.in_(pcodes))).scalars()
    )
    peak = None if level == "none" else event.time
    if known:
        conn.execute(
            zone_state.update()
            .where(zone_state.c.pcode.in_(sorted(known)))
            .values(level=level, alert_id=d["alert_id"], since=d["sent"], peak_at=peak)
        )
    fresh = [p for p in pcodes if p not in known]
    if fresh:
        conn.execute(
            zone_state.insert().values(
                [
                    {
                        "pcode": p,
                        "level": level,
                        "alert_id": d["alert_id"],
                        "since": d["sent"],
                        "peak_at": peak,
                    }
                    for p in fresh
                ],
            )
        )


# --- views --------------------------------------------------------------------------------


def _view(conn: Connection, row: Any, active: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = placed(conn, json.loads(row.data))
    data["status"] = "active" if row.alert_id in active else "ended"
    return data


def active_ids(conn: Connection) -> set[str]:
    return set(
        conn.execute(
            select(zone_state.c.alert_id).where(
                zone_state.c.level != "none", zone_state.c.alert_id.is_not(None)
            )
        ).scalars()
    )


def list_alerts(
    conn: Connection, now: datetime, recent_hours: float = 24.0, limit: int = 500
) -> list[dict[str, Any]]:
    """Active alerts (those some zone stands at, and operators' alerts still holding their
    zones) and those sent in the last `recent_hours`, newest first."""
    active = active_ids(conn) | {a["alert_id"] for a in operator_alerts_in_force(conn, now)}
    since = isoformat(now - timedelta(hours=recent_hours))
    rows = conn.execute(
        select(alerts)
        .where(or_(alerts.c.sent >= since, alerts.c.alert_id.in_(sorted(active))))
        .order_by(alerts.c.number.desc())
        .limit(limit)
    ).all()
    return add_endings(conn, [_view(conn, r, active) for r in rows], isoformat(now))


def get_alert(conn: Connection, alert_id: str) -> dict[str, Any]:
    row = conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).first()
    if row is None:
        raise not_found(f"alert {alert_id}")
    return _view(conn, row, active_ids(conn))


def zone_levels(conn: Connection) -> dict[str, str]:
    """The level each alerted zone stands at now."""
    rows = conn.execute(select(zone_state.c.pcode, zone_state.c.level))
    return {r.pcode: r.level for r in rows if r.level != "none"}
