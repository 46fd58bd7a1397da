"""Every endpoint against every role: who may, who is refused."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.events import ROLES
from hanano.web.permissions import ACTIONS
from tests.access.test_openrosa_matrix import OPENROSA_ROUTES
from tests.dispatch.support import (
    assign,
    leader_token,
    make_team,
    matrix_names,
    move,
    needs_dispatch_records,
)
from tests.evidence.media_support import media_names, media_photo
from tests.helpers import HANANO, SAKHOUR, auth, post, report_body
from tests.warning.common import sighting_body

EVERYONE = set(ROLES)
REPORTING = {"admin", "dispatcher", "team_leader", "spotter", "reporter"}
DISPATCH_OPS = {"admin", "dispatcher", "team_leader", "auditor"}
DISPATCH_COMMAND = {"admin", "dispatcher"}
DISPATCH_FIELD = {"admin", "dispatcher", "team_leader"}
MEDIA_READ = {"admin", "dispatcher", "auditor"}

FOREIGN_CAP = (
    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>m-1</identifier>'
    "<sender>matrix@example.org</sender><sent>2026-11-25T10:00:00+00:00</sent>"
    "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>"
)

# (method, path template, json body, roles allowed). Written out here, not read from the app,
# so that a change of policy in the code must be matched by a change here.
MATRIX: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/v1/me", None, EVERYONE),
    ("GET", "/api/v1/mirror", None, EVERYONE),
    ("POST", "/api/v1/reports", {}, REPORTING),
    ("GET", "/api/v1/incidents", None, EVERYONE),
    ("GET", "/api/v1/incidents/{cleared}", None, EVERYONE),
    (
        "POST",
        "/api/v1/incidents/{open}/status",
        # {uniq} brings the dispatch records: the team leader is of the team tasked there, and
        # the incident is responding (tests/dispatch/test_leader_incidents.py: other incidents).
        {"status": "cleared", "reason": "crew done {uniq}"},
        {"admin", "dispatcher", "team_leader"},
    ),
    (
        "POST",
        "/api/v1/incidents/{open}/merge",
        {"into": "{other}", "reason": "same blast"},
        {"admin", "dispatcher"},
    ),
    (
        "POST",
        "/api/v1/incidents/{open}/split",
        {"report_ids": ["{report}"], "reason": "two"},
        {"admin", "dispatcher"},
    ),
    ("GET", "/api/v1/neighbourhoods", None, EVERYONE),
    # Each part passes its own route's gate (tests/web/test_opening.py); the whole, everyone.
    ("GET", "/api/v1/opening", None, EVERYONE),
    ("POST", "/api/v1/tokens", {"role": "reporter", "name": "new phone"}, {"admin"}),
    ("POST", "/api/v1/tokens/{token}/revoke", {"reason": "phone lost"}, {"admin"}),
    ("GET", "/api/v1/events", None, {"admin", "auditor"}),
    ("GET", "/api/v1/stream", None, EVERYONE),
    # operations room rows begin
    ("GET", "/api/v1/session", None, EVERYONE),
    ("DELETE", "/api/v1/session", None, EVERYONE),
    ("GET", "/api/v1/users", None, {"admin"}),
    (
        "POST",
        "/api/v1/users",
        {"username": "u-{uniq}", "role": "dispatcher", "password": "a long passphrase"},
        {"admin"},
    ),
    # operations room rows end
    ("POST", "/api/v1/sightings", {}, {"admin", "dispatcher", "spotter"}),
    # A spotter's token reads no tracks: a sighting sent with another post's id would then
    # place that post.
    ("GET", "/api/v1/tracks", None, DISPATCH_OPS),
    ("GET", "/api/v1/alerts", None, EVERYONE),
    ("GET", "/api/v1/alerts.atom", None, EVERYONE),
    ("GET", "/api/v1/alerts/{alert}.cap", None, EVERYONE),
    (
        "POST",
        "/api/v1/alerts/foreign",
        {"cap": FOREIGN_CAP},
        {"admin", "dispatcher"},
    ),
    # feeds and deliveries rows begin
    ("POST", "/api/v1/feeds", {"url": "http://127.0.0.1:9/partner.atom"}, {"admin"}),
    ("GET", "/api/v1/feeds", None, {"admin"}),
    ("DELETE", "/api/v1/feeds/{feed}", None, {"admin"}),
    ("GET", "/api/v1/deliveries", None, {"admin"}),
    # feeds and deliveries rows end
    # operators' alerts, posts, bases and sirens rows begin
    (
        "POST",
        "/api/v1/alerts",
        # Far from Hanano, where the matrix's sightings put a helicopter: an operator's alert
        # only raises a zone, and the engine may stand Hanano's neighbours at imminent.
        {"zones": ["N0221"], "level": "imminent", "reason": "matrix"},
        {"admin", "dispatcher"},
    ),
    ("POST", "/api/v1/alerts/{manual_alert}/cancel", {"reason": "matrix"}, {"admin", "dispatcher"}),
    (
        "POST",
        "/api/v1/alerts/{manual_alert}/all-clear",
        {"reason": "matrix"},
        {"admin", "dispatcher"},
    ),
    ("GET", "/api/v1/observation-posts", None, {"admin", "dispatcher", "spotter", "auditor"}),
    (
        "POST",
        "/api/v1/observation-posts",
        {"id": "post-m", "name": "roof", "lat": 36.2, "lon": 37.2},
        {"admin", "dispatcher"},
    ),
    (
        "GET",
        "/api/v1/air-bases",
        None,
        {"admin", "dispatcher", "team_leader", "spotter", "auditor"},
    ),
    (
        "POST",
        "/api/v1/air-bases",
        {"id": "base-m", "name": "base", "name_ar": "مطار", "lat": 36.2, "lon": 37.6},
        {"admin", "dispatcher"},
    ),
    (
        "GET",
        "/api/v1/sirens",
        None,
        {"admin", "dispatcher", "team_leader", "spotter", "auditor"},
    ),
    ("POST", "/api/v1/sirens", {"id": "siren-1", "pcodes": ["N0129"]}, {"admin", "dispatcher"}),
    # operators' alerts, posts, bases and sirens rows end
    # dispatch rows begin
    ("GET", "/api/v1/teams", None, DISPATCH_OPS),
    (
        "POST",
        "/api/v1/teams",
        {
            "name": "New-{uniq}",
            "base_name": "centre",
            "base_lat": 36.22,
            "base_lon": 37.2,
            "sector": "B",
            "crew": 5,
            "capabilities": ["light_rescue"],
        },
        DISPATCH_COMMAND,
    ),
    ("GET", "/api/v1/teams/{team_id}", None, DISPATCH_OPS),
    ("PATCH", "/api/v1/teams/{team_id}", {"crew": 5}, DISPATCH_COMMAND),
    ("POST", "/api/v1/teams/{free_team}/duty", {"duty": "unavailable"}, DISPATCH_FIELD),
    ("POST", "/api/v1/teams/{team_id}/position", {"lat": 36.22, "lon": 37.2}, DISPATCH_FIELD),
    ("POST", "/api/v1/teams/{team_id}/checkin", {"note": "all well"}, DISPATCH_FIELD),
    (
        "POST",
        "/api/v1/teams/{silent_team}/checkin-alarm/acknowledge",
        {"note": "calling them"},
        DISPATCH_COMMAND,
    ),
    ("GET", "/api/v1/hospitals", None, DISPATCH_OPS),
    (
        "POST",
        "/api/v1/hospitals",
        {"name": "H-{uniq}", "lat": 36.2, "lon": 37.15},
        DISPATCH_COMMAND,
    ),
    ("POST", "/api/v1/hospitals/{hospital_id}/status", {"status": "full"}, DISPATCH_FIELD),
    ("GET", "/api/v1/tasks", None, DISPATCH_OPS),
    ("GET", "/api/v1/tasks/{task_id}", None, DISPATCH_OPS),
    ("POST", "/api/v1/tasks/{task_id}/transition", {"state": "en_route"}, DISPATCH_FIELD),
    ("GET", "/api/v1/stats/response", None, DISPATCH_OPS),
    ("GET", "/api/v1/incidents/{open}/recommendations", None, DISPATCH_COMMAND),
    (
        "POST",
        "/api/v1/incidents/{open}/assign",
        {"team_id": "{free_team}", "reason": "matrix"},
        DISPATCH_COMMAND,
    ),
    ("POST", "/api/v1/recommendations/plan", {}, DISPATCH_COMMAND),
    ("POST", "/api/v1/alerts/preview", {"zones": ["N0221"]}, DISPATCH_COMMAND),
    (
        "POST",
        "/api/v1/threats",
        {"lat": 36.227, "lon": 37.2026, "radius_m": 500, "reason": "jet"},
        {"admin", "dispatcher", "team_leader", "spotter"},
    ),
    # Threats marked by operators sit on rescue sites: not for spotters' tokens.
    ("GET", "/api/v1/threats", None, DISPATCH_OPS),
    ("GET", "/api/v1/watches", None, DISPATCH_OPS),
    ("GET", "/api/v1/pullbacks", None, DISPATCH_OPS),
    ("POST", "/api/v1/pullbacks/{order_id}/acknowledge", {"note": "moving"}, DISPATCH_FIELD),
    ("GET", "/api/v1/board", None, DISPATCH_OPS),
    ("GET", "/api/v1/coverage", None, DISPATCH_COMMAND),
    ("GET", "/api/v1/roads", None, DISPATCH_OPS),
    ("GET", "/api/v1/roads/closures", None, DISPATCH_OPS),
    ("GET", "/api/v1/roads/route?from=36.22,37.2&to=36.23,37.21", None, DISPATCH_OPS),
    ("GET", "/api/v1/roads/geometry", None, DISPATCH_OPS),
    ("GET", "/api/v1/roads/geometry/closed", None, DISPATCH_OPS),
    (
        "POST",
        "/api/v1/roads/closures",
        {"lat": 36.22, "lon": 37.2, "reason": "rubble"},
        DISPATCH_FIELD,
    ),
    ("POST", "/api/v1/roads/closures/{closure_id}/reopen", {"reason": "cleared"}, DISPATCH_FIELD),
    ("GET", "/api/v1/incidents/{open}/worksites", None, DISPATCH_OPS),
    (
        "POST",
        "/api/v1/incidents/{open}/worksites",
        # {uniq} brings the dispatch records: the team leader is of the team tasked there.
        {"worksite_id": "B-2", "category": "C", "note": "{uniq}"},
        DISPATCH_FIELD,
    ),
    (
        "POST",
        "/api/v1/incidents/{open}/worksites/{worksite_id}",
        {"category": "A", "reason": "voice heard"},
        DISPATCH_FIELD,
    ),
    ("GET", "/api/v1/incidents/{open}/victims", None, DISPATCH_OPS),
    (
        "POST",
        "/api/v1/incidents/{open}/victims",
        {"status": "trapped", "worksite_id": "{worksite_id}"},
        DISPATCH_FIELD,
    ),
    ("POST", "/api/v1/victims/{victim_id}", {"triage": "red"}, DISPATCH_FIELD),
    ("GET", "/api/v1/victims/{victim_id}/identity", None, DISPATCH_COMMAND),
    # dispatch rows end
    ("GET", "/api/v1/log/checkpoint", None, EVERYONE),
    ("GET", "/api/v1/log/proof/inclusion?index=0&size=2", None, EVERYONE),
    ("GET", "/api/v1/log/proof/consistency?from=1&to=2", None, EVERYONE),
    ("GET", "/api/v1/log/receipt/{seq}", None, {"admin", "auditor"}),
    # tlog-tiles: hashes for anyone, the entries as hashed for a mirror's token alone
    ("GET", "/tlog/checkpoint", None, EVERYONE),
    ("GET", "/tlog/tile/{level}/{rest}", None, EVERYONE),
    ("GET", "/tlog/tile/entries/{rest}", None, {"mirror"}),
    # The media originals the log names, by hash, for a mirror to keep beside its copy
    ("GET", "/tlog/blob/{media}", None, {"mirror"}),
    # and the sealed fields, encrypted to the key registered with the mirror's token
    ("GET", "/tlog/sealed/{rest}", None, {"mirror"}),
    # media rows begin
    ("POST", "/api/v1/media", {}, REPORTING),
    ("POST", "/api/v1/media/devices", {"verifier_key": "{device_key}"}, {"admin"}),
    ("GET", "/api/v1/media/{media}?reason=matrix", None, MEDIA_READ),
    ("GET", "/api/v1/media/{media}/custody", None, MEDIA_READ),
    # media rows end
    # The radio log: a dispatcher's reading of what the radio said; it writes nothing.
    ("POST", "/api/v1/radio/parse", {"text": "strike Sakhour 4 trapped"}, DISPATCH_COMMAND),
]
# The operations room page (HTML, no data) and the login itself need no token.
UNAUTHENTICATED = {("GET", "/api/v1/health"), ("GET", "/"), ("POST", "/api/v1/session")}
# The field app's page and service worker: files, no data, the same for everyone
# (tests/web/test_field_page.py).
UNAUTHENTICATED |= {("GET", "/field/"), ("GET", "/field/sw.js")}
# Cosignatures need no token: a registered witness's signature is their credential.
UNAUTHENTICATED.add(("POST", "/api/v1/log/cosignatures"))
# An SMS gateway's webhook needs no token: its signature is its credential
# (tests/field/test_sms.py).
UNAUTHENTICATED.add(("POST", "/api/v1/sms/inbound"))


def test_matrix_covers_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    covered = {
        (
            m,
            p.split("?")[0]
            .replace("{cleared}", "{incident_id}")
            .replace("{open}", "{incident_id}")
            .replace("{alert}", "{alert_id}")
            .replace("{manual_alert}", "{alert_id}")
            .replace("{free_team}", "{team_id}")
            .replace("{silent_team}", "{team_id}")
            .replace("{token}", "{token_id}")
            .replace("{media}", "{sha256}")
            .replace("{feed}", "{feed_id}"),
        )
        for m, p, _, _ in MATRIX
    }
    assert routes == covered | UNAUTHENTICATED | OPENROSA_ROUTES


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, real in names.items():
            value = value.replace("{" + key + "}", real)
        return value
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


def feed_names(client: TestClient, admin: str, path: str) -> dict[str, str]:
    """A registered feed for a row that names one (its URL refuses connections at once)."""
    if "{feed}" not in path:
        return {}
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}.atom"
    created = client.post("/api/v1/feeds", json={"url": url}, headers=auth(admin))
    return {"feed": created.json()["feed_id"]}


def silent_team(
    client: TestClient, token: str, path: str, incident_id: str, clock: ManualClock
) -> dict[str, str]:
    """A team on scene whose check-in alarm sounds, for a row that names one."""
    if "{silent_team}" not in path:
        return {}
    team = make_team(client, token, f"Silent-{uuid.uuid4().hex[:8]}")
    task = assign(client, token, incident_id, team["id"])
    for state in ("en_route", "on_scene"):
        move(client, token, task["id"], state)
    clock.advance(timedelta(minutes=11))
    client.app.state.service.tick()  # type: ignore[attr-defined]
    return {"silent_team": team["id"]}


def upload_place(
    client: TestClient, token: str, role: str, incident_id: str, clock: ManualClock
) -> dict[str, str]:
    """Where an upload belongs: roles that do not read incidents name a report of their own."""
    if role not in ("reporter", "spotter"):
        return {"incident_id": incident_id}
    own = post(client, token, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    return {"report_id": own.json()["id"]}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_endpoint(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, role: str
) -> None:
    for method, path, body, allowed in MATRIX:
        if path == "/api/v1/stream":
            continue  # an endless response; its access is tested in tests/web/test_stream.py
        dispatcher = tokens["dispatcher"]
        cleared = post(
            client, dispatcher, report_body(clock.now(), lat=SAKHOUR[0], lon=SAKHOUR[1])
        ).json()
        client.post(
            f"/api/v1/incidents/{cleared['incident']['id']}/status",
            json={"status": "cleared", "reason": "done"},
            headers=auth(dispatcher),
        )
        opened = post(client, dispatcher, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
        second = post(client, dispatcher, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
        other = post(client, dispatcher, report_body(clock.now(), lat=36.19, lon=37.13)).json()
        victim = client.post(
            "/api/v1/tokens", json={"role": "spotter"}, headers=auth(tokens["admin"])
        )
        names = {
            "cleared": cleared["incident"]["id"],
            "open": opened.json()["incident"]["id"],
            "other": other["incident"]["id"],
            "report": second.json()["id"],
            "token": victim.json()["token_id"],
            "seq": "1",
            "level": "0",
            "rest": "000.p/1",
        }
        if needs_dispatch_records(path, body):
            names.update(matrix_names(client, dispatcher, names["open"]))
        if "{alert}" in path:
            client.post(
                "/api/v1/sightings", json=sighting_body(clock.now()), headers=auth(dispatcher)
            )
            names["alert"] = client.get("/api/v1/alerts").json()["alerts"][0]["alert_id"]
        if "{manual_alert}" in path:
            issued = client.post(
                "/api/v1/alerts",
                json={
                    "zones": ["N0160" if path.endswith("cancel") else "N0171"],
                    "level": "imminent",
                    "reason": "matrix",
                },
                headers=auth(tokens["admin"]),
            )
            names["manual_alert"] = issued.json()["id"]
        names.update(feed_names(client, tokens["admin"], path))
        names.update(silent_team(client, dispatcher, path, names["open"], clock))
        if "{media}" in path or path == "/api/v1/media" or "{device_key}" in str(body):
            names.update(media_names(client, dispatcher, names["open"]))
        payload = fill(body, names)
        if path == "/api/v1/reports":
            payload = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
        if path == "/api/v1/sightings":
            payload = sighting_body(clock.now())
        token = tokens[role]
        if role == "team_leader" and "team_id" in names:
            # A team leader acts only for their own team: the one this row acts on
            # (tests/access/test_team_leaders.py covers the other teams).
            acting = names["free_team"] if "{free_team}" in path else names["team_id"]
            token = leader_token(client, tokens["admin"], acting)
        if path == "/api/v1/media":
            response = client.post(
                path,
                data=upload_place(client, token, role, names["open"], clock),
                files={"file": ("photo.jpg", media_photo(), "image/jpeg")},
                headers=auth(token),
            )
        else:
            response = client.request(method, fill(path, names), json=payload, headers=auth(token))
        if role in allowed:
            assert 200 <= response.status_code < 300, (method, path, role, response.text)
        else:
            assert response.status_code == 403, (method, path, role, response.text)
            assert role in response.json()["detail"]


def test_unknown_and_malformed_tokens_are_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for header in (
        {"Authorization": "Bearer hn_not-a-token"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ):
        response = client.get("/api/v1/me", headers=header)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    anonymous = client.get("/api/v1/me")
    assert anonymous.json() == {
        "token_id": "anonymous",
        "role": "public",
        "team": None,
        "post": None,
        "may": {action.name: False for action in ACTIONS},
    }


def test_revoked_token_stops_working_at_once(client: TestClient, tokens: dict[str, str]) -> None:
    issued = client.post(
        "/api/v1/tokens",
        json={"role": "spotter", "name": "Observatory 3"},
        headers=auth(tokens["admin"]),
    ).json()
    assert client.get("/api/v1/me", headers=auth(issued["token"])).json()["role"] == "spotter"
    client.post(
        f"/api/v1/tokens/{issued['token_id']}/revoke",
        json={"reason": "phone captured"},
        headers=auth(tokens["admin"]),
    )
    assert client.get("/api/v1/me", headers=auth(issued["token"])).status_code == 401


def test_every_event_records_its_actor(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    me = client.get("/api/v1/me", headers=auth(tokens["spotter"])).json()
    post(client, tokens["spotter"], report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).json()["events"]
    import json

    received = [
        json.loads(e["entry"])
        for e in events
        if json.loads(e["entry"])["type"] == "intake.report_received"
    ]
    assert received[-1]["actor"] == me["token_id"]
    decided = json.loads(events[-1]["entry"])
    assert decided["type"] == "intake.incident_opened"
    assert decided["actor"] == "hanano:intake"
