"""Reasons in parts (`reason_parts`, for the operations room's languages) are read exactly by
those who read the English reason beside them, and carry no sealed value: no position of a
rescuer, an aircraft's track or a spotter's post, no observer, no name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.access.visibility import event_view
from hanano.clock import ManualClock
from hanano.events import EVENT_TYPES, ROLES
from hanano.service import Service
from hanano.store.records import read_events
from tests.dispatch.support import assign, make_incident, make_team, move
from tests.helpers import HANANO, auth
from tests.warning.common import HANANO_PCODE, setup_posts, sighting_body

WITH_PARTS = (
    "dispatch.threat_reported",
    "dispatch.pullback_ordered",
    "dispatch.pullback_ended",
    "warning.threat_assessed",
    "warning.alert_issued",
)
SEALED_NAMES = {"lat", "lon", "cov", "state_vector", "observer", "post_id", "leader", "name"}


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v, key)
    else:
        yield key, value


def test_reason_parts_are_read_with_the_reason_and_hold_no_sealed_value(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    setup_posts(aleppo)
    team = make_team(client, d, "Hanano-1")
    incident = make_incident(client, d, clock, at=HANANO, kind="strike")
    task = assign(client, d, incident, team["id"])
    move(client, d, task["id"], "en_route")
    assert move(client, d, task["id"], "on_scene").status_code == 200
    # The engine's alerts carry probabilities and pull back by the site's own; an operator's
    # alert over the watched site pulls back by covering it (a threat in parts).
    alert = {"zones": [HANANO_PCODE], "level": "warning", "reason": "radio: helicopter inbound"}
    issued = client.post("/api/v1/alerts", json=alert, headers=auth(tokens["admin"]))
    assert issued.status_code == 201, issued.text
    sighted = client.post(
        "/api/v1/sightings", json=sighting_body(clock.now(), pcode=HANANO_PCODE), headers=auth(d)
    )
    assert sighted.status_code == 201, sighted.text
    assert move(client, d, task["id"], "withdrawn").status_code == 200
    clock.advance(timedelta(minutes=40))
    aleppo.tick()
    with aleppo.engine.connect() as conn:
        events = list(read_events(conn))
    # The sealed values of the day: every position and every sealed field's plaintext.
    sealed = {
        v
        for e in events
        for name, value in e.data.items()
        if name in EVENT_TYPES[e.type].sensitive
        for _, v in leaves(value)
        if v not in (None, "", 0, 0.0)
    }
    seen = {t: 0 for t in WITH_PARTS}
    for event in events:
        if event.type not in WITH_PARTS:
            continue
        parts = event.data.get("reason_parts")
        if parts is None:
            continue
        seen[event.type] += 1
        for key, value in leaves(parts):
            assert key not in SEALED_NAMES, (event.type, key)
            assert value not in sealed, (event.type, key, value)
        for role in ROLES:
            view = event_view(event, Principal(f"tok_{role}", role))
            if view is None:
                continue
            data = view["data"]
            assert ("reason_parts" in data) == ("reason" in data), (event.type, role)
    # Each kind of engine reason was written in parts by this day.
    assert all(seen.values()), seen
    orders = [
        e
        for e in events
        if e.type == "dispatch.pullback_ordered" and e.data.get("probability") is not None
    ]
    for order in orders:
        # An order by the site's probability carries its own Arabic sentence, read with the
        # English one, and neither holds a sealed value.
        assert order.data["reason_ar"] and order.data.get("probability") is not None
        assert not {order.data["reason"], order.data["reason_ar"]} & sealed
        for role in ROLES:
            view = event_view(order, Principal(f"tok_{role}", role))
            if view is not None:
                assert ("reason_ar" in view["data"]) == ("reason" in view["data"]), role
