"""Pull-backs end when the risk has passed: an order the engine gave by its site's probability
ends once that probability has stayed below `pullback_end_probability` (5 %) for
`pullback_end_min` (3 min), with its reason in English and Arabic; it does not end at the first
dip nor flap; an operator's order is not ended by it; a step down of an alert orders nobody back.
"""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store.records import read_events
from hanano.warning.events import AlertIssued
from tests.dispatch.support import make_incident, make_team
from tests.dispatch.test_site_risk import HANANO_PCODE, _assess, _on_scene, _orders, _over, _zone
from tests.helpers import HANANO, auth


def _events(aleppo: Service, kind: str) -> list[dict[str, Any]]:
    with aleppo.engine.connect() as conn:
        return [e.data for e in read_events(conn) if e.type == kind]


def _ordered_at_struck_site(
    client: TestClient, d: str, clock: ManualClock, aleppo: Service
) -> dict[str, Any]:
    """A team on scene at a site struck a moment ago, ordered back at 15 % (the watched
    threshold is 10 %)."""
    struck = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, struck, team["id"])
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.15))
    [order] = _orders(client, d)
    assert order["ended_at"] is None
    return order


def _tick_after(aleppo: Service, clock: ManualClock, minutes: float) -> None:
    clock.advance(timedelta(minutes=minutes))
    aleppo.tick()


def test_an_order_ends_when_the_site_probability_falls_and_stays_low(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    order = _ordered_at_struck_site(client, d, clock, aleppo)
    # Still 6 %: above the end threshold, however long it lasts.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.06))
    _tick_after(aleppo, clock, 10)
    assert _orders(client, d)[0]["ended_at"] is None
    # The aircraft turns away: 2 %. Not yet: it must stay low for 3 min.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.02))
    [low] = _events(aleppo, "dispatch.pullback_risk_changed")
    assert low == {
        "order_id": order["id"],
        "team_id": order["team_id"],
        "probability": 0.02,
        "low": True,
    }
    _tick_after(aleppo, clock, 2)
    assert _orders(client, d)[0]["ended_at"] is None
    _tick_after(aleppo, clock, 1.5)
    [ended] = _orders(client, d)
    assert ended["ended_at"] is not None
    assert "Hanano-1 may return" in ended["ended_reason"]
    assert "below 5% for 3 min" in ended["ended_reason"] and "now 2 %" in ended["ended_reason"]
    assert "يمكن لفريق Hanano-1 العودة" in ended["ended_reason_ar"]
    assert HANANO_PCODE not in ended["ended_reason"] + ended["ended_reason_ar"]
    parts = ended["ended_reason_parts"]
    assert parts["code"] == "risk_passed" and parts["order_id"] == order["id"]
    assert parts["probability"] == 0.02 and parts["low_min"] >= 3
    # Ended once; the team is not ordered back again by the same low probability.
    _tick_after(aleppo, clock, 5)
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.02))
    assert len(_events(aleppo, "dispatch.pullback_ended")) == 1 and len(_orders(client, d)) == 1


def test_an_order_does_not_flap_as_the_aircraft_turns(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    _ordered_at_struck_site(client, d, clock, aleppo)
    # Low for two minutes, then back to 8 %: below the order's 10 %, above the end's 5 %.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.03))
    _tick_after(aleppo, clock, 2)
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.0)], _over(0.08))
    _tick_after(aleppo, clock, 2)
    _tick_after(aleppo, clock, 5)
    [order] = _orders(client, d)
    assert order["ended_at"] is None
    assert [e["low"] for e in _events(aleppo, "dispatch.pullback_risk_changed")] == [True, False]
    # The aircraft is lost (its threat ends): nil from then on; the order ends 3 min later.
    _assess(aleppo, "TRK-1", [])
    _tick_after(aleppo, clock, 2)
    assert _orders(client, d)[0]["ended_at"] is None
    _tick_after(aleppo, clock, 1.5)
    [order] = _orders(client, d)
    assert order["ended_at"] is not None and "(now nil)" in order["ended_reason"]
    # One order and one ending over the whole pass: no order was given twice.
    assert len(_events(aleppo, "dispatch.pullback_ordered")) == 1
    assert len(_events(aleppo, "dispatch.pullback_ended")) == 1
    # A new aircraft over the site orders the team back again.
    _assess(aleppo, "TRK-2", [_zone(HANANO_PCODE, 0.0)], _over(0.4))
    assert [o["ended_at"] is None for o in _orders(client, d)] == [False, True]


def test_an_operators_order_is_not_ended_by_the_probability(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    struck = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, struck, team["id"])
    lat, lon = HANANO
    body = {"lat": lat, "lon": lon, "radius_m": 300, "reason": "helicopter overhead, by radio"}
    assert client.post("/api/v1/threats", json=body, headers=auth(d)).status_code == 201
    [order] = _orders(client, d)
    assert order["probability"] is None
    _assess(aleppo, "TRK-1", [])
    _tick_after(aleppo, clock, 10)
    assert _orders(client, d)[0]["ended_at"] is None
    assert _events(aleppo, "dispatch.pullback_risk_changed") == []


def test_an_alert_that_steps_down_orders_nobody_back(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    """The engine lowers a zone from imminent to the warning a threat elsewhere still gives it:
    its zones carry no probability, and a step down is no reason to pull back."""
    d = tokens["dispatcher"]
    struck = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, struck, team["id"])
    lat, lon = HANANO
    ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01]]
    ring += [[lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]
    zone = {"pcode": HANANO_PCODE, "level": "warning", "rank": 1, "polygon": ring}
    alert = AlertIssued(
        alert_id="AL-2",
        level="warning",
        msg_type="Update",
        sent="2026-11-25T10:00:00+00:00",
        expires="2026-11-25T11:00:00+00:00",
        zones=[zone],
        references=["AL-1"],
        cap_references=[],
        threat_ids=[],
        headline_en="",
        headline_ar="",
        description_en="",
        description_ar="",
        instruction_en="",
        instruction_ar="",
        reason="no threat above warning to these zones for 10 min",
        reason_parts={"code": "no_threat_above", "level": "warning", "minutes": 10},
    )
    aleppo.execute(lambda tx: tx.append("hanano:warning", alert))
    assert _orders(client, d) == []
    # The same alert raising the zone would still order the team back by coverage.
    raised = alert.model_copy(update={"alert_id": "AL-3", "reason_parts": None})
    aleppo.execute(lambda tx: tx.append("hanano:warning", raised))
    assert len(_orders(client, d)) == 1
