"""The demo's replayed day reaches the store whole: a citizen's report through the field
phones' reporter token, a team's, a spotter's, a hospital's and the radio's through the room."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from hanano.access.tokens import create_token
from hanano.clock import ManualClock, ScaledClock
from hanano.service import Service
from hanano.sim.demo import _replay
from hanano.sim.scenario import ScheduledReport
from tests.helpers import HANANO, auth, report_body
from tests.helpers_server import running_server


def test_the_demo_replays_every_source_s_reports(
    aleppo: Service, clock: ManualClock, client: TestClient
) -> None:
    reporter = aleppo.execute(lambda tx: create_token(tx, "test", "reporter", None)).secret
    room = aleppo.execute(lambda tx: create_token(tx, "test", "dispatcher", None)).secret
    sources = ("citizen", "team", "spotter", "hospital", "radio_log")
    at = clock.now() - timedelta(hours=1)
    plan = [
        ScheduledReport(at, report_body(clock.now(), source=s, lat=HANANO[0], lon=HANANO[1]))
        for s in sources
    ]
    with running_server(aleppo) as base:
        _replay(plan, ScaledClock(clock.now(), 1.0), base, reporter, room)
    for item in plan:
        # A report the store has is answered again, as stored, under its own id.
        again = client.post("/api/v1/reports", json=item.body, headers=auth(room))
        assert again.headers.get("Idempotent-Replayed") == "true", item.body["source"]
