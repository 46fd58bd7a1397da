"""Alerts an operator issues, cancels and clears, over HTTP; and the posts, bases and sirens API.

An operator's alert goes the engine's way (valid CAP 1.2 in both languages, the channels, the
pull-back of rescuers) and holds its zones until an operator ends it or it expires: the
automatic all-clear never drops it.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.city.commands import import_neighbourhoods
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.web.app import build_app
from tests.dispatch.support import assign, make_incident, make_team, move
from tests.helpers import auth
from tests.warning.common import HANANO_PCODE, cap_schema, setup_posts, sighting_body
from tests.warning.test_channels import MQTT_URL, Subscriber, needs_mqtt

SAKHOUR_PCODE = "N0139"


@pytest.fixture
def city() -> str:
    return "test-" + uuid.uuid4().hex[:10]


def issue(client: TestClient, token: str, **fields: Any) -> Any:
    body: dict[str, Any] = {
        "zones": [HANANO_PCODE],
        "level": "warning",
        "reason": "radio: helicopter seen leaving Kuweires towards the east of the city",
    }
    body.update(fields)
    return client.post("/api/v1/alerts", json=body, headers=auth(token))


def end(client: TestClient, token: str, alert_id: str, kind: str, reason: str = "x") -> Any:
    return client.post(
        f"/api/v1/alerts/{alert_id}/{kind}", json={"reason": reason}, headers=auth(token)
    )


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def levels(client: TestClient) -> dict[str, str]:
    """Each zone's level as the public sees it: the last alert naming it."""
    out: dict[str, str] = {}
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    for alert in sorted(alerts, key=lambda a: int(a["alert_id"].split("-")[1])):
        for z in alert["zones"]:
            out[z["pcode"]] = alert["level"]
    return {p: lv for p, lv in out.items() if lv != "all_clear"}


def by_id(client: TestClient, alert_id: str) -> dict[str, Any]:
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    found: dict[str, Any] = next(a for a in alerts if a["alert_id"] == alert_id)
    return found


def valid_cap(client: TestClient, alert_id: str) -> Any:
    response = client.get(f"/api/v1/alerts/{alert_id}.cap")
    assert response.status_code == 200
    schema = cap_schema()
    schema.validate(response.content)
    return schema.to_dict(response.content)


def test_operator_alert_is_served_as_valid_cap_in_both_languages(
    client: TestClient, tokens: dict[str, str]
) -> None:
    created = issue(
        client,
        tokens["dispatcher"],
        zones=[HANANO_PCODE, SAKHOUR_PCODE],
        eta_min_s=240,
        eta_max_s=600,
        expires_min=45,
    )
    assert created.status_code == 201, created.text
    alert = created.json()["alert"]
    assert alert["source"] == "operator" and alert["status"] == "active"
    assert alert["msg_type"] == "Alert" and alert["level"] == "warning"
    assert alert["headline_en"].startswith("Aircraft approaching: ")
    assert "4–10 min" in alert["description_en"]
    assert alert["headline_ar"].startswith("طائرة حربية تقترب")
    assert alert["reason"].startswith("radio: helicopter")
    tree = valid_cap(client, alert["alert_id"])
    arabic, english = tree["info"]
    assert arabic["language"] == "ar" and english["language"] == "en"
    assert arabic["severity"] == "Severe" and arabic["urgency"] == "Immediate"
    assert {a["geocode"][0]["value"] for a in arabic["area"]} == {HANANO_PCODE, SAKHOUR_PCODE}
    for area in arabic["area"]:
        points = area["polygon"][0].split()
        assert len(points) >= 4 and points[0] == points[-1]
    assert [p["valueName"] for p in arabic["parameter"]] == [
        f"ETA {HANANO_PCODE}",
        f"ETA {SAKHOUR_PCODE}",
    ]
    assert english["expires"].startswith("2026-11-25T10:45")
    assert levels(client) == {HANANO_PCODE: "warning", SAKHOUR_PCODE: "warning"}


