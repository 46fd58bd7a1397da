"""The live stream: operators get events with sensitive fields sealed; the public gets only
incidents it may see, at neighbourhood precision."""

import json
import queue
import threading
from datetime import timedelta
from typing import Any

import httpx2 as httpx

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from hanano.service import Service
from tests.helpers import HANANO, auth, report_body
from tests.helpers_server import running_server


def listen(
    base: str,
    headers: dict[str, str],
    out: "queue.Queue[dict[str, Any]]",
    ready: threading.Event,
    stop: threading.Event,
) -> None:
    try:
        with (
            httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=30)) as client,
            client.stream("GET", "/api/v1/stream", headers=headers) as response,
        ):
            event = None
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    out.put({"event": event, "data": json.loads(line[6:])})
                if stop.is_set():
                    return
    except httpx.RemoteProtocolError:
        # The server cuts open streams when it shuts down at the end of the test.
        if not stop.is_set():
            raise


def collect(out: "queue.Queue[dict[str, Any]]", seconds: float) -> list[dict[str, Any]]:
    items = []
    try:
        while True:
            items.append(out.get(timeout=seconds))
    except queue.Empty:
        return items


def test_stream_by_role(aleppo: Service, clock: ManualClock) -> None:
    dispatcher = aleppo.execute(lambda tx: create_token(tx, "t", "dispatcher", None)).secret
    with running_server(aleppo, sweep_interval_s=0.2) as base:
        streams = {}
        stop = threading.Event()
        for role, headers in (("dispatcher", auth(dispatcher)), ("public", {})):
            out: queue.Queue[dict[str, Any]] = queue.Queue()
            ready = threading.Event()
            threading.Thread(
                target=listen, args=(base, headers, out, ready, stop), daemon=True
            ).start()
            assert ready.wait(10)
            streams[role] = out
        body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], text="Ahmad is trapped")
        with httpx.Client(base_url=base) as client:
            created = client.post("/api/v1/reports", json=body, headers=auth(dispatcher))
            assert created.status_code == 201
            incident_id = created.json()["incident"]["id"]
            operator = collect(streams["dispatcher"], 2)
            # Other domains may react too (a strike starts a double-tap watch); intake's own
            # events come in order.
            types = [m["event"] for m in operator if m["event"].startswith("intake.")]
            assert types == ["intake.report_received", "intake.incident_opened"]
            received = operator[0]["data"]
            assert received["data"]["text"] == "[sealed]"
            assert received["data"]["lat"] == HANANO[0]
            assert collect(streams["public"], 1) == []

            # Past the public delay, the sweep announces it at neighbourhood precision.
            clock.advance(timedelta(minutes=121))
            public = collect(streams["public"], 2)
            # Later events about the incident (its watch ending, say) may repeat the view.
            assert public and {m["event"] for m in public} == {"incident"}
            for message in public:
                view = message["data"]
                assert view["id"] == incident_id
                assert view["location"]["precision"] == "neighbourhood"
                assert "reports" not in view and "trapped" not in view
                assert "Ahmad" not in json.dumps(view)
        stop.set()


def test_public_stream_counts_the_delay_from_receipt_not_from_claimed_times(
    aleppo: Service, clock: ManualClock
) -> None:
    dispatcher = aleppo.execute(lambda tx: create_token(tx, "t", "dispatcher", None)).secret
    reporter = aleppo.execute(lambda tx: create_token(tx, "t", "reporter", None)).secret
    stop = threading.Event()
    with running_server(aleppo, sweep_interval_s=0.1) as base:
        public: queue.Queue[dict[str, Any]] = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=listen, args=(base, {}, public, ready, stop), daemon=True).start()
        assert ready.wait(10)
        try:
            incident_id = backdated_incident(base, dispatcher, reporter, clock)
            # The reports claim the strike is over two hours old; neither they nor the sweep
            # announce it before two hours have passed since the server received the first.
            assert collect(public, 1) == []
            clock.advance(timedelta(minutes=100) - timedelta(microseconds=1))
            assert collect(public, 0.5) == []
            clock.advance(timedelta(microseconds=1))
            announced = collect(public, 1)
            assert [m["data"]["id"] for m in announced] == [incident_id]
            assert announced[0]["data"]["location"]["precision"] == "neighbourhood"
        finally:
            stop.set()


def backdated_incident(base: str, dispatcher: str, reporter: str, clock: ManualClock) -> str:
    """An incident opened now, then four reports 20 minutes later, each claiming to have seen
    the strike 29 minutes before the earliest so far; the clock ends 20 minutes on."""
    opened_at = clock.now()
    with httpx.Client(base_url=base) as client:
        first = report_body(opened_at, lat=HANANO[0], lon=HANANO[1])
        created = client.post("/api/v1/reports", json=first, headers=auth(dispatcher))
        incident_id = str(created.json()["incident"]["id"])
        clock.advance(timedelta(minutes=20))
        earliest = opened_at - timedelta(minutes=1)
        for _ in range(4):
            earliest -= timedelta(minutes=29)
            body = report_body(
                clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at=earliest.isoformat()
            )
            sent = client.post("/api/v1/reports", json=body, headers=auth(reporter))
            assert sent.status_code == 201, sent.text
        seen = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(dispatcher)).json()
        assert seen["report_count"] == 5  # every backdated report joined the incident
    return incident_id
