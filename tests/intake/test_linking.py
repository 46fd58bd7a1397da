from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from tests.helpers import HANANO, SAKHOUR, auth, offset, post, report_body


def located(clock: ManualClock, point: tuple[float, float], **fields: object) -> dict[str, object]:
    return report_body(clock.now(), lat=point[0], lon=point[1], accuracy_m=10.0, **fields)


def test_twenty_reports_of_one_blast_make_one_incident_and_all_are_kept(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    ids = set()
    for n in range(20):
        point = offset(*HANANO, north_m=(n % 5) * 20 - 40, east_m=(n // 5) * 20 - 30)
        response = post(client, tokens["dispatcher"], located(clock, point, trapped=n // 4))
        assert response.status_code == 201, response.text
        ids.add(response.json()["incident"]["id"])
        clock.advance(timedelta(seconds=40))
    assert len(ids) == 1
    incident = client.get(f"/api/v1/incidents/{ids.pop()}", headers=auth(tokens["dispatcher"]))
    body = incident.json()
    assert body["report_count"] == 20
    assert len(body["reports"]) == 20
    assert body["neighbourhood"]["pcode"] == "N0129"
    assert body["trapped"] == 4
    assert body["severity"] == 3
    assert abs(body["location"]["lat"] - HANANO[0]) < 0.0005
    with aleppo.engine.connect() as conn:
        decisions = conn.execute(
            select(schema.events.c.type, func.count()).group_by(schema.events.c.type)
        ).all()
    counts = dict(decisions)
    assert counts["intake.report_received"] == 20
    assert counts["intake.incident_opened"] == 1
    assert counts["intake.report_linked"] == 19


def test_distance_and_time_limits_decide_the_link(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    first = post(client, tokens["dispatcher"], located(clock, HANANO)).json()["incident"]
    assert first["decision"] == "opened"
    near = post(client, tokens["dispatcher"], located(clock, offset(*HANANO, north_m=120))).json()
    assert near["incident"] == {**near["incident"], "id": first["id"], "decision": "linked"}
    assert " m from " in near["incident"]["reason"]
    far = post(client, tokens["dispatcher"], located(clock, offset(*HANANO, north_m=-400))).json()
    assert far["incident"]["id"] != first["id"]
    assert far["incident"]["decision"] == "opened"
    assert "150 m" in far["incident"]["reason"]
    clock.advance(timedelta(minutes=45))
    late = post(client, tokens["dispatcher"], located(clock, HANANO)).json()
    assert late["incident"]["id"] not in (first["id"], far["incident"]["id"])


def test_text_only_reports_link_by_neighbourhood(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    first = post(
        client, tokens["dispatcher"], report_body(clock.now(), text="برميل متفجر على حي هنانو")
    )
    assert first.status_code == 201
    incident_id = first.json()["incident"]["id"]
    second = post(
        client,
        tokens["dispatcher"],
        report_body(clock.now(), text="Strike in Hanano, 3 trapped", trapped=3),
    )
    assert second.json()["incident"]["id"] == incident_id
    assert "Hanano (N0129)" in second.json()["incident"]["reason"]
    elsewhere = post(
        client, tokens["dispatcher"], report_body(clock.now(), text="غارة على الصاخور")
    )
    assert elsewhere.json()["incident"]["id"] != incident_id
    # A located report inside the zone refines the text-only incident.
    fix = post(client, tokens["dispatcher"], located(clock, HANANO))
    assert fix.json()["incident"]["id"] == incident_id
    detail = client.get(
        f"/api/v1/incidents/{incident_id}", headers=auth(tokens["dispatcher"])
    ).json()
    assert detail["location"]["precision"] == "point"
    assert detail["severity"] == 3


def test_text_only_report_is_placed_in_the_named_neighbourhood(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    response = post(
        client, tokens["dispatcher"], report_body(clock.now(), text="قصف على حي الصاخور")
    )
    incident_id = response.json()["incident"]["id"]
    detail = client.get(
        f"/api/v1/incidents/{incident_id}", headers=auth(tokens["dispatcher"])
    ).json()
    assert detail["neighbourhood"]["pcode"] == "N0139"
    assert detail["location"]["precision"] == "neighbourhood"
    assert detail["location"]["uncertainty_m"] > 200
    unplaced = post(client, tokens["dispatcher"], report_body(clock.now(), text="a loud blast"))
    detail = client.get(
        f"/api/v1/incidents/{unplaced.json()['incident']['id']}", headers=auth(tokens["dispatcher"])
    ).json()
    assert detail["location"] is None
    assert detail["reports"][0]["place"] == "no coordinates, and the text names no known place"


def test_cleared_incident_is_not_joined(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    first = post(client, tokens["dispatcher"], located(clock, SAKHOUR)).json()["incident"]["id"]
    cleared = client.post(
        f"/api/v1/incidents/{first}/status",
        json={"status": "cleared", "reason": "site searched"},
        headers=auth(tokens["dispatcher"]),
    )
    assert cleared.status_code == 200
    again = post(client, tokens["dispatcher"], located(clock, SAKHOUR)).json()["incident"]
    assert again["id"] != first and again["decision"] == "opened"


def test_repeat_reports_escalate_severity(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    incident_id = post(client, tokens["dispatcher"], located(clock, HANANO, kind="fire")).json()[
        "incident"
    ]["id"]
    severities = []
    for trapped, casualties in ((None, None), (2, None), (6, 3), (20, 40)):
        post(
            client,
            tokens["dispatcher"],
            located(clock, HANANO, trapped=trapped, casualties=casualties),
        )
        detail = client.get(
            f"/api/v1/incidents/{incident_id}", headers=auth(tokens["dispatcher"])
        ).json()
        severities.append(detail["severity"])
    assert severities == [2, 3, 4, 5]
    assert detail["kind"] == "strike"


def test_landmark_aliases_shipped_for_aleppo_place_reports(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    response = post(
        client, tokens["dispatcher"], report_body(clock.now(), text="قصف قرب دوار الصاخور")
    )
    incident_id = response.json()["incident"]["id"]
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["dispatcher"]))
    assert detail.json()["neighbourhood"]["pcode"] == "N0139"
