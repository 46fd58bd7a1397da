"""Early-warning latency: from a sighting sent to the API to the CAP alert of every zone it
affects being delivered by the MQTT broker, with 50 live tracks in the store.

The real app (in-process ASGI), the real engine on SQLite (or PostgreSQL), the real Mosquitto.
Fifty helicopters are kept airborne over and around Aleppo (their threats keep most zones at
watch or warning). Each sample is a drone reported over one neighbourhood, which makes that zone
imminent: the clock starts before the POST and stops when a subscriber has received, for every
zone of every alert the sighting raised, that alert's CAP document on hanano/<city>/alerts/<pcode>.
The drone is then reported leaving, so the live tracks stay at fifty. As in the server, the
time-driven handlers tick every `--tick-s` seconds meanwhile (reassessing every live track), so
samples also wait behind them when they meet. After each round over the city's zones the store
is let go quiet (all-clear everywhere) and the fifty are flown again.

    .venv/bin/python bench/warning.py [--rounds 3] [--tracks 50] [--mqtt mqtt://127.0.0.1:1883]
                                      [--db postgresql://postgres@127.0.0.1:5432/test]
                                      [--tick-s 10]

Last line: p99_ms=N tracks=N
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from hanano.access.tokens import create_token
from hanano.city.commands import import_neighbourhoods
from hanano.clock import ManualClock
from hanano.geo.gazetteer import aleppo_geojson
from hanano.service import Service
from hanano.settings import Settings
from hanano.warning.posts import register_aleppo_bases
from hanano.web.app import build_app

CENTRE = (36.205, 37.155)


class Inbox:
    """A real MQTT subscriber that records when each (topic, alert id) arrived."""

    def __init__(self, url: str, topic: str) -> None:
        parsed = urlparse(url)
        self.arrived: dict[tuple[str, str], float] = {}
        self.cond = threading.Condition()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
        self.client.loop_start()
        if not ready.wait(10):
            raise SystemExit(f"no MQTT broker at {url}")

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        payload = message.payload
        start = payload.find(b"<identifier>")
        if start < 0:
            return
        end = payload.find(b"</identifier>", start)
        alert_id = payload[start + 12 : end].decode()
        with self.cond:
            self.arrived[(message.topic, alert_id)] = now
            self.cond.notify_all()

    def wait_all(self, keys: list[tuple[str, str]], timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(k in self.arrived for k in keys):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"missing on MQTT: {[k for k in keys if k not in self.arrived]}"
                    )
                self.cond.wait(left)
            return max(self.arrived[k] for k in keys)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Ticker:
    """The server's timer: every `every` seconds, while sampling, the time-driven handlers."""

    def __init__(self, service: Service, every: float) -> None:
        self.service = service
        self.every = every
        self.sampling = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-ticker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self.every):
            if self.sampling.is_set():
                self.service.tick()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def body(at: datetime, **fields: Any) -> dict[str, Any]:
    out = {"id": str(uuid.uuid4()), "observed_at": at.isoformat(), "aircraft": "helicopter"}
    out.update(fields)
    return out


