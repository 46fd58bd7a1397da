"""GET /api/v1/incidents filters: status, since, bbox, neighbourhood."""

from datetime import timedelta

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from tests.helpers import HANANO, SAKHOUR, auth, post, report_body


def ids(client: TestClient, token: str, query: str) -> list[str]:
    response = client.get(f"/api/v1/incidents?{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["incidents"]]


def test_filters_select_the_right_incidents(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    early = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])).json()
    clock.advance(timedelta(minutes=50))
    late = post(client, d, report_body(clock.now(), lat=SAKHOUR[0], lon=SAKHOUR[1], trapped=2))
    late_id = late.json()["incident"]["id"]
    early_id = early["incident"]["id"]
    client.post(
        f"/api/v1/incidents/{early_id}/status",
        json={"status": "responding", "reason": "Hanano-1 sent"},
        headers=auth(d),
    )

    assert ids(client, d, "") == [late_id, early_id]  # most severe first
    assert ids(client, d, "status=responding") == [early_id]
    assert ids(client, d, "status=open") == [late_id]
    since = (clock.now() - timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    assert ids(client, d, f"since={since}") == [late_id]
    assert ids(client, d, "neighbourhood=N0129") == [early_id]
    assert ids(client, d, "neighbourhood=N0139") == [late_id]
    around_hanano = (
        f"{HANANO[1] - 0.002},{HANANO[0] - 0.002},{HANANO[1] + 0.002},{HANANO[0] + 0.002}"
    )
    assert ids(client, d, f"bbox={around_hanano}") == [early_id]
    assert ids(client, d, "bbox=37.0,36.0,37.3,36.3") == [late_id, early_id]


def test_bad_filters_are_refused_with_the_field_named(
    client: TestClient, tokens: dict[str, str]
) -> None:
    d = tokens["dispatcher"]
    for query, field in (
        ("bbox=1,2,3", "bbox"),
        ("bbox=40,36,37,37", "bbox"),
        ("status=burning", "status"),
        ("since=yesterday", "since"),
        ("since=2026-11-25T10:00:00", "since"),
        ("limit=0", "limit"),
    ):
        response = client.get(f"/api/v1/incidents?{query}", headers=auth(d))
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], query