def test_operator_text_replaces_the_built_text_in_both_languages(
    client: TestClient, tokens: dict[str, str]
) -> None:
    created = issue(
        client,
        tokens["admin"],
        level="imminent",
        description_en="Jets circling over the market.",
        description_ar="طائرات تحوم فوق السوق.",
    )
    assert created.status_code == 201, created.text
    tree = valid_cap(client, created.json()["id"])
    assert tree["info"][0]["description"] == "طائرات تحوم فوق السوق."
    assert tree["info"][1]["description"] == "Jets circling over the market."
    assert tree["info"][1]["instruction"].startswith("Take shelter now")
    one_language = issue(client, tokens["admin"], zones=[SAKHOUR_PCODE], description_en="only")
    assert one_language.status_code == 422
    assert "description_ar" in one_language.text


def test_cancel_and_all_clear_cite_the_alert_and_bad_requests_write_nothing(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    first = issue(client, d).json()["id"]
    second = issue(client, d, zones=[SAKHOUR_PCODE], level="watch").json()["id"]

    cancelled = end(client, d, first, "cancel", "the helicopter turned back north")
    assert cancelled.status_code == 201, cancelled.text
    cancel = cancelled.json()["alert"]
    assert cancel["msg_type"] == "Cancel" and cancel["references"] == [first]
    assert cancel["headline_en"].startswith("Alert cancelled")
    assert cancel["headline_ar"].startswith("إلغاء الإنذار")
    tree = valid_cap(client, cancel["alert_id"])
    assert tree["msgType"] == "Cancel" and first in tree["references"]
    assert by_id(client, first)["status"] == "ended"

    cleared = end(client, d, second, "all-clear", "aircraft landed at Kuweires")
    assert cleared.status_code == 201, cleared.text
    clear = cleared.json()["alert"]
    assert clear["level"] == "all_clear" and clear["msg_type"] == "Update"
    assert clear["references"] == [second] and clear["source"] == "operator"
    assert [z["pcode"] for z in clear["zones"]] == [SAKHOUR_PCODE]
    tree = valid_cap(client, clear["alert_id"])
    assert tree["info"][0]["responseType"] == ["AllClear"]
    assert levels(client) == {}
    # The list says how each ended, by which alert, why and who; to anyone who may read alerts.
    assert by_id(client, first)["ended"] == {
        "how": "cancelled",
        "at": cancel["sent"],
        "by": cancel["alert_id"],
        "reason": "the helicopter turned back north",
        # An operator's reason is their own words: nothing to word in another language.
        "reason_parts": None,
        "source": "operator",
    }
    assert by_id(client, second)["ended"]["how"] == "cleared"
    assert by_id(client, clear["alert_id"])["ended"] is None

    before = event_count(aleppo)
    again = end(client, d, first, "cancel")
    assert again.status_code == 409 and f"cancelled by {cancel['alert_id']}" in again.text
    cleared_twice = end(client, d, second, "all-clear")
    assert cleared_twice.status_code == 409 and "cleared by" in cleared_twice.text
    assert end(client, d, cancel["alert_id"], "all-clear").status_code == 409
    assert end(client, d, "AL-999", "cancel").status_code == 404
    missing_reason = client.post(f"/api/v1/alerts/{first}/cancel", json={}, headers=auth(d))
    assert missing_reason.status_code == 422 and "reason" in missing_reason.text
    unknown = issue(client, d, zones=["N9999"])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "zones" if "errors" in unknown.json() else True
    assert "N9999" in unknown.text
    assert issue(client, d, level="all_clear").status_code == 422
    assert issue(client, d, reason=" ").status_code == 422
    assert issue(client, d, eta_min_s=600).status_code == 422
    assert issue(client, d, eta_min_s=600, eta_max_s=60).status_code == 422
    assert issue(client, d, expires_min=60 * 25).status_code == 422
    assert event_count(aleppo) == before

    standing = issue(client, d, level="imminent").json()["id"]
    before = event_count(aleppo)
    lower = issue(client, d, zones=[HANANO_PCODE, SAKHOUR_PCODE], level="warning")
    assert lower.status_code == 409
    assert f"{HANANO_PCODE} stands at imminent ({standing})" in lower.text
    assert event_count(aleppo) == before


def test_operator_alert_stands_through_the_automatic_all_clear_until_it_expires(
    client: TestClient, tokens: dict[str, str], aleppo: Service, clock: ManualClock
) -> None:
    alert_id = issue(client, tokens["dispatcher"], expires_min=60).json()["id"]
    for _ in range(5):
        clock.advance(timedelta(minutes=11))
        aleppo.tick()
    assert levels(client) == {HANANO_PCODE: "warning"}
    assert by_id(client, alert_id)["status"] == "active"
    clock.advance(timedelta(minutes=6))
    aleppo.tick()
    assert levels(client) == {}
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    last = alerts[0]
    assert last["level"] == "all_clear" and last["references"] == [alert_id]
    assert last["source"] == "engine"
    assert f"operator's alert {alert_id} expired" in last["reason"]
    valid_cap(client, last["alert_id"])


def test_engine_raises_a_held_zone_then_steps_it_back_to_the_hold(
    client: TestClient, tokens: dict[str, str], aleppo: Service, clock: ManualClock
) -> None:
    setup_posts(aleppo)
    held = issue(client, tokens["dispatcher"], level="watch", expires_min=120).json()["id"]
    body = sighting_body(clock.now(), activity="circling")
    assert client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"])).is_success
    assert levels(client)[HANANO_PCODE] == "imminent"
    raised = next(
        a for a in client.get("/api/v1/alerts").json()["alerts"] if a["level"] == "imminent"
    )
    assert raised["references"] == [held]
    # The aircraft's track ends; the threat passes; the zone comes back to the operator's watch.
    for _ in range(3):
        clock.advance(timedelta(minutes=11))
        aleppo.tick()
    assert levels(client)[HANANO_PCODE] == "watch"
    assert by_id(client, held)["status"] == "active"
    # Ending the operator's alert while the engine governs the zone: the hold goes, and with no
    # threat left the zone is cleared.
    ended = end(client, tokens["dispatcher"], held, "all-clear", "no aircraft over Aleppo").json()
    assert ended["reissued"] == []
    clock.advance(timedelta(minutes=1))
    aleppo.tick()
    assert HANANO_PCODE not in levels(client)
    assert end(client, tokens["dispatcher"], held, "cancel").status_code == 409


def test_all_clear_while_a_live_threat_stands_reissues_rather_than_silences(
    client: TestClient, tokens: dict[str, str], aleppo: Service, clock: ManualClock
) -> None:
    setup_posts(aleppo)
    held = issue(client, tokens["dispatcher"], level="watch", zones=[SAKHOUR_PCODE]).json()["id"]
    took_off = sighting_body(clock.now(), activity="took_off", base_id="kuweires", pcode=None)
    response = client.post("/api/v1/sightings", json=took_off, headers=auth(tokens["spotter"]))
    assert response.is_success
    assert levels(client)[SAKHOUR_PCODE] == "watch"
    result = end(client, tokens["dispatcher"], held, "all-clear", "mistaken radio call").json()
    # The aircraft is airborne: the zone stays under watch, re-issued by the engine.
    assert result["cleared"] == [] and len(result["reissued"]) == 1
    reissued = by_id(client, result["reissued"][0])
    assert reissued["level"] == "watch" and reissued["references"] == [held]
    assert levels(client)[SAKHOUR_PCODE] == "watch"
    valid_cap(client, result["alert_id"])


def test_operator_warning_pulls_rescuers_back_from_a_watched_site(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    incident = make_incident(client, d, clock, kind="strike")
    team = make_team(client, d, "Hanano-1")
    task = assign(client, d, incident, team["id"])
    move(client, d, task["id"], "en_route")
    assert move(client, d, task["id"], "on_scene").status_code == 200
    issue(client, d, level="watch", zones=[SAKHOUR_PCODE])
    assert client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"] == []
    alert_id = issue(client, d, level="imminent").json()["id"]
    orders = client.get("/api/v1/pullbacks", headers=auth(d)).json()["pullbacks"]
    assert [o["team_id"] for o in orders] == [team["id"]]
    # Zones by name, never by code.
    assert f"imminent alert {alert_id} for Hanano)" in orders[0]["reason"]


def test_sirens_and_places_over_the_api(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    admin, d = tokens["admin"], tokens["dispatcher"]
    post = {"id": "roof-7", "name": "Abu Khaled's roof", "lat": 36.205, "lon": 37.23}
    assert client.post("/api/v1/observation-posts", json=post, headers=auth(d)).status_code == 201
    again = client.post("/api/v1/observation-posts", json=post, headers=auth(admin))
    assert again.status_code == 409
    bad = client.post(
        "/api/v1/observation-posts", json={**post, "id": "roof-8", "lat": 91}, headers=auth(d)
    )
    assert bad.status_code == 422 and "lat" in bad.text
    seen = client.get("/api/v1/observation-posts", headers=auth(d)).json()["observation_posts"]
    assert seen == [
        {
            "id": "roof-7",
            "registered_at": seen[0]["registered_at"],
            "name": "Abu Khaled's roof",
            "location": {"lat": 36.205, "lon": 37.23},
        }
    ]
    # A spotter's token lists only the post it reports from, without its name or place.
    unbound = client.get("/api/v1/observation-posts", headers=auth(tokens["spotter"])).json()
    assert unbound["observation_posts"] == []
    bound = client.post(
        "/api/v1/tokens", json={"role": "spotter", "post": "roof-7"}, headers=auth(tokens["admin"])
    ).json()["token"]
    spotter = client.get("/api/v1/observation-posts", headers=auth(bound)).json()
    assert [p["id"] for p in spotter["observation_posts"]] == ["roof-7"]
    assert spotter["observation_posts"][0]["location"] is None
    assert spotter["observation_posts"][0]["name"] is None
    # The log holds the post's name and position only as commitments.
    events = client.get("/api/v1/events", headers=auth(tokens["auditor"])).text
    assert "Abu Khaled" not in events

    base = {
        "id": "jirah",
        "name": "Jirah air base",
        "name_ar": "مطار الجراح",
        "lat": 36.1,
        "lon": 37.9,
    }
    assert client.post("/api/v1/air-bases", json=base, headers=auth(d)).status_code == 201
    bases = client.get("/api/v1/air-bases", headers=auth(tokens["team_leader"])).json()
    assert bases["air_bases"][0]["name_ar"] == "مطار الجراح"
    assert client.post("/api/v1/air-bases", json=base, headers=auth(d)).status_code == 409

    siren = {"id": "hanano-square", "pcodes": [HANANO_PCODE]}
    created = client.post("/api/v1/sirens", json=siren, headers=auth(d))
    assert created.status_code == 201 and created.json()["replaced"] is False
    wider = {"id": "hanano-square", "pcodes": [HANANO_PCODE, SAKHOUR_PCODE]}
    assert client.post("/api/v1/sirens", json=wider, headers=auth(d)).json()["replaced"] is True
    unknown = client.post("/api/v1/sirens", json={"id": "s2", "pcodes": ["N9999"]}, headers=auth(d))
    assert unknown.status_code == 422 and "pcodes" in unknown.text
    [listed] = client.get("/api/v1/sirens", headers=auth(d)).json()["sirens"]
    assert listed["pcodes"] == [HANANO_PCODE, SAKHOUR_PCODE] and listed["sounding"] is False
    issue(client, d, zones=[SAKHOUR_PCODE], level="warning")
    assert client.get("/api/v1/sirens", headers=auth(d)).json()["sirens"][0]["sounding"]


@needs_mqtt
def test_mqtt_retains_the_operator_alert_and_clears_it_at_the_all_clear(
    aleppo: Service, tokens: dict[str, str], city: str
) -> None:
    assert MQTT_URL is not None
    aleppo.settings = Settings(
        database_url=aleppo.settings.database_url, city=city, mqtt_url=MQTT_URL
    )
    topic = f"hanano/{city}/alerts/{HANANO_PCODE}"
    live = Subscriber(MQTT_URL, f"hanano/{city}/#")
    try:
        with TestClient(build_app(aleppo)) as client:
            alert_id = issue(client, tokens["dispatcher"]).json()["id"]
            got = [m for m in live.take() if m.topic == topic]
            assert len(got) == 1 and got[0].qos == 1
            cap_schema().validate(got[0].payload)
            assert f"<identifier>{alert_id}</identifier>".encode() in got[0].payload

            late = Subscriber(MQTT_URL, topic)
            retained = late.take()
            late.close()
            assert len(retained) == 1 and retained[0].retain
            assert retained[0].payload == got[0].payload

            ended = end(client, tokens["dispatcher"], alert_id, "all-clear", "threat passed")
            assert ended.status_code == 201
            cleared = [m.payload for m in live.take() if m.topic == topic]
            assert b"AllClear" in cleared[0] and cleared[-1] == b""
            cap_schema().validate(cleared[0])
            after = Subscriber(MQTT_URL, topic)
            assert after.take(1.5) == []
            after.close()
    finally:
        live.close()


def test_cli_issues_cancels_and_clears(db_url: str, aleppo_geojson_data: dict[str, Any]) -> None:
    service = Service(Settings(database_url=db_url, mqtt_url=None)).start()
    try:
        service.execute(lambda tx: import_neighbourhoods(tx, "test", aleppo_geojson_data))
    finally:
        service.stop()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["--db", db_url, "warn", *args])

    out = run("issue", HANANO_PCODE, SAKHOUR_PCODE, "--level", "warning", "--reason", "radio")
    assert out.exit_code == 0, out.output
    alert_id = out.output.split()[1]
    assert alert_id.startswith("AL-") and "warning" in out.output
    out = run("cancel", alert_id, "--reason", "wrong call")
    assert out.exit_code == 0, out.output
    assert "Cancel" in out.output
    out = run("cancel", alert_id, "--reason", "again")
    assert out.exit_code != 0 and "cancelled by" in out.output
    out = run("issue", "N9999", "--level", "watch", "--reason", "radio")
    assert out.exit_code != 0 and "N9999" in out.output
    out = run("issue", HANANO_PCODE, "--level", "watch", "--reason", "radio")
    second = out.output.split()[1]
    out = run("all-clear", second, "--reason", "passed")
    assert out.exit_code == 0, out.output
    assert "all_clear" in out.output


def test_the_alerts_list_without_outlines_names_each_zone_only(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # The room reads the list without outlines: it draws zones from the city's own, and a day of
    # city-wide alerts each carrying every outline made its first load megabytes.
    created = issue(client, tokens["dispatcher"], zones=[HANANO_PCODE, SAKHOUR_PCODE])
    assert created.status_code == 201, created.text
    full = client.get("/api/v1/alerts", headers=auth(tokens["dispatcher"])).json()["alerts"]
    bare = client.get("/api/v1/alerts?outlines=false", headers=auth(tokens["dispatcher"])).json()[
        "alerts"
    ]
    assert [a["alert_id"] for a in bare] == [a["alert_id"] for a in full]
    assert all(z.get("polygon") for z in full[0]["zones"])
    assert {z["pcode"] for z in bare[0]["zones"]} == {HANANO_PCODE, SAKHOUR_PCODE}
    assert all("polygon" not in z and z["name_en"] for z in bare[0]["zones"])
    stripped = [{k: v for k, v in z.items() if k != "polygon"} for z in full[0]["zones"]]
    assert bare[0]["zones"] == stripped
    wrong = client.get("/api/v1/alerts?outlines=maybe", headers=auth(tokens["dispatcher"]))
    assert wrong.status_code == 422 and "outlines" in wrong.text
