"""An alert over a whole city stays a log entry a mirror's tile can carry: its zones are named by
P-code and drawn from the city model; alerts written before (version 1, zones with their names and
outlines) still project and render; the writer refuses any entry over the tiles' limit."""

from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select

from hanano.city.commands import import_neighbourhoods
from hanano.city.model import alert_outline, load_city
from hanano.errors import Problem
from hanano.evidence.log import tree_size
from hanano.service import Service
from hanano.store import schema
from hanano.store.log import MAX_ENTRY_BYTES
from hanano.store.rebuild import rebuild, snapshot
from hanano.warning.alerts import issue
from hanano.warning.cap import cap_polygon
from hanano.warning.events import AlertIssued
from hanano.web.app import build_app
from tests.helpers import auth
from tests.warning.common import HANANO_PCODE, cap_schema


def entry_sizes(service: Service, event_type: str) -> list[int]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            select(schema.events.c.canonical).where(schema.events.c.type == event_type)
        ).scalars()
        return [len(bytes(r)) for r in rows]


def engine_alert(service: Service, pcodes: list[str], level: str = "imminent") -> str:
    """The engine's alert for every zone given, each with an ETA and a strike count: the
    longest texts an alert's zones have."""
    zones = [
        {
            "pcode": p,
            "level": level,
            "eta_min_s": 120.0,
            "eta_max_s": 480.0,
            "strikes": 12,
            "rank": n,
        }
        for n, p in enumerate(pcodes, start=1)
    ]
    reason = f"{len(zones)} zone(s) rose to {level}: track TRK-1 heading east"
    return service.execute(lambda tx: issue(tx, level, zones, [], ["TRK-1"], reason, tx.settings))


def alert_view(client: TestClient, alert_id: str) -> Any:
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    return next(a for a in alerts if a["alert_id"] == alert_id)


def cap_of(client: TestClient, alert_id: str) -> Any:
    response = client.get(f"/api/v1/alerts/{alert_id}.cap")
    assert response.status_code == 200, response.text
    cap_schema().validate(response.content)
    return cap_schema().to_dict(response.content)


def test_a_city_wide_alert_names_its_zones_and_fits_a_tile_with_room_to_spare(
    client: TestClient, aleppo: Service, aleppo_geojson_data: dict[str, Any]
) -> None:
    features = aleppo_geojson_data["features"]
    pcodes = [f["properties"]["PCODE"] for f in features]
    assert len(pcodes) == 109
    alert_id = engine_alert(aleppo, pcodes)
    [size] = entry_sizes(aleppo, "warning.alert_issued")
    # 113,423 bytes when each zone carried its names and outline; about 30,000 now.
    assert size < MAX_ENTRY_BYTES // 2
    with aleppo.engine.connect() as conn:
        leaf = conn.execute(
            select(schema.events.c.version).where(schema.events.c.type == AlertIssued.type)
        ).scalar()
    assert leaf == 2

    # The event names each zone by P-code; every reader gets its names and outline.
    alert = alert_view(client, alert_id)
    assert len(alert["zones"]) == 109
    assert len(alert["description_en"].splitlines()) == 109

    # The CAP areas are what they were when the event carried them: the city's outlines.
    with aleppo.engine.connect() as conn:
        names = load_city(conn).neighbourhoods
    expected = {
        f["properties"]["PCODE"]: (
            f"{names[f['properties']['PCODE']].name_ar} ({f['properties']['PCODE']})",
            cap_polygon(alert_outline(shape(f["geometry"]))),
        )
        for f in features
    }
    arabic = cap_of(client, alert_id)["info"][0]
    got = {a["geocode"][0]["value"]: (a["areaDesc"], a["polygon"][0]) for a in arabic["area"]}
    assert got == expected


def test_an_operator_alert_over_the_city_becomes_a_threat_over_every_zone(
    client: TestClient, aleppo: Service, aleppo_geojson_data: dict[str, Any], tokens: dict[str, str]
) -> None:
    pcodes = [f["properties"]["PCODE"] for f in aleppo_geojson_data["features"]]
    body = {"zones": pcodes, "level": "warning", "reason": "jets heading for the east"}
    created = client.post("/api/v1/alerts", json=body, headers=auth(tokens["dispatcher"]))
    assert created.status_code == 201, created.text
    [alert] = entry_sizes(aleppo, AlertIssued.type)
    [reported] = entry_sizes(aleppo, "dispatch.threat_reported")
    # 107,826 and 77,736 bytes when the outlines were copied into both.
    assert alert < MAX_ENTRY_BYTES // 2 and reported < 4_000
    threats = client.get("/api/v1/threats", headers=auth(tokens["dispatcher"])).json()
    [threat] = threats["threats"]
    assert len(threat["polygons"]) == 109


def test_the_event_carries_no_zone_names_or_outlines(aleppo: Service) -> None:
    engine_alert(aleppo, [HANANO_PCODE])
    with aleppo.engine.connect() as conn:
        from hanano.store.records import read_events

        [event] = [e for e in read_events(conn) if e.type == AlertIssued.type]
    assert set(event.data["zones"][0]) == {
        "pcode",
        "level",
        "eta_min_s",
        "eta_max_s",
        "strikes",
        "rank",
    }


class AlertIssuedV1(AlertIssued):
    """The alert as hanano wrote it before version 2: each zone with its names and outline."""

    version: ClassVar[int] = 1


