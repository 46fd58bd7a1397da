from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from tests.helpers import HANANO, auth, post, report_body


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)


def test_retry_with_same_id_and_body_returns_the_original(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], trapped=2)
    first = post(client, tokens["reporter"], body)
    before = event_count(aleppo)
    clock.advance(timedelta(minutes=3))
    retry = post(client, tokens["reporter"], body)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert event_count(aleppo) == before


def test_same_id_with_other_body_is_a_conflict_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], trapped=2)
    post(client, tokens["reporter"], body)
    before = event_count(aleppo)
    changed = post(client, tokens["reporter"], {**body, "trapped": 3})
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert body["id"] in changed.json()["detail"]
    assert event_count(aleppo) == before


BAD_INPUTS: list[tuple[str, dict[str, Any], str, int]] = [
    ("wrong type for lat", {"lat": "36.2", "lon": 37.2}, "lat", 422),
    ("string count", {"trapped": "5"}, "trapped", 422),
    ("negative count", {"casualties": -1}, "casualties", 422),
    ("unknown field", {"victim_name": "x"}, "victim_name", 422),
    ("unknown kind", {"kind": "earthquake"}, "kind", 422),
    ("unknown source", {"source": "twitter"}, "source", 422),
    ("latitude out of range", {"lat": 91.0, "lon": 37.2}, "lat", 422),
    ("longitude out of range", {"lat": 36.2, "lon": -181.0}, "lon", 422),
    ("far outside the city", {"lat": 33.51, "lon": 36.29}, "lat", 422),
    ("lat without lon", {"lat": 36.2}, "lon", 422),
    ("accuracy without point", {"accuracy_m": 10.0}, "accuracy_m", 422),
    ("text too long", {"text": "ب" * 4001}, "text", 422),
    ("time without offset", {"observed_at": "2026-11-25T09:00:00"}, "observed_at", 422),
    ("not a uuid", {"id": "report-1"}, "id", 422),
    ("missing kind", {"kind": None}, "kind", 422),
]


@pytest.mark.parametrize(
    ("label", "change", "field", "status"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    label: str,
    change: dict[str, Any],
    field: str,
    status: int,
) -> None:
    body = report_body(clock.now())
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    before = event_count(aleppo)
    response = post(client, tokens["reporter"], body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert field in [e["field"] for e in problem["errors"]], problem
    assert event_count(aleppo) == before


def test_time_far_in_the_future_is_refused(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    body = report_body(clock.now() + timedelta(minutes=12))
    response = post(client, tokens["reporter"], body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "observed_at"
    body = report_body(clock.now() + timedelta(minutes=9))
    assert post(client, tokens["reporter"], body).status_code == 201


def test_malformed_json_and_oversized_bodies(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    broken = client.post(
        "/api/v1/reports",
        content=b'{"kind": "strike",',
        headers={**auth(tokens["reporter"]), "content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert "malformed JSON" in broken.json()["detail"]
    huge = client.post(
        "/api/v1/reports",
        content=b"{" + b" " * (65 * 1024) + b"}",
        headers={**auth(tokens["reporter"]), "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/problem+json"
    assert huge.json()["errors"][0]["field"] == "body"
    assert event_count(aleppo) == before


def test_metacharacters_are_stored_verbatim(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    text = '\'; DROP TABLE reports; -- <script>alert(1)</script> & "حي هنانو"'
    response = post(client, tokens["dispatcher"], report_body(clock.now(), text=text))
    assert response.status_code == 201
    incident_id = response.json()["incident"]["id"]
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["dispatcher"]))
    assert detail.json()["reports"][0]["text"] == text
    assert detail.headers["content-type"] == "application/json"


def test_report_text_is_sealed_in_the_log(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    text = "Ahmad and his daughter are under the rubble"
    post(client, tokens["reporter"], report_body(clock.now(), text=text))
    with aleppo.engine.connect() as conn:
        leaves = b"".join(
            bytes(r) for r in conn.execute(select(schema.events.c.canonical)).scalars()
        )
        sealed = (
            conn.execute(
                select(schema.sealed_fields.c.value).where(schema.sealed_fields.c.field == "text")
            )
            .scalars()
            .all()
        )
    assert b"Ahmad" not in leaves
    assert any("Ahmad" in (v or "") for v in sealed)


@pytest.mark.parametrize(
    ("role", "source"),
    [
        ("reporter", "radio_log"),
        ("reporter", "team"),
        ("reporter", "hospital"),
        ("spotter", "radio_log"),
        ("spotter", "team"),
        ("team_leader", "radio_log"),
        ("team_leader", "hospital"),
    ],
)
def test_a_role_cannot_pass_its_report_off_as_a_more_trusted_source(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    role: str,
    source: str,
) -> None:
    # The room shows each report's source; a stolen reporter token must not dress its reports
    # as the dispatchers' own radio log, a team's or a hospital's word.
    before = event_count(aleppo)
    refused = post(client, tokens[role], report_body(clock.now(), source=source, trapped=40))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["source"]
    assert role in refused.json()["detail"]
    assert event_count(aleppo) == before


@pytest.mark.parametrize(
    ("role", "source"),
    [
        ("reporter", "citizen"),
        ("spotter", "spotter"),
        ("team_leader", "team"),
        ("dispatcher", "radio_log"),
        ("dispatcher", "hospital"),
    ],
)
def test_a_role_reports_under_its_own_source(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, role: str, source: str
) -> None:
    assert post(client, tokens[role], report_body(clock.now(), source=source)).status_code == 201
