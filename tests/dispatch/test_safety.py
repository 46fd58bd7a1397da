"""Double-tap watch, pull-back orders and their escalation, and check-in alarms, over HTTP."""

import importlib.util
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.clock import ManualClock, isoformat
from hanano.dispatch.events import TeamPositionReported
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store.rebuild import rebuild, snapshot
from hanano.store.records import RecordedEvent
from hanano.web.stream import SEALED, event_message
from tests.dispatch.support import assign, leader_token, make_incident, make_team, move
from tests.helpers import HANANO, SAKHOUR, auth, offset


def _on_scene(client: TestClient, token: str, incident: str, team_id: str) -> str:
    task = assign(client, token, incident, team_id)
    move(client, token, task["id"], "en_route")
    assert move(client, token, task["id"], "on_scene").status_code == 200
    return str(task["id"])


def test_watch_pullback_acknowledge_and_escalate_end_to_end(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    watches = client.get("/api/v1/watches", headers=auth(d)).json()["watches"]
    assert [w["incident_id"] for w in watches] == [incident]
    assert "double-tap watch for 60 min after the last strike report" in watches[0]["reason"]
    parts = watches[0]["reason_parts"]
    assert parts["code"] == "after_strike" and parts["minutes"] == 60
    assert parts["at"][11:16] in watches[0]["reason"]
    first = make_team(client, d, "Hanano-1")
    second = make_team(client, d, "Hanano-2")
    _on_scene(client, d, incident, first["id"])
    en_route = assign(client, d, incident, second["id"])
    move(client, d, en_route["id"], "en_route")

    far = offset(*HANANO, north_m=3000)
    missed = client.post(
        "/api/v1/threats",
        json={"lat": far[0], "lon": far[1], "radius_m": 500, "reason": "helicopter north"},
        headers=auth(tokens["team_leader"]),
    )
    assert missed.status_code == 201 and missed.json()["pullbacks"] == []

    clock.advance(timedelta(minutes=35))
    near = offset(*HANANO, east_m=400)
    hit = client.post(
        "/api/v1/threats",
        json={"lat": near[0], "lon": near[1], "radius_m": 1000, "reason": "jet circling"},
        headers=auth(tokens["team_leader"]),
    )
    assert hit.status_code == 201, hit.text
    orders = hit.json()["pullbacks"]
    assert sorted(o["team_id"] for o in orders) == [first["id"], second["id"]]
    assert all("under double-tap watch" in o["reason"] for o in orders)
    assert "Pull back Hanano-1 (on scene)" in orders[0]["reason"]

    leader = leader_token(client, tokens["admin"], orders[0]["team_id"])
    ack = client.post(
        f"/api/v1/pullbacks/{orders[0]['id']}/acknowledge",
        json={"note": "leaving now"},
        headers=auth(leader),
    )
    assert ack.status_code == 200
    again = client.post(
        f"/api/v1/pullbacks/{orders[0]['id']}/acknowledge", json={}, headers=auth(leader)
    )
    assert again.status_code == 409

    clock.advance(timedelta(minutes=1))
    aleppo.tick()
    board = client.get("/api/v1/board", headers=auth(d)).json()
    assert board["escalated"] == 0 and [o["id"] for o in board["pullbacks"]] == [orders[1]["id"]]
    clock.advance(timedelta(minutes=2))
    aleppo.tick()
    board = client.get("/api/v1/board", headers=auth(d)).json()
    assert board["escalated"] == 1
    assert board["pullbacks"][0]["escalated_at"] is not None

    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_watch_runs_60_minutes_after_the_last_arrival_then_threats_pull_nobody(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    clock.advance(timedelta(minutes=30))
    _on_scene(client, d, incident, team["id"])
    clock.advance(timedelta(minutes=59))
    aleppo.tick()
    assert len(client.get("/api/v1/watches", headers=auth(d)).json()["watches"]) == 1
    clock.advance(timedelta(minutes=2))
    aleppo.tick()
    assert client.get("/api/v1/watches", headers=auth(d)).json()["watches"] == []
    hit = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 1000, "reason": "late"},
        headers=auth(d),
    )
    assert hit.json()["pullbacks"] == []


def test_fire_is_not_watched_but_a_later_strike_report_starts_the_watch(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="fire")
    assert client.get("/api/v1/watches", headers=auth(d)).json()["watches"] == []
    same = make_incident(client, d, clock, kind="strike")
    assert same == incident
    watches = client.get("/api/v1/watches", headers=auth(d)).json()["watches"]
    assert [w["incident_id"] for w in watches] == [incident]