# Not the city's outline of the zone: what an old alert carried is what it shows.
OLD_RING = [[37.18, 36.22], [37.2, 36.22], [37.2, 36.24], [37.18, 36.22]]


def old_alert(alert_id: str) -> AlertIssuedV1:
    zone = {
        "pcode": HANANO_PCODE,
        "level": "warning",
        "eta_min_s": None,
        "eta_max_s": None,
        "strikes": 0,
        "rank": 1,
        "name_en": "Old Hanano",
        "name_ar": "هنانو القديم",
        "polygon": OLD_RING,
    }
    return AlertIssuedV1(
        alert_id=alert_id,
        level="warning",
        msg_type="Alert",
        sent="2026-11-25T10:00:00+00:00",
        expires="2026-11-25T10:30:00+00:00",
        zones=[zone],
        references=[],
        cap_references=[],
        threat_ids=[],
        headline_en="Aircraft approaching: Old Hanano",
        headline_ar="طائرة حربية تقترب: هنانو القديم",
        description_en="Old Hanano (N0129): warned by the operations room",
        description_ar="هنانو القديم (N0129): إنذار من غرفة العمليات",
        instruction_en="Prepare to shelter.",
        instruction_ar="استعدوا للاحتماء.",
        reason="radio",
        source="operator",
    )


def test_an_old_alert_still_projects_renders_and_rebuilds(
    client: TestClient, aleppo: Service, tokens: dict[str, str]
) -> None:
    aleppo.execute(lambda tx: tx.append("dispatcher-1", old_alert("AL-1")))
    with aleppo.engine.connect() as conn:
        assert (
            conn.execute(
                select(schema.events.c.version).where(schema.events.c.type == AlertIssued.type)
            ).scalar()
            == 1
        )
    alerts = client.get("/api/v1/alerts").json()["alerts"]
    assert [(a["alert_id"], a["status"]) for a in alerts] == [("AL-1", "active")]
    assert alerts[0]["zones"][0]["polygon"] == OLD_RING
    english = cap_of(client, "AL-1")["info"][1]
    assert english["area"][0]["areaDesc"] == f"Old Hanano ({HANANO_PCODE})"
    assert english["area"][0]["polygon"] == [cap_polygon(OLD_RING)]
    # Dispatch takes the outline the old alert carried as the threat's zone.
    threats = client.get("/api/v1/threats", headers=auth(tokens["dispatcher"])).json()
    [threat] = threats["threats"]
    assert threat["alert_id"] == "AL-1" and threat["polygons"] == [OLD_RING]

    with aleppo.engine.connect() as conn:
        before = snapshot(conn, aleppo.registry)
    rebuild(aleppo.engine, aleppo.registry)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, aleppo.registry) == before

    # The next alert for the zone supersedes the old one as any alert does.
    engine_alert(aleppo, [HANANO_PCODE])
    newest = client.get("/api/v1/alerts").json()["alerts"][0]
    assert newest["level"] == "imminent" and newest["zones"][0]["name_en"] == "Hanano"


def test_an_entry_over_the_tiles_limit_is_refused_and_nothing_is_written(
    aleppo: Service,
) -> None:
    too_long = old_alert("AL-1").model_copy(update={"description_en": "x" * MAX_ENTRY_BYTES})
    with aleppo.engine.connect() as conn:
        size = tree_size(conn)
    with pytest.raises(Problem) as refused:
        aleppo.execute(lambda tx: tx.append("dispatcher-1", too_long))
    assert refused.value.status == 413
    assert "warning.alert_issued" in refused.value.detail
    assert f"over the {MAX_ENTRY_BYTES:,}" in refused.value.detail
    with aleppo.engine.connect() as conn:
        assert tree_size(conn) == size
        assert not entry_sizes(aleppo, AlertIssued.type)


def grid_city(columns: int, rows: int) -> dict[str, Any]:
    """A city of small square zones, many more than Aleppo's."""
    step = 0.002
    features = []
    for n in range(columns * rows):
        x, y = 37.0 + (n % columns) * step, 36.0 + (n // columns) * step
        ring = [[x, y], [x + step, y], [x + step, y + step], [x, y + step], [x, y]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "PCODE": f"G{n:04d}",
                    "NAME_EN": f"Quarter number {n}",
                    "NAME_AR": f"الحي رقم {n}",
                    "LATITUDE": y + step / 2,
                    "LONGITUDE": x + step / 2,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def test_an_alert_over_a_city_of_many_zones_lists_a_few_and_names_all_in_its_areas(
    service: Service,
) -> None:
    city = grid_city(20, 20)
    service.execute(lambda tx: import_neighbourhoods(tx, "test", city))
    pcodes = [f["properties"]["PCODE"] for f in city["features"]]
    alert_id = engine_alert(service, pcodes)
    [size] = entry_sizes(service, AlertIssued.type)
    assert size <= MAX_ENTRY_BYTES
    with TestClient(build_app(service)) as client:
        alert = alert_view(client, alert_id)
        english = cap_of(client, alert_id)["info"][1]
    lines = alert["description_en"].splitlines()
    assert len(lines) == 21
    assert lines[-1] == "and 380 more zones, each named in the alert's areas"
    assert alert["description_ar"].splitlines()[-1].startswith("و380 ")
    assert len(english["area"]) == 400
