"""Sightings dated outside the store's window are refused, by the API and by the command itself;
those a store took before the fix are read back with four-digit years."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.errors import Problem
from hanano.service import Service
from hanano.store.rebuild import rebuild
from hanano.warning.events import SightingReported
from hanano.warning.sightings import SightingIn, report_sighting
from hanano.warning.tables import sightings, tracks
from tests.helpers import auth
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body


@pytest.mark.parametrize(
    "observed_at", ["0500-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]
)
def test_sightings_outside_the_window_are_refused(
    client: TestClient,
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    observed_at: str,
) -> None:
    setup_posts(aleppo)
    body = sighting_body(clock.now(), observed_at=observed_at)
    response = client.post("/api/v1/sightings", json=body, headers=auth(tokens["spotter"]))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["observed_at"]
    with aleppo.engine.connect() as conn:
        assert conn.execute(select(sightings)).all() == []

    # The command refuses it too, whoever calls it.
    parsed = SightingIn.model_validate_json(json.dumps(body))
    with pytest.raises(Problem) as caught:
        aleppo.execute(lambda tx: report_sighting(tx, "test", parsed))
    assert caught.value.status == 422
    assert caught.value.errors[0].field == "observed_at"


def test_a_sighting_logged_with_an_unpadded_year_is_read_back(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    # What the old code logged for a sighting dated in year 500.
    old = SightingReported(
        sighting_id=str(uuid.uuid4()),
        body_hash="0" * 64,
        observed_at="500-01-01T00:00:00.000000Z",
        source="spotter",
        confidence=1.0,
        aircraft="helicopter",
        activity="over",
        post_id=None,
        base_id=None,
        observer_lat=None,
        observer_lon=None,
        bearing_deg=None,
        heading_deg=None,
        pcode=HANANO_PCODE,
        distance_km=None,
        altitude_m=None,
        text=None,
        est_lat=36.23,
        est_lon=37.20,
        est_cov=[250000.0, 0.0, 0.0, 250000.0],
        est_reason="over the named neighbourhood",
    )
    aleppo.execute(lambda tx: tx.append("old-version", old))
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        (observed,) = conn.execute(select(sightings.c.observed_at)).scalars()
        started = conn.execute(select(tracks.c.started_at, tracks.c.at)).all()
    assert observed == "0500-01-01T00:00:00.000000Z"
    assert all(t == "0500-01-01T00:00:00.000000Z" for row in started for t in row)
    assert datetime(500, 1, 1, tzinfo=UTC) < clock.now()
    fresh = client.post(
        "/api/v1/sightings", json=sighting_body(clock.now()), headers=auth(tokens["spotter"])
    )
    assert fresh.status_code == 201, fresh.text
    assert client.get("/api/v1/tracks", headers=auth(tokens["dispatcher"])).status_code == 200


def test_a_sighting_older_than_a_track_lives_is_kept_but_alarms_no_one(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    setup_posts(aleppo)
    stale = clock.now() - timedelta(hours=20)
    body = sighting_body(clock.now(), observed_at=stale.isoformat(), pcode=HANANO_PCODE)
    response = client.post("/api/v1/sightings", json=body, headers=auth(tokens["dispatcher"]))
    assert response.status_code == 201, response.text
    with aleppo.engine.connect() as conn:
        assert len(conn.execute(select(sightings)).all()) == 1
        assert conn.execute(select(tracks)).all() == []
    assert client.get("/api/v1/alerts").json()["alerts"] == []
    # The same sighting, seen now, places an aircraft and warns.
    fresh = sighting_body(clock.now(), pcode=HANANO_PCODE)
    assert (
        client.post("/api/v1/sightings", json=fresh, headers=auth(tokens["dispatcher"])).status_code
        == 201
    )
    with aleppo.engine.connect() as conn:
        assert len(conn.execute(select(tracks)).all()) == 1
