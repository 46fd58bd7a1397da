"""On the live stream, team positions and victims' names reach operators sealed and never reach
the reporter or public roles."""

import asyncio
import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.web.stream import Broadcaster, Subscriber
from tests.helpers import HANANO, auth, offset, report_body


def _drain(sub: Subscriber) -> list[dict[str, Any]]:
    items = []
    while not sub.queue.empty():
        items.append(sub.queue.get_nowait())
    return items


def test_dispatch_events_on_the_stream_by_role(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    broadcaster = Broadcaster(aleppo)
    aleppo.sequencer.add_listener(broadcaster.on_events)
    base_at = offset(*HANANO, north_m=500)

    def steps_before() -> str:
        body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], kind="collapse")
        incident = client.post("/api/v1/reports", json=body, headers=auth(d)).json()
        team = client.post(
            "/api/v1/teams",
            json={
                "name": "Rescue-7",
                "base_name": "centre",
                "base_lat": base_at[0],
                "base_lon": base_at[1],
                "sector": "A",
                "crew": 6,
                "capabilities": ["heavy_rescue", "medical"],
            },
            headers=auth(d),
        ).json()
        client.post(
            f"/api/v1/teams/{team['id']}/position",
            json={"lat": HANANO[0], "lon": HANANO[1]},
            headers=auth(d),
        )
        incident_id = str(incident["incident"]["id"])
        client.post(
            f"/api/v1/incidents/{incident_id}/assign",
            json={"team_id": team["id"]},
            headers=auth(d),
        )
        client.post(
            f"/api/v1/incidents/{incident_id}/victims",
            json={"status": "trapped", "name": "Ahmad K."},
            headers=auth(d),
        )
        return str(team["id"])

    def steps_after(team_id: str) -> None:
        clock.advance(timedelta(minutes=121))
        client.post(
            f"/api/v1/teams/{team_id}/position",
            json={"lat": HANANO[0], "lon": HANANO[1]},
            headers=auth(d),
        )
        client.post("/api/v1/tasks/K-1/transition", json={"state": "en_route"}, headers=auth(d))

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
        operator = broadcaster.subscribe(Principal("tok_d", "dispatcher"))
        reporter = broadcaster.subscribe(Principal("tok_r", "reporter"))
        team_id = await asyncio.to_thread(steps_before)
        await asyncio.sleep(0.1)
        seen_by_operator, early = _drain(operator), _drain(reporter)
        await asyncio.to_thread(steps_after, team_id)
        await asyncio.sleep(0.1)
        return seen_by_operator, early, _drain(reporter)

    operator, early, public = asyncio.run(scenario())
    by_type = {m["event"]: m["data"]["data"] for m in operator}
    assert by_type["dispatch.team_position_reported"]["lat"] == "[sealed]"
    assert by_type["dispatch.team_registered"]["base_lat"] == "[sealed]"
    assert by_type["dispatch.victim_recorded"]["name"] == "[sealed]"
    assert "dispatch.task_assigned" in by_type
    assert "Ahmad" not in json.dumps(operator)
    assert early == []
    assert public, "the incident became public by age"
    assert {m["event"] for m in public} == {"incident"}
    text = json.dumps(public)
    assert "Rescue-7" not in text and "team" not in text and "Ahmad" not in text
    assert str(HANANO[0]) not in text
    assert all(m["data"]["location"]["precision"] == "neighbourhood" for m in public)
