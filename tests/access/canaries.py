"""A day's records with distinctive values planted in every sensitive field, for the leak test.

Every free text carries a marker (`cnry-...`), every position is a point whose first five
decimals appear nowhere in the city's own geometry, so finding one in an answer means it leaked
from the record it was planted in.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.access.tokens import CONSOLE
from hanano.clock import ManualClock
from hanano.domain import finish
from hanano.field import api
from tests.dispatch.support import leader_token
from tests.evidence.media_support import media_photo
from tests.field.collect import report_xml, submit
from tests.field.sms_gateway import signed, webhook
from tests.helpers import HANANO, auth, offset, report_body
from tests.warning.common import sighting_body

MARKER = re.compile(r"cnry-[a-z0-9-]+")
HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
PHONE_NUMBER = re.compile(r"^\+[0-9]{8,15}$")


def needles(value: Any) -> Iterator[str]:
    """The distinctive pieces of a value: markers, digests, phone numbers, and precise numbers
    as the first five decimals (rounding that far keeps them, so a rounded position is still
    caught)."""
    if isinstance(value, str):
        yield from MARKER.findall(value)
        if HEX_DIGEST.match(value) or PHONE_NUMBER.match(value) or value.startswith("$argon2"):
            yield value
    elif isinstance(value, bool):
        return
    elif isinstance(value, float):
        text = repr(value)
        whole, _, decimals = text.partition(".")
        if len(decimals.rstrip("0")) >= 5 and "e" not in text:
            yield f"{whole}.{decimals[:5]}"
    elif isinstance(value, list):
        for item in value:
            yield from needles(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from needles(item)


class Points:
    """Points near Hanano whose five-decimal spelling the city's geometry does not contain and
    whose sixth decimal is small, so that rounding to five decimals cannot change them."""

    def __init__(self, city_text: str) -> None:
        self._city = city_text
        self._n = 0

    def next(self) -> tuple[float, float]:
        while True:
            self._n += 1
            north, east = 37.0 * self._n, 41.0 * (self._n % 7 - 3)
            lat, lon = offset(*HANANO, north_m=north, east_m=east)
            lat = math.floor(lat * 1e5) / 1e5 + 0.0000021
            lon = math.floor(lon * 1e5) / 1e5 + 0.0000013
            spelled = [s for v in (lat, lon) for s in needles(v)]
            if len(spelled) == 2 and not any(s in self._city for s in spelled):
                return lat, lon


def ok(response: Any) -> Any:
    assert 200 <= response.status_code < 300, (response.request.url, response.text)
    return response.json()


def plant_people(client: TestClient, tokens: dict[str, str], at: Points) -> str:
    """A team, its leader's token, named tokens for the other roles and a login; returns the
    team's id. `tokens` is updated with the new tokens."""
    admin, d = tokens["admin"], tokens["dispatcher"]
    base = at.next()
    team = ok(
        client.post(
            "/api/v1/teams",
            json={
                "name": "Rescue-cnry",
                "base_name": "centre",
                "base_lat": base[0],
                "base_lon": base[1],
                "sector": "A",
                "crew": 6,
                "capabilities": ["light_rescue", "heavy_rescue", "medical"],
                "leader": "cnry-leader-name",
            },
            headers=auth(d),
        )
    )
    team_id = str(team["id"])
    ok(
        client.patch(
            f"/api/v1/teams/{team_id}", json={"leader": "cnry-leader-new"}, headers=auth(d)
        )
    )
    tokens["team_leader"] = leader_token(client, admin, team_id)
    post = at.next()
    ok(
        client.post(
            "/api/v1/observation-posts",
            json={"id": "post-cnry", "name": "cnry-post-name", "lat": post[0], "lon": post[1]},
            headers=auth(admin),
        )
    )
    for role in ("reporter", "spotter", "auditor", "public"):
        # The spotter reports from the post (a spotter's token is bound to its post).
        post_of = {"post": "post-cnry"} if role == "spotter" else {}
        tokens[role] = ok(
            client.post(
                "/api/v1/tokens",
                json={"role": role, "name": f"cnry-token-{role}", **post_of},
                headers=auth(admin),
            )
        )["token"]
    ok(
        client.post(
            "/api/v1/users",
            json={
                "username": "cnry-user-name",
                "role": "dispatcher",
                "password": "a long passphrase",
            },
            headers=auth(admin),
        )
    )
    return team_id


