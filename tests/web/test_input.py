"""Bad input over HTTP: each is a 4xx problem naming the field, and nothing is written.

The adversary's probes: NaN in a threat zone, 30,000 nested brackets, NUL in text (PostgreSQL
cannot store it), bidirectional overrides in names and reasons, a report sent as text/plain,
places at 0,0, and the same characters in the URL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.service import Service
from hanano.store import schema
from tests.dispatch.support import BASE, make_team
from tests.helpers import HANANO, auth, offset, report_body


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)


def send(client: TestClient, token: str, path: str, body: Any, **headers: str) -> Any:
    """POST `body` as JSON text exactly as given: NaN and deep nesting need raw text."""
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        path,
        content=content,
        headers={**auth(token), "Content-Type": "application/json", **headers},
    )


def refused(response: Any, field: str, status: int = 422) -> str:
    """The response is a problem document naming `field`; returns that field's message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    named = {e["field"]: e["message"] for e in problem.get("errors", [])}
    assert field in named, problem
    return named[field]


ZONE = [[37.20, 36.22], [37.21, 36.22], [37.21, 36.23]]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_number_in_a_threat_zone_is_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service, number: str
) -> None:
    before = event_count(aleppo)
    text = json.dumps({"polygon": ZONE, "reason": "drone overhead"})
    text = text.replace("37.21, 36.22", f"{number}, 36.22", 1)
    response = send(client, tokens["dispatcher"], "/api/v1/threats", text)
    assert "finite" in refused(response, "polygon.1.0")
    assert event_count(aleppo) == before


def test_thirty_thousand_nested_brackets_are_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    deep = "[" * 30_000 + "]" * 30_000
    response = send(client, tokens["dispatcher"], "/api/v1/alerts/foreign", deep)
    assert "32" in refused(response, "body")
    unclosed = send(client, tokens["dispatcher"], "/api/v1/alerts/foreign", "[" * 30_000)
    assert unclosed.status_code == 422
    assert event_count(aleppo) == before


def test_nesting_is_counted_to_32_and_named_by_its_path(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    def nested(depth: int) -> str:
        # {"cap": [[...]]}: the object is one level, each list another.
        return '{"cap": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    at_limit = send(client, tokens["dispatcher"], "/api/v1/alerts/foreign", nested(32))
    assert at_limit.status_code == 422
    assert "deeper" not in at_limit.text
    too_deep = send(client, tokens["dispatcher"], "/api/v1/alerts/foreign", nested(33))
    assert "deeper than 32" in refused(too_deep, "cap" + ".0" * 31)


NUL = "\u0000"


def test_nul_in_report_text_is_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    body = report_body(aleppo.clock.now(), lat=HANANO[0], lon=HANANO[1], text=f"two{NUL} trapped")
    response = send(client, tokens["reporter"], "/api/v1/reports", body)
    assert "NUL" in refused(response, "text")
    assert event_count(aleppo) == before


def test_nul_in_a_team_name_is_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    response = send(client, tokens["dispatcher"], "/api/v1/teams", team_body(f"Hanano{NUL}-1"))
    assert "NUL" in refused(response, "name")
    assert event_count(aleppo) == before


def test_nul_in_a_threat_reason_and_in_a_key_is_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    threat = {"lat": HANANO[0], "lon": HANANO[1], "radius_m": 200, "reason": f"drone{NUL}"}
    assert "NUL" in refused(send(client, tokens["dispatcher"], "/api/v1/threats", threat), "reason")
    keyed = {"lat": HANANO[0], "lon": HANANO[1], "radius_m": 200, "reason": "x", f"a{NUL}": 1}
    response = send(client, tokens["dispatcher"], "/api/v1/threats", keyed)
    assert "NUL" in refused(response, "a\\u0000")
    assert event_count(aleppo) == before


def team_body(name: str, at: tuple[float, float] = BASE) -> dict[str, Any]:
    return {
        "name": name,
        "base_name": "centre",
        "base_lat": at[0],
        "base_lon": at[1],
        "sector": "A",
        "crew": 6,
        "capabilities": ["light_rescue"],
    }


@pytest.mark.parametrize("mark", ["\u202e", "\u2066", "\u202a", "\u2069"])
def test_bidirectional_overrides_in_names_and_reasons_are_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service, mark: str
) -> None:
    d = tokens["dispatcher"]
    before = event_count(aleppo)
    response = send(client, d, "/api/v1/teams", team_body(f"Hanano{mark}1-B"))
    assert f"U+{ord(mark):04X}" in refused(response, "name")
    hospital = {"name": f"Dar{mark}", "lat": BASE[0], "lon": BASE[1]}
    refused(send(client, d, "/api/v1/hospitals", hospital), "name")
    threat = {"lat": HANANO[0], "lon": HANANO[1], "radius_m": 200, "reason": f"drone {mark}"}
    refused(send(client, d, "/api/v1/threats", threat), "reason")
    body = report_body(aleppo.clock.now(), lat=HANANO[0], lon=HANANO[1], text=f"a{mark}b")
    refused(send(client, tokens["reporter"], "/api/v1/reports", body), "text")
    assert event_count(aleppo) == before