def test_zone_threat_covers_sites_inside_it(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, incident, team["id"])
    lat, lon = HANANO
    box = [
        [lon - 0.01, lat - 0.01],
        [lon + 0.01, lat - 0.01],
        [lon + 0.01, lat + 0.01],
        [lon - 0.01, lat + 0.01],
    ]
    hit = client.post(
        "/api/v1/threats", json={"polygon": box, "reason": "zone warned"}, headers=auth(d)
    )
    assert [o["team_id"] for o in hit.json()["pullbacks"]] == [team["id"]]
    bad = client.post("/api/v1/threats", json={"reason": "nowhere"}, headers=auth(d))
    assert bad.status_code == 422


def test_checkin_alarm_after_ten_silent_minutes_and_cleared_by_checkin(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, at=SAKHOUR, kind="collapse")
    team = make_team(client, d, "Hanano-1")
    leader = leader_token(client, tokens["admin"], team["id"])
    _on_scene(client, d, incident, team["id"])
    clock.advance(timedelta(minutes=9))
    aleppo.tick()
    assert client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"] == []
    clock.advance(timedelta(minutes=2))
    aleppo.tick()
    alarms = client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"]
    assert [a["team"] for a in alarms] == ["Hanano-1"]
    client.post(f"/api/v1/teams/{team['id']}/checkin", json={"note": "ok"}, headers=auth(leader))
    assert client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"] == []
    clock.advance(timedelta(minutes=11))
    client.post(
        f"/api/v1/teams/{team['id']}/position",
        json={"lat": SAKHOUR[0], "lon": SAKHOUR[1]},
        headers=auth(leader),
    )
    aleppo.tick()
    assert client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"] == []


def test_an_acknowledged_checkin_alarm_stops_sounding_until_another_silent_interval(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, at=SAKHOUR, kind="collapse")
    team = make_team(client, d, "Hanano-1")
    leader = leader_token(client, tokens["admin"], team["id"])
    _on_scene(client, d, incident, team["id"])
    path = f"/api/v1/teams/{team['id']}/checkin-alarm/acknowledge"
    # Nothing to acknowledge before the alarm; a team leader may not answer for the room.
    assert client.post(path, json={"note": "x"}, headers=auth(d)).status_code == 409
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    [alarm] = client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"]
    assert alarm["acknowledged_at"] is None
    assert client.post(path, json={"note": "x"}, headers=auth(leader)).status_code == 403
    done = client.post(path, json={"note": "calling them on the radio"}, headers=auth(d))
    assert done.status_code == 200, done.text
    [alarm] = client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"]
    assert alarm["acknowledged_at"] == isoformat(clock.now())
    assert alarm["acknowledged_by"]
    assert client.post(path, json={"note": "x"}, headers=auth(d)).status_code == 409
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    last = json.loads(events[-1]["entry"])
    assert last["type"] == "dispatch.checkin_alarm_acknowledged"
    assert last["data"]["team_id"] == team["id"]
    # Still silent for another interval after the acknowledgement: a new alarm sounds.
    clock.advance(timedelta(minutes=9))
    aleppo.tick()
    assert client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"][0][
        "acknowledged_at"
    ]
    clock.advance(timedelta(minutes=2))
    aleppo.tick()
    [again] = client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"]
    assert again["acknowledged_at"] is None and again["alarm_at"] > alarm["alarm_at"]
    # A check-in ends it all; the log replays to the same tables.
    client.post(f"/api/v1/teams/{team['id']}/checkin", json={"note": "ok"}, headers=auth(leader))
    assert client.get("/api/v1/board", headers=auth(d)).json()["checkin_alarms"] == []
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live


def test_positions_are_sealed_on_the_operator_stream() -> None:
    event = TeamPositionReported(
        team_id="T-1", task_id=None, lat=36.2, lon=37.1, accuracy_m=5.0, observed_at="x"
    )
    recorded = RecordedEvent(
        seq=1,
        time="t",
        actor="a",
        type=event.type,
        version=1,
        data=event.model_dump(mode="json"),
        canonical=b"",
        leaf_hash=b"",
    )
    message = event_message(recorded, Principal("tok_d", "dispatcher"))
    assert message is not None
    data = message["data"]["data"]
    assert data["lat"] == SEALED and data["lon"] == SEALED and data["team_id"] == "T-1"


