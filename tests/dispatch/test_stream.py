"""On the live stream, team positions and victims' names reach operators sealed and never reach
the reporter or public roles."""

import json
import queue
import threading
from datetime import timedelta
from typing import Any

import httpx2 as httpx

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.service import Service
from tests.helpers import HANANO, auth, offset, report_body
from tests.helpers_server import running_server
from tests.web.test_stream import collect, listen


def test_dispatch_events_on_the_stream_by_role(aleppo: Service, clock: ManualClock) -> None:
    dispatcher = aleppo.execute(lambda tx: create_token(tx, "t", "dispatcher", None)).secret
    reporter = aleppo.execute(lambda tx: create_token(tx, "t", "reporter", None)).secret
    with running_server(aleppo, sweep_interval_s=0.2) as base:
        streams = {}
        stop = threading.Event()
        for role, headers in (("dispatcher", auth(dispatcher)), ("reporter", auth(reporter))):
            out: queue.Queue[dict[str, Any]] = queue.Queue()
            ready = threading.Event()
            threading.Thread(
                target=listen, args=(base, headers, out, ready, stop), daemon=True
            ).start()
            assert ready.wait(10)
            streams[role] = out
        base_at = offset(*HANANO, north_m=500)
        with httpx.Client(base_url=base, headers=auth(dispatcher)) as client:
            report = client.post(
                "/api/v1/reports",
                json=report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], kind="collapse"),
            ).json()
            incident = report["incident"]["id"]
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
            ).json()
            client.post(
                f"/api/v1/teams/{team['id']}/position",
                json={"lat": HANANO[0], "lon": HANANO[1]},
            )
            client.post(f"/api/v1/incidents/{incident}/assign", json={"team_id": team["id"]})
            client.post(
                f"/api/v1/incidents/{incident}/victims",
                json={"status": "trapped", "name": "Ahmad K."},
            )
            operator = collect(streams["dispatcher"], 2)
            by_type = {m["event"]: m["data"]["data"] for m in operator}
            assert by_type["dispatch.team_position_reported"]["lat"] == "[sealed]"
            assert by_type["dispatch.team_registered"]["base_lat"] == "[sealed]"
            assert by_type["dispatch.victim_recorded"]["name"] == "[sealed]"
            assert "dispatch.task_assigned" in by_type
            assert "Ahmad" not in json.dumps(operator)
            assert collect(streams["reporter"], 1) == []
            clock.advance(timedelta(minutes=121))
            client.post(
                f"/api/v1/teams/{team['id']}/position",
                json={"lat": HANANO[0], "lon": HANANO[1]},
            )
            client.post("/api/v1/tasks/K-1/transition", json={"state": "en_route"})
            public = collect(streams["reporter"], 2)
            assert public, "the incident became public by age"
            assert {m["event"] for m in public} == {"incident"}
            text = json.dumps(public)
            assert "Rescue-7" not in text and "team" not in text and "Ahmad" not in text
            assert str(HANANO[0]) not in text
            assert all(m["data"]["location"]["precision"] == "neighbourhood" for m in public)
        stop.set()