def test_the_marks_arabic_text_uses_are_kept(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    text = "\u200fحي\u061c هنانو\u200e 3"
    body = report_body(aleppo.clock.now(), lat=HANANO[0], lon=HANANO[1], text=text)
    assert send(client, tokens["reporter"], "/api/v1/reports", body).status_code == 201
    team = make_team(client, tokens["dispatcher"], "فريق\u200f هنانو")
    assert team["name"] == "فريق\u200f هنانو"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_report_not_sent_as_json_is_415(
    client: TestClient, tokens: dict[str, str], aleppo: Service, content_type: str | None
) -> None:
    before = event_count(aleppo)
    body = json.dumps(report_body(aleppo.clock.now(), lat=HANANO[0], lon=HANANO[1]))
    headers = auth(tokens["reporter"])
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post("/api/v1/reports", content=body, headers=headers)
    assert "application/json" in refused(response, "Content-Type", 415)
    assert event_count(aleppo) == before
    as_json = client.post(
        "/api/v1/reports",
        content=body,
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert as_json.status_code == 201, as_json.text


def test_every_json_endpoint_wants_json(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    before = event_count(aleppo)
    threat = json.dumps({"lat": HANANO[0], "lon": HANANO[1], "radius_m": 200, "reason": "x"})
    plain = {**auth(d), "Content-Type": "text/plain"}
    refused(client.post("/api/v1/threats", content=threat, headers=plain), "Content-Type", 415)
    latin = {**auth(d), "Content-Type": "application/json; charset=latin-1"}
    refused(client.post("/api/v1/threats", content=threat, headers=latin), "Content-Type", 415)
    assert event_count(aleppo) == before


def test_places_at_zero_zero_are_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    before = event_count(aleppo)
    refused(send(client, d, "/api/v1/teams", team_body("Hanano-2", (0.0, 0.0))), "base_lat")
    position = {"lat": 0.0, "lon": 0.0}
    refused(send(client, d, f"/api/v1/teams/{team['id']}/position", position), "lat")
    hospital = {"name": "Dar al-Shifa", "lat": 0.0, "lon": 0.0}
    refused(send(client, d, "/api/v1/hospitals", hospital), "lat")
    post = {"id": "roof-1", "name": "Roof", "lat": 0, "lon": 0}
    refused(send(client, d, "/api/v1/observation-posts", post), "lat")
    assert event_count(aleppo) == before


def test_places_outside_the_city_are_refused_but_air_bases_are_not(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    team = make_team(client, d, "Hanano-1")
    before = event_count(aleppo)
    damascus = (33.5138, 36.2765)
    message = refused(send(client, d, "/api/v1/teams", team_body("H-2", damascus)), "base_lat")
    assert "outside the city" in message
    position = {"lat": damascus[0], "lon": damascus[1]}
    refused(send(client, d, f"/api/v1/teams/{team['id']}/position", position), "lat")
    post = {"id": "roof-1", "name": "Roof", "lat": damascus[0], "lon": damascus[1]}
    refused(send(client, d, "/api/v1/observation-posts", post), "lat")
    assert event_count(aleppo) == before
    near = offset(*HANANO, north_m=2000)
    post = {"id": "roof-2", "name": "Roof", "lat": near[0], "lon": near[1]}
    assert send(client, d, "/api/v1/observation-posts", post).status_code == 201
    base = {"id": "hama", "name": "Hama", "name_ar": "حماة", "lat": 35.1183, "lon": 36.7111}
    assert send(client, d, "/api/v1/air-bases", base).status_code == 201


def test_without_zones_only_zero_zero_is_refused(service: Service, tokens: dict[str, str]) -> None:
    from hanano.web.app import build_app

    with TestClient(build_app(service)) as bare:
        d = tokens["dispatcher"]
        before = event_count(service)
        refused(send(bare, d, "/api/v1/hospitals", {"name": "A", "lat": 0, "lon": 0}), "lat")
        assert event_count(service) == before
        hospital = {"name": "A", "lat": HANANO[0], "lon": HANANO[1]}
        assert send(bare, d, "/api/v1/hospitals", hospital).status_code == 201


def test_nul_and_overrides_in_the_url_are_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    path = client.get("/api/v1/incidents/INC-1%00", headers=auth(d))
    assert "NUL" in refused(path, "incident_id")
    refused(client.get("/api/v1/teams/T-1%E2%80%AE", headers=auth(d)), "team_id")
    query = client.get("/api/v1/incidents?neighbourhood=N01%00", headers=auth(d))
    assert "NUL" in refused(query, "neighbourhood")
    refused(client.get("/api/v1/tasks?incident_id=%E2%81%A6", headers=auth(d)), "incident_id")
    before = event_count(aleppo)
    reason = {"reason": "x"}
    refused(send(client, d, "/api/v1/incidents/INC-1%00/status", reason), "incident_id")
    assert event_count(aleppo) == before


def test_nul_in_an_upload_field_is_refused(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    response = client.post(
        "/api/v1/media",
        data={"incident_id": f"INC-1{NUL}"},
        files={"file": ("a.jpg", b"\xff\xd8\xff\xe0 not much of a photo", "image/jpeg")},
        headers=auth(tokens["spotter"]),
    )
    assert "NUL" in refused(response, "incident_id")
    assert event_count(aleppo) == before