def fly_background(
    client: TestClient, token: str, reader: str, clock: ManualClock, n: int, rng: random.Random
) -> int:
    """n helicopters airborne over and around the city, each a live track with a heading, on a
    grid wide enough apart that no two sightings fuse; returns the live tracks."""
    side = 1
    while side * side < n:
        side += 1
    cells = [(i, j) for i in range(side) for j in range(side)]
    for i, j in rng.sample(cells, n):
        lat = CENTRE[0] - 0.14 + 0.28 * i / max(1, side - 1)
        lon = CENTRE[1] - 0.17 + 0.34 * j / max(1, side - 1)
        response = client.post(
            "/api/v1/sightings",
            json=body(
                clock.now(),
                activity="bearing",
                lat=lat,
                lon=lon,
                bearing_deg=rng.uniform(0, 360),
                # Beyond MIN_BEARING_KM, so the estimate lies along the bearing, not on the zone.
                distance_km=2.0,
                heading_deg=rng.uniform(0, 360),
            ),
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
    # A spotter may not read tracks (they are sealed to the operations room): a dispatcher counts.
    headers = {"Authorization": f"Bearer {reader}"}
    return len(client.get("/api/v1/tracks", headers=headers).json()["tracks"])


def own_schema(url: str) -> tuple[str, Callable[[], None]]:
    """On PostgreSQL, a schema of its own, dropped afterwards, so runs never mix."""
    if not url.startswith("postgresql"):
        return url, lambda: None
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{url}?options=-csearch_path%3D{schema}", drop


def report(latencies: list[float], live_counts: list[int], url: str) -> None:
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(
        f"backend={backend} samples={len(latencies)} live_tracks_min={min(live_counts)} "
        f"p50_ms={p50:.1f} p99_ms={p99:.1f} max_ms={latencies[-1]:.1f}"
    )
    print(f"p99_ms={p99:.0f} tracks={min(live_counts)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tracks", type=int, default=50)
    parser.add_argument("--mqtt", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument(
        "--tick-s", type=float, default=10.0, help="ticks while sampling, as the server's timer"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = random.Random(5)
    city = "bench-" + uuid.uuid4().hex[:8]
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/warning.db"
    url, drop = own_schema(url)
    clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    settings = Settings(database_url=url, city=city, mqtt_url=args.mqtt)
    service = Service(settings, clock=clock).start()
    service.execute(lambda tx: import_neighbourhoods(tx, "bench", aleppo_geojson()))
    service.execute(lambda tx: register_aleppo_bases(tx, "bench"))
    token = service.execute(lambda tx: create_token(tx, "bench", "spotter", None)).secret
    reader = service.execute(lambda tx: create_token(tx, "bench", "dispatcher", None)).secret
    auth = {"Authorization": f"Bearer {token}"}
    pcodes = sorted(f["properties"]["PCODE"] for f in aleppo_geojson()["features"])
    inbox = Inbox(args.mqtt, f"hanano/{city}/alerts/#")
    latencies: list[float] = []
    live_counts: list[int] = []
    ticker = Ticker(service, args.tick_s)
    try:
        # The app's own timer is set out of reach: the bench ticks only while sampling.
        with TestClient(build_app(service, sweep_interval_s=3600)) as client:
            for round_no in range(args.rounds):
                flying = fly_background(client, token, reader, clock, args.tracks, rng)
                print(f"round {round_no + 1}: {flying} live tracks", flush=True)
                ticker.sampling.set()
                for pcode in rng.sample(pcodes, len(pcodes)):
                    t0 = time.perf_counter()
                    response = client.post(
                        "/api/v1/sightings",
                        json=body(clock.now(), aircraft="drone", activity="over", pcode=pcode),
                        headers=auth,
                    )
                    response.raise_for_status()
                    result = response.json()
                    keys = [
                        (f"hanano/{city}/alerts/{zone}", alert["alert_id"])
                        for alert in result["alerts"]
                        for zone in alert["zones"]
                    ]
                    if keys:
                        latencies.append((inbox.wait_all(keys) - t0) * 1000)
                        # Live tracks besides the drone just reported.
                        live_counts.append(
                            len(
                                client.get(
                                    "/api/v1/tracks", headers={"Authorization": f"Bearer {reader}"}
                                ).json()["tracks"]
                            )
                            - 1
                        )
                    client.post(
                        "/api/v1/sightings",
                        json=body(clock.now(), aircraft="drone", activity="leaving", pcode=pcode),
                        headers=auth,
                    ).raise_for_status()
                ticker.sampling.clear()
                # Let the city go quiet: tracks end, then every zone gets its all-clear.
                clock.advance(timedelta(minutes=11))
                service.tick()
                clock.advance(timedelta(minutes=11))
                service.tick()
                print(f"round {round_no + 1}: {len(latencies)} samples so far", flush=True)
    finally:
        ticker.stop()
        inbox.close()
        service.stop()
        drop()
    report(latencies, live_counts, url)


if __name__ == "__main__":
    main()