@pytest.mark.skipif(
    importlib.util.find_spec("hanano.warning.events") is None,
    reason="the early-warning domain (hanano.warning.events) has not landed",
)
def test_warning_alert_pulls_teams_back_from_watched_sites(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    from hanano.warning.events import AlertIssued

    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, incident, team["id"])
    lat, lon = HANANO
    zone = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01]]
    zone.append([lon - 0.01, lat + 0.01])

    def alert(level: str, alert_id: str) -> AlertIssued:
        return AlertIssued(
            alert_id=alert_id,
            level=level,  # type: ignore[arg-type]
            msg_type="Alert",
            sent="2026-11-25T10:00:00Z",
            expires="2026-11-25T11:00:00Z",
            zones=[{"pcode": "N0129", "polygon": zone}],
            references=[],
            cap_references=[],
            threat_ids=[],
            headline_en="",
            headline_ar="",
            description_en="",
            description_ar="",
            instruction_en="",
            instruction_ar="",
            reason="test",
        )

    aleppo.execute(lambda tx: tx.append("hanano:warning", alert("watch", "A-1")))
    assert client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"] == []
    aleppo.execute(lambda tx: tx.append("hanano:warning", alert("imminent", "A-2")))
    orders = client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"]
    assert [o["team_id"] for o in orders] == [team["id"]]
    # The alert names its zone by P-code; the order names it as the city does.
    assert "imminent alert A-2 for Hanano" in orders[0]["reason"]


def test_watch_length_is_configurable(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, service: Service
) -> None:
    # Reactions and ticks read the running service's settings, not the environment.
    service.settings.double_tap_watch_min = 90
    d = tokens["dispatcher"]
    make_incident(client, d, clock, kind="strike")
    clock.advance(timedelta(minutes=75))
    watches = client.get("/api/v1/watches", headers=auth(d)).json()["watches"]
    assert len(watches) == 1 and "for 90 min" in watches[0]["reason"]


def test_an_order_names_its_site_and_zones_and_ends_when_its_team_is_free(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    from hanano.warning.events import AlertIssued

    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    task = _on_scene(client, d, incident, team["id"])
    lat, lon = HANANO
    ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01]]
    zones = [
        {
            "pcode": f"N0{n}",
            "name_en": f"Quarter {n}",
            "name_ar": f"حي {n}",
            "polygon": ring,
        }
        for n in range(1, 92)
    ]
    text = {k: "" for k in ("headline", "description", "instruction")}
    alert = AlertIssued(
        alert_id="A-1",
        level="imminent",
        msg_type="Alert",
        sent="2026-11-25T10:00:00Z",
        expires="2026-11-25T11:00:00Z",
        zones=zones,
        references=[],
        cap_references=[],
        threat_ids=[],
        reason="test",
        **{f"{k}_{lang}": v for k, v in text.items() for lang in ("en", "ar")},
    )
    aleppo.execute(lambda tx: tx.append("hanano:warning", alert))
    [order] = client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"]
    assert f"from {incident} in Hanano" in order["reason"], order["reason"]
    assert "Quarter 1, Quarter 2, Quarter 3 and 88 more zones" in order["reason"]
    assert "N02" not in order["reason"]
    clock.advance(timedelta(minutes=3))
    aleppo.tick()
    assert client.get("/api/v1/board", headers=auth(d)).json()["escalated"] == 1

    assert move(client, d, task, "returning").status_code == 200
    assert client.get("/api/v1/board", headers=auth(d)).json()["escalated"] == 1
    assert move(client, d, task, "available").status_code == 200
    board = client.get("/api/v1/board", headers=auth(d)).json()
    assert board["escalated"] == 0 and board["pullbacks"] == []
    [ended] = client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"]
    assert ended["ended_at"] and ended["acknowledged_at"] is None
    assert ended["ended_reason"].startswith("Hanano-1 is free again")
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    entries = [json.loads(e["entry"]) for e in events]
    ended_events = [e for e in entries if e["type"] == "dispatch.pullback_ended"]
    assert [e["data"]["order_id"] for e in ended_events] == [order["id"]]


def test_a_watch_says_in_parts_why_it_stands(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    """After the strike report, then after a team's arrival, each with its time: the parts the
    room words in the reader's language."""
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    [watch] = client.get("/api/v1/watches", headers=auth(d)).json()["watches"]
    assert watch["reason_parts"]["code"] == "after_strike"
    clock.advance(timedelta(minutes=20))
    team = make_team(client, d, "Hanano-1")
    _on_scene(client, d, incident, team["id"])
    [watch] = client.get("/api/v1/watches", headers=auth(d)).json()["watches"]
    parts = watch["reason_parts"]
    assert parts["code"] == "after_arrival" and parts["minutes"] == 60
    assert parts["team_id"] == team["id"] and parts["team"] == "Hanano-1"
    assert parts["at"] > watch["started_at"] and parts["at"][11:16] in watch["reason"]
