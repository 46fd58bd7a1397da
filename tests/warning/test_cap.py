"""CAP 1.2: every document hanano emits validates against the official schema; foreign feeds are
read leniently and never resolve external entities."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.settings import Settings
from hanano.warning.cap import ForeignCapError, cap_polygon, parse_foreign
from hanano.web.app import build_app
from tests.helpers import auth
from tests.warning.common import cap_schema, setup_posts, sighting_body, spotter_at

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def every_level(client: TestClient, service: Service, token: str, clock: ManualClock) -> None:
    """One sortie that goes through watch, warning, imminent and all-clear."""
    steps: list[tuple[int, dict[str, Any]]] = [
        (0, {"activity": "took_off", "base_id": "kuweires", "pcode": None}),
        (
            6,
            {
                "activity": "bearing",
                "pcode": None,
                "post_id": "east-1",
                "bearing_deg": 90,
                "distance_km": 6,
                "heading_deg": 270,
            },
        ),
        (2, {"activity": "circling"}),
    ]
    for minutes, fields in steps:
        clock.advance(timedelta(minutes=minutes))
        body = sighting_body(clock.now(), **fields)
        assert client.post("/api/v1/sightings", json=body, headers=auth(token)).status_code == 201
    clock.advance(timedelta(minutes=11))
    service.tick()
    clock.advance(timedelta(minutes=11))
    service.tick()


def test_every_level_validates_against_the_schema(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    every_level(client, aleppo, spotter_at(aleppo), clock)
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert {a["level"] for a in alerts} == {"watch", "warning", "imminent", "all_clear"}
    schema = cap_schema()
    for alert in alerts:
        response = client.get(f"/api/v1/alerts/{alert['alert_id']}.cap")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/cap+xml")
        document = response.content
        schema.validate(document)
        tree: Any = schema.to_dict(document)
        assert tree["msgType"] == alert["msg_type"]
        assert tree["sent"].endswith("+00:00") and "." not in tree["sent"]
        languages = [info["language"] for info in tree["info"]]
        assert languages == ["ar", "en"]
        arabic = tree["info"][0]
        assert any("\u0600" <= ch <= "\u06ff" for ch in arabic["headline"])
        for area in arabic["area"]:
            for polygon in area["polygon"]:
                points = polygon.split()
                assert len(points) >= 4 and points[0] == points[-1]
                lat, lon = (float(v) for v in points[0].split(","))
                assert 36 < lat < 36.4 and 37 < lon < 37.3
            assert area["geocode"][0]["valueName"] == "OCHA P-code"
        if alert["references"]:
            assert tree["references"].count(",") == 2 * len(alert["references"])
        if alert["level"] == "all_clear":
            assert arabic["responseType"] == ["AllClear"]
            assert arabic["urgency"] == "Past"
    assert client.get("/api/v1/alerts/AL-999.cap").status_code == 404


def test_atom_feed_links_each_cap_document(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    every_level(client, aleppo, spotter_at(aleppo), clock)
    feed = client.get("/api/v1/alerts.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    import defusedxml.ElementTree as SafeET

    root = SafeET.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry")
    assert len(entries) == len(client.get("/api/v1/alerts").json()["alerts"])
    href = entries[0].find(f"{atom}link").get("href")
    path = href.split("127.0.0.1:8000", 1)[1]
    cap_schema().validate(client.get(path).content)


def test_operator_may_require_a_token_for_alerts(aleppo: Service, tokens: dict[str, str]) -> None:
    aleppo.settings = Settings(
        database_url=aleppo.settings.database_url, require_token_for_alerts=True
    )
    with TestClient(build_app(aleppo)) as locked:
        assert locked.get("/api/v1/alerts").status_code == 401
        assert locked.get("/api/v1/alerts.atom").status_code == 401
        assert locked.get("/api/v1/alerts", headers=auth(tokens["public"])).status_code == 200


def test_polygon_is_closed_lat_lon() -> None:
    ring = [[37.1, 36.2], [37.2, 36.2], [37.2, 36.3]]
    assert cap_polygon(ring) == (
        "36.200000,37.100000 36.200000,37.200000 36.300000,37.200000 36.200000,37.100000"
    )
    with pytest.raises(ValueError):
        cap_polygon([[37.1, 36.2], [37.1, 36.2]])


FOREIGN_11 = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">
  <identifier>ua-2026-7</identifier><sender>alerts@example.org</sender>
  <sent>2026-11-25T10:00:00Z</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Security</category><event>Air raid</event><urgency>Immediate</urgency>
    <severity>Extreme</severity><certainty>Likely</certainty>
    <expires>2026-11-25T10:45:00+00:00</expires>
    <area><areaDesc>Hanano</areaDesc><polygon>36.22,37.19 36.22,37.21 36.235,37.21 36.22,37.19
    </polygon><circle>36.2270,37.2026 1.5</circle>
      <geocode><valueName>OCHA P-code</valueName><value>N0129</value></geocode></area>
    <area><areaDesc>broken</areaDesc><polygon>not numbers</polygon></area>
  </info>
</alert>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>&xxe;</identifier><sender>evil@example.org</sender>
  <sent>2026-11-25T10:00:00-00:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
</alert>"""


def test_foreign_cap_is_read_leniently() -> None:
    [alert] = parse_foreign(FOREIGN_11)
    assert alert.version == "1.1"
    assert alert.identifier == "ua-2026-7"
    assert alert.urgency == "Immediate" and alert.severity == "Extreme"
    first, broken = alert.areas
    assert first.polygons[0][0] == (36.22, 37.19)
    assert first.circles == [(36.227, 37.2026, 1.5)]
    assert first.geocodes == [("OCHA P-code", "N0129")]
    assert broken.polygons == []


def test_external_entities_are_never_resolved() -> None:
    with pytest.raises(ForeignCapError, match="entities"):
        parse_foreign(XXE)
    with pytest.raises(ForeignCapError):
        parse_foreign(b"<alert><identifier>x</identifier></alert>")
    with pytest.raises(ForeignCapError):
        parse_foreign(b"not xml at all")
