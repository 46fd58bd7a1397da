"""Field channels benchmark: an ODK Collect submission, or an SMS from the gateway, to a
durable report.

Starts `hanano serve` (SQLite) as a subprocess on 127.0.0.1, then posts filled-in forms to
`/openrosa/key/{token}/submission` exactly as ODK Collect does (multipart, one
`xml_submission_file`), and signed `sms:received` webhooks to `/api/v1/sms/inbound` as SMS
Gateway for Android does, from `--clients` concurrent keep-alive clients. A 201 (form) or 200
(SMS) answer is sent only after the report's transaction has committed, so each latency is
submission to durable report.

    .venv/bin/python bench/field.py [--count 400] [--clients 4]

The last line printed is machine-readable:
    openrosa_p99_ms=N sms_p99_ms=N
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
from intake import hanano_command, percentile, prepare_store, running_server

SIGNING_KEY = "bench-gateway-signing-key"
# Within Aleppo's built-up area.
LAT_RANGE = (36.17, 36.23)
LON_RANGE = (37.12, 37.20)
PLACES = ("الصاخور", "هنانو", "بستان القصر", "الشعار", "طريق الباب", "الميسر")


def form_xml(rng: random.Random) -> bytes:
    lat, lon = rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return (
        "<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\" "
        f'id="hanano_report" version="2026120701"><kind>strike</kind>'
        f"<location>{lat:.6f} {lon:.6f} 400 8</location><observed_at>{now}</observed_at>"
        f"<text>غارة، {rng.randint(0, 9)} عالقين</text><trapped>{rng.randint(0, 9)}</trapped>"
        f"<casualties/><photo/><meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()


def sms_body(rng: random.Random, n: int) -> tuple[bytes, dict[str, str]]:
    text = f"قصف على {rng.choice(PLACES)}، {rng.randint(1, 9)} عالقين و{rng.randint(0, 5)} جرحى"
    body = json.dumps(
        {
            "event": "sms:received",
            "payload": {
                "messageId": f"b-{n}",
                "message": text,
                "phoneNumber": f"+96394{rng.randint(1_000_000, 9_999_999)}",
                "simNumber": 1,
                "receivedAt": datetime.now(UTC).isoformat(),
            },
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(SIGNING_KEY.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature}
    return body, headers


def drive(base: str, token: str, count: int, clients: int, channel: str) -> list[float]:
    """Each client posts its share, one after another; the latency of each durable answer."""

    def client(seed: int) -> list[float]:
        rng = random.Random(seed)
        times = []
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in range(count // clients):
                start = time.perf_counter()
                if channel == "openrosa":
                    files = {"xml_submission_file": ("s.xml", form_xml(rng), "text/xml")}
                    answer = http.post(
                        f"/openrosa/key/{token}/submission",
                        files=files,
                        headers={"X-OpenRosa-Version": "1.0"},
                    )
                    ok = answer.status_code == 201
                else:
                    body, headers = sms_body(rng, seed * 1_000_000 + n)
                    answer = http.post("/api/v1/sms/inbound", content=body, headers=headers)
                    ok = answer.status_code == 200 and answer.json()["outcome"] == "report"
                if not ok:
                    raise RuntimeError(f"{channel}: {answer.status_code} {answer.text[:300]}")
                times.append((time.perf_counter() - start) * 1000)
        return times

    with ThreadPoolExecutor(clients) as pool:
        return sorted(t for part in pool.map(client, range(clients)) for t in part)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="submissions per channel")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hanano-bench-field-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'hanano.db'}"
        token = prepare_store(db_url)
        subprocess.run(
            [
                *hanano_command(),
                "--db",
                db_url,
                "sms",
                "add-gateway",
                "bench",
                "--signing-key",
                SIGNING_KEY,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        figures = {}
        with running_server(db_url, Path(tmp)) as (base, _pid):
            for channel in ("openrosa", "sms"):
                drive(base, token, 4 * args.clients, args.clients, channel)  # warm up
                times = drive(base, token, args.count, args.clients, channel)
                p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
                print(
                    f"{channel}: {len(times)} durable reports from {args.clients} clients, "
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms"
                )
                figures[channel] = p99
    print(f"openrosa_p99_ms={figures['openrosa']:.1f} sms_p99_ms={figures['sms']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
