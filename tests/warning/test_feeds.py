"""Foreign CAP feeds become threats on our map and raise our own alerts; cancels withdraw them."""

from datetime import timedelta

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.service import Service
from tests.helpers import auth
from tests.warning.test_cap import XXE

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">
  <identifier>{identifier}</identifier><sender>watch@neighbours.example</sender>
  <sent>2026-11-25T10:00:00+00:00</sent><status>Actual</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{references}
  <info><category>Security</category><event>Air raid</event><urgency>Immediate</urgency>
    <severity>Extreme</severity><certainty>Observed</certainty>
    <expires>{expires}</expires>
    <area><areaDesc>east</areaDesc>
      <geocode><valueName>OCHA_PCODE</valueName><value>N0129</value></geocode>
      <circle>36.2195,37.1898 0.3</circle></area>
  </info>
</alert>"""


def document(
    identifier: str,
    msg_type: str = "Alert",
    references: str = "",
    expires: str = "2026-11-25T11:00:00+00:00",
) -> str:
    refs = f"<references>{references}</references>" if references else ""
    return FOREIGN.format(
        identifier=identifier, msg_type=msg_type, references=refs, expires=expires
    )


def test_foreign_alert_raises_ours_and_its_cancel_ends_it(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    response = client.post(
        "/api/v1/alerts/foreign",
        content=document("raid-1").encode(),
        headers={**auth(d), "Content-Type": "application/xml"},
    )
    assert response.status_code == 201, response.text
    [item] = response.json()["imported"]
    assert item["level"] == "imminent"
    assert item["pcodes"][:1] == ["N0129"] and "N0139" in item["pcodes"]
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert [a["level"] for a in alerts] == ["imminent"]
    assert alerts[0]["threat_ids"] == [item["foreign_id"]]

    cancel = client.post(
        "/api/v1/alerts/foreign",
        json={
            "cap": document(
                "raid-1-cancel",
                "Cancel",
                "watch@neighbours.example,raid-1,2026-11-25T10:00:00+00:00",
            )
        },
        headers=auth(d),
    )
    assert cancel.status_code == 201
    assert cancel.json()["imported"][0]["level"] is None
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert alerts[0]["level"] == "all_clear"
    assert alerts[0]["references"] == [alerts[1]["alert_id"]]


def test_expired_and_exercise_alerts_raise_nothing(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    old = client.post(
        "/api/v1/alerts/foreign",
        json={"cap": document("old", expires="2026-11-25T09:00:00+00:00")},
        headers=auth(d),
    )
    assert old.json()["imported"][0]["reason"].startswith("expired")
    exercise = document("drill").replace("<status>Actual</status>", "<status>Exercise</status>")
    drill = client.post("/api/v1/alerts/foreign", json={"cap": exercise}, headers=auth(d))
    assert drill.json()["imported"][0]["level"] is None
    assert client.get("/api/v1/alerts").json()["alerts"] == []

    soon = client.post(
        "/api/v1/alerts/foreign",
        json={"cap": document("short", expires="2026-11-25T10:05:00+00:00")},
        headers=auth(d),
    )
    assert soon.json()["imported"][0]["level"] == "imminent"
    clock.advance(timedelta(minutes=6))
    aleppo.tick()
    clock.advance(timedelta(minutes=11))
    aleppo.tick()
    levels = [a["level"] for a in client.get("/api/v1/alerts").json()["alerts"]]
    assert levels == ["all_clear", "imminent"]


def test_entities_in_a_foreign_feed_are_refused(
    client: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    auditor = tokens["auditor"]
    before = len(client.get("/api/v1/events?limit=5000", headers=auth(auditor)).json()["events"])
    response = client.post(
        "/api/v1/alerts/foreign",
        content=XXE,
        headers={**auth(tokens["admin"]), "Content-Type": "application/xml"},
    )
    assert response.status_code == 422
    assert "entities" in response.json()["detail"]
    assert "root:" not in response.text
    after = len(client.get("/api/v1/events?limit=5000", headers=auth(auditor)).json()["events"])
    assert after == before
    assert (
        client.post(
            "/api/v1/alerts/foreign",
            content=b"<x/>",
            headers={**auth(tokens["spotter"]), "Content-Type": "application/xml"},
        ).status_code
        == 403
    )
