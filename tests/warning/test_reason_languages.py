"""What the room needs to word a track's and a foreign alert's reason in the reader's
language: the parts, beside the English sentence, on every route that shows the reason."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.warning.cap import MAX_LANGUAGES, parse_foreign
from tests.field.test_forms import entries
from tests.helpers import auth
from tests.warning.common import sighting_body

TWO_LANGUAGES = """<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>raid-7</identifier><sender>watch@neighbours.example</sender>
  <sent>2026-11-25T10:00:00+00:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>en-US</language><event>Air raid</event><urgency>Immediate</urgency>
    <severity>Extreme</severity><certainty>Observed</certainty>
    <expires>2026-11-25T11:00:00+00:00</expires><headline>Air raid: take shelter</headline>
    <area><areaDesc>east</areaDesc>
      <geocode><valueName>OCHA_PCODE</valueName><value>N0129</value></geocode></area>
  </info>
  <info><language>ar-SY</language><event>غارة جوية</event><urgency>Immediate</urgency>
    <severity>Extreme</severity><certainty>Observed</certainty>
    <expires>2026-11-25T11:00:00+00:00</expires><headline>غارة جوية: احتموا</headline>
    <area><areaDesc>الشرق</areaDesc>
      <geocode><valueName>OCHA_PCODE</valueName><value>N0129</value></geocode></area>
  </info>
</alert>"""


def foreign(client: TestClient, token: str, document: str) -> Any:
    answer = client.post("/api/v1/alerts/foreign", json={"cap": document}, headers=auth(token))
    assert answer.status_code == 201, answer.text
    return answer


def test_each_info_s_headline_is_kept_by_its_language() -> None:
    (alert,) = parse_foreign(TWO_LANGUAGES.encode())
    assert alert.headlines == {"en-US": "Air raid: take shelter", "ar-SY": "غارة جوية: احتموا"}
    assert alert.headline == "Air raid: take shelter"  # the first, as before
    # No <language>: CAP's default, en-US. A tag that is no language tag is not kept.
    bare = TWO_LANGUAGES.replace("<language>en-US</language>", "").replace(
        "<language>ar-SY</language>", "<language>ar SY; drop</language>"
    )
    (alert,) = parse_foreign(bare.encode())
    assert alert.headlines == {"en-US": "Air raid: take shelter"}
    many = TWO_LANGUAGES.replace(
        "</alert>",
        "".join(
            f"<info><language>x-l{n}</language><headline>h{n}</headline></info>" for n in range(20)
        )
        + "</alert>",
    )
    (alert,) = parse_foreign(many.encode())
    assert len(alert.headlines) == MAX_LANGUAGES


def test_a_foreign_alert_s_reason_carries_its_headlines_to_our_alert(
    client: TestClient, tokens: dict[str, str]
) -> None:
    foreign(client, tokens["dispatcher"], TWO_LANGUAGES)
    (ours,) = client.get("/api/v1/alerts").json()["alerts"]
    threat = ours["reason_parts"]["threat"]
    assert threat["code"] == "foreign"
    assert threat["headlines"]["ar-SY"] == "غارة جوية: احتموا"
    assert (threat["sender"], threat["identifier"]) == ("watch@neighbours.example", "raid-7")
    assert (threat["urgency"], threat["severity"]) == ("Immediate", "Extreme")
    logged = [
        e["data"]
        for e in entries(client, tokens["admin"])
        if e["type"] == "warning.foreign_alert_received"
    ]
    assert logged[0]["headlines"] == {
        "en-US": "Air raid: take shelter",
        "ar-SY": "غارة جوية: احتموا",
    }


def test_a_live_track_carries_its_reason_in_parts(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    sighted = client.post(
        "/api/v1/sightings", json=sighting_body(clock.now()), headers=auth(tokens["dispatcher"])
    )
    assert sighted.status_code == 201, sighted.text
    (track,) = client.get("/api/v1/tracks", headers=auth(tokens["dispatcher"])).json()["tracks"]
    parts = track["reason_parts"]
    assert parts["code"] == "track" and parts["track_id"] == track["id"]
    assert parts["aircraft"] == track["aircraft"]
    assert {"sigma_m", "speed_mps", "shape", "counts", "top_percent"} <= set(parts)
    assert track["reason"].startswith(f"{track['id']} (")