def plant_records(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, at: Points, team_id: str
) -> dict[str, list[str]]:
    """The day's records, made through the API; returns the ids the routes' paths need."""
    d = tokens["dispatcher"]
    ids: dict[str, list[str]] = {"team_id": [team_id]}

    def keep(name: str, value: Any) -> None:
        ids.setdefault(name, []).append(str(value))

    hospital = at.next()
    keep(
        "hospital_id",
        ok(
            client.post(
                "/api/v1/hospitals",
                json={"name": "Hospital cnry-hospital", "lat": hospital[0], "lon": hospital[1]},
                headers=auth(d),
            )
        )["id"],
    )
    site = at.next()
    sent: dict[str, str] = {}
    for role in ("reporter", "spotter", "team_leader", "dispatcher"):
        report = report_body(
            clock.now(),
            lat=site[0],
            lon=site[1],
            accuracy_m=12.34567,
            trapped=2,
            text=f"cnry-report-text-{role.replace('_', '-')}",
        )
        answer = ok(client.post("/api/v1/reports", json=report, headers=auth(tokens[role])))
        sent[role] = answer["id"]
    listed = ok(client.get("/api/v1/incidents", headers=auth(d)))["incidents"]
    incident_id = listed[0]["id"]
    keep("incident_id", incident_id)
    task = ok(
        client.post(
            f"/api/v1/incidents/{incident_id}/assign",
            json={"team_id": team_id, "reason": "cnry-assign-reason"},
            headers=auth(d),
        )
    )
    keep("task_id", task["id"])
    leader = tokens["team_leader"]
    for state in ("en_route", "on_scene"):
        ok(
            client.post(
                f"/api/v1/tasks/{task['id']}/transition",
                json={"state": state, "reason": f"cnry-step-{state.replace('_', '-')}"},
                headers=auth(leader),
            )
        )
    where = at.next()
    ok(
        client.post(
            f"/api/v1/teams/{team_id}/position",
            json={"lat": where[0], "lon": where[1], "accuracy_m": 17.37192},
            headers=auth(leader),
        )
    )
    ok(
        client.post(
            f"/api/v1/teams/{team_id}/checkin",
            json={"note": "cnry-checkin-note"},
            headers=auth(leader),
        )
    )
    worksite = at.next()
    ok(
        client.post(
            f"/api/v1/incidents/{incident_id}/worksites",
            json={
                # Sent with a client UUID, so its fingerprint is planted too.
                "id": str(uuid.uuid4()),
                "worksite_id": "C-6",
                "category": "A",
                "lat": worksite[0],
                "lon": worksite[1],
                "note": "cnry-worksite-note",
            },
            headers=auth(leader),
        )
    )
    victim = ok(
        client.post(
            f"/api/v1/incidents/{incident_id}/victims",
            json={
                "id": str(uuid.uuid4()),
                "status": "trapped",
                "worksite_id": "C-6",
                "name": "cnry-victim-name",
                "identity": "cnry-victim-identity",
                "note": "cnry-victim-note",
            },
            headers=auth(d),
        )
    )
    keep("victim_id", victim["id"])
    ok(
        client.post(
            f"/api/v1/victims/{victim['id']}",
            json={
                "status": "extracted_alive",
                "name": "cnry-victim-renamed",
                "identity": "cnry-victim-identity-card",
            },
            headers=auth(d),
        )
    )
    threat = ok(
        client.post(
            "/api/v1/threats",
            json={"lat": site[0], "lon": site[1], "radius_m": 300, "reason": "cnry-threat-reason"},
            headers=auth(d),
        )
    )
    for order in threat["pullbacks"]:
        ok(
            client.post(
                f"/api/v1/pullbacks/{order['id']}/acknowledge",
                json={"note": "cnry-ack-note"},
                headers=auth(leader),
            )
        )
    closed = at.next()
    closure = ok(
        client.post(
            "/api/v1/roads/closures",
            json={"lat": closed[0], "lon": closed[1], "reason": "cnry-closure-reason"},
            headers=auth(d),
        )
    )
    keep("closure_id", closure["id"])
    observer = at.next()
    for body in (
        sighting_body(
            clock.now(),
            post_id="post-cnry",
            pcode=None,
            activity="bearing",
            bearing_deg=123.45678,
            distance_km=7.65432,
            text="cnry-sighting-text",
        ),
        sighting_body(
            clock.now(),
            lat=observer[0],
            lon=observer[1],
            pcode=None,
            activity="bearing",
            bearing_deg=211.23456,
            distance_km=4.32109,
        ),
        sighting_body(
            clock.now() + timedelta(seconds=30),
            post_id="post-cnry",
            pcode=None,
            activity="bearing",
            bearing_deg=123.71234,
            distance_km=7.51234,
        ),
    ):
        ok(client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"])))
    photo_at = at.next()
    media = ok(
        client.post(
            "/api/v1/media",
            data={"report_id": sent["reporter"], "lat": str(photo_at[0]), "lon": str(photo_at[1])},
            files={"file": ("photo.jpg", media_photo(), "image/jpeg")},
            headers=auth(tokens["reporter"]),
        )
    )
    keep("sha256", media["sha256"])
    plant_form(client, tokens["reporter"], clock, at)
    plant_sms(client, clock)
    # A team is on its way, so the incident is responding already: set back to open by hand.
    ok(
        client.post(
            f"/api/v1/incidents/{incident_id}/status",
            json={"status": "open", "reason": "cnry-status-reason"},
            headers=auth(d),
        )
    )
    alerts = ok(client.get("/api/v1/alerts", headers=auth(d)))["alerts"]
    for alert in alerts:
        keep("alert_id", alert["alert_id"])
    clock.advance(timedelta(minutes=3))
    return ids


def plant_form(client: TestClient, token: str, clock: ManualClock, at: Points) -> None:
    """A report filled in on a phone with ODK Collect."""
    where = at.next()
    xml = report_xml(
        clock.now(), location=f"{where[0]} {where[1]} 0 9.87654", text="cnry-form-report-text"
    )
    answer = submit(client, token, xml)
    assert answer.status_code == 201, answer.text


def plant_sms(client: TestClient, clock: ManualClock) -> None:
    """A gateway phone, a registered spotter's number, and an SMS from each of two numbers."""
    service = client.app.state.service  # type: ignore[attr-defined]
    key = "cnry-gateway-signing-key"
    send = ("http://127.0.0.1:9/cnry-send-url", "cnry-gateway-user", "cnry-gateway-password")
    finish(api.add_gateway(service, CONSOLE, "roof-cnry", key, send))
    finish(api.add_phone(service, CONSOLE, "+963944123456", "spotter", None, "cnry-phone-name"))
    for number in ("+963944123456", "+963955654321"):
        body = webhook(f"cnry-sms-text {number[-4:]}", number=number)
        ok(client.post("/api/v1/sms/inbound", content=body, headers=signed(body, clock.now(), key)))


def city_text(client: TestClient) -> str:
    return json.dumps(client.get("/api/v1/neighbourhoods").json())
