"""Pull-backs for sites at risk: a team is ordered back by its own site's probability of a
strike, with a lower threshold while the site is under the double-tap watch; a wide warning
alone moves nobody; the order says why in Arabic and English, with no list of zones."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.warning.events import AlertIssued, ThreatAssessed
from tests.dispatch.support import assign, make_incident, make_team, move
from tests.helpers import HANANO, SAKHOUR, auth

HANANO_PCODE, SAKHOUR_PCODE = "N0129", "N0139"


def _on_scene(client: TestClient, token: str, incident: str, team_id: str) -> None:
    task = assign(client, token, incident, team_id)
    move(client, token, task["id"], "en_route")
    assert move(client, token, task["id"], "on_scene").status_code == 200


def _zone(pcode: str, p: float, level: str = "warning") -> dict[str, Any]:
    return {
        "pcode": pcode,
        "level": level,
        "probability": p,
        "eta_min_s": 60,
        "eta_max_s": 300,
        "strikes": 0,
        "prior": 0.01,
        "rank": 1,
    }


def _assess(aleppo: Service, threat_id: str, zones: list[dict[str, Any]]) -> None:
    event = ThreatAssessed(threat_id=threat_id, zones=zones, reason="test")
    aleppo.execute(lambda tx: tx.append("hanano:warning", event))


def _orders(client: TestClient, token: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = client.get("/api/v1/pullbacks", headers=auth(token)).json()[
        "pullbacks"
    ]
    return orders


def test_only_teams_whose_own_site_is_at_risk_are_pulled_back(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    struck = make_incident(client, d, clock, kind="strike")  # Hanano: under double-tap watch
    collapse = make_incident(client, d, clock, at=SAKHOUR, kind="collapse")  # not watched
    hanano_team, sakhour_team = make_team(client, d, "Hanano-1"), make_team(client, d, "Sakhour-1")
    _on_scene(client, d, struck, hanano_team["id"])
    _on_scene(client, d, collapse, sakhour_team["id"])

    # Warned, but unlikely at either site: nobody moves.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.05), _zone(SAKHOUR_PCODE, 0.05)])
    assert _orders(client, d) == []
    # 15 %: enough for the site struck within the hour, not for the other.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.15), _zone(SAKHOUR_PCODE, 0.15)])
    [order] = _orders(client, d)
    assert order["team_id"] == hanano_team["id"] and order["incident_id"] == struck
    assert order["probability"] == 0.15 and order["threat_id"] == "TRK-1"
    assert "Hanano-1" in order["reason"] and "Hanano" in order["reason"]
    assert "15 %" in order["reason"] and "one in 7" in order["reason"]
    assert "double-tap watch" in order["reason"]
    assert "15٪" in order["reason_ar"] and "مراقبة الضربة المزدوجة" in order["reason_ar"]
    assert HANANO_PCODE not in order["reason"] + order["reason_ar"]
    # A second aircraft: the two combine as 1 − (1 − 0.15)(1 − 0.2) = 0.32 at Al-Sakhour.
    _assess(aleppo, "TRK-2", [_zone(SAKHOUR_PCODE, 0.2)])
    orders = _orders(client, d)
    assert [o["team_id"] for o in orders] == [hanano_team["id"], sakhour_team["id"]]
    assert orders[1]["probability"] == 0.32 and "32 %" in orders[1]["reason"]
    assert "double-tap" not in orders[1]["reason"]
    # An order stands: a later assessment does not repeat it.
    _assess(aleppo, "TRK-1", [_zone(HANANO_PCODE, 0.5, "imminent")])
    assert len(_orders(client, d)) == 2


def test_a_warning_alert_covering_a_watched_site_is_not_enough(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    struck = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, struck, team["id"])
    lat, lon = HANANO
    ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01]]
    ring += [[lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]
    alert = AlertIssued(
        alert_id="AL-1",
        level="warning",
        msg_type="Alert",
        sent="2026-11-25T10:00:00+00:00",
        expires="2026-11-25T11:00:00+00:00",
        zones=[{**_zone(HANANO_PCODE, 0.04), "polygon": ring}],
        references=[],
        cap_references=[],
        threat_ids=["TRK-1"],
        headline_en="",
        headline_ar="",
        description_en="",
        description_ar="",
        instruction_en="",
        instruction_ar="",
        reason="test",
    )
    aleppo.execute(lambda tx: tx.append("hanano:warning", alert))
    assert _orders(client, d) == []
    # An hour on, the watch is over; the site is still worked, and now needs the higher bar.
    clock.advance(timedelta(minutes=61))
    _assess(aleppo, "TRK-3", [_zone(HANANO_PCODE, 0.2)])
    assert _orders(client, d) == []
    _assess(aleppo, "TRK-3", [_zone(HANANO_PCODE, 0.3)])
    [order] = _orders(client, d)
    assert "double-tap" not in order["reason"] and "above the 30% limit" in order["reason"]
