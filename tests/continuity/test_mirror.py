"""A mirror abroad: `hanano mirror follow` against a real primary, a fake hostile one, a fork,
and a kill in the middle of a fetch; then `hanano serve` on the mirror's store, read-only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.access.api import add_mirror_token
from hanano.access.tokens import create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence.cosign import generate_witness_key
from hanano.evidence.tables import checkpoints, cosignatures
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.web.app import build_app
from tests.conftest import fresh_store
from tests.continuity.mirror_support import FakePartnerPrimary, fake_partner_server
from tests.continuity.test_tiles import grow_to, size_of, token_for
from tests.helpers import post, report_body
from tests.helpers_server import free_port, running_server, start_server

REPORT_TEXT = "انهيار بناء في حي هنانو، ثلاثة تحت الأنقاض"


@pytest.fixture
def mirror_db(tmp_path: Path) -> Iterator[str]:
    with fresh_store(tmp_path / "mirror.db") as url:
        yield url


@pytest.fixture
def primary(aleppo: Service) -> Iterator[str]:
    with running_server(aleppo) as url:
        yield url


def follow(url: str, token: str, key: str, db: str, *extra: str) -> Result:
    args = ["mirror", "follow", url, "--token", token, "--log-key", key, "--db", db, "--once"]
    return CliRunner().invoke(main, [*args, *extra])


def stored(db: str) -> list[tuple[int, bytes]]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(schema.events.c.seq, schema.events.c.canonical)).all()
    finally:
        engine.dispose()
    return [(seq, bytes(canonical)) for seq, canonical in sorted(rows)]


def mirror_token(db: str, role: str) -> str:
    """A token of the mirror's own, issued by its CLI as its operator does."""
    done = CliRunner().invoke(main, ["--db", db, "mirror", "token", "add", "--role", role])
    assert done.exit_code == 0, done.output
    return done.output.split("\t")[2].strip()


def report(client: TestClient, token: str, at: datetime) -> None:
    body = report_body(at, text=REPORT_TEXT, lat=36.227, lon=37.2026)
    answer = post(client, token, body)
    assert answer.status_code == 201, answer.text


def test_a_mirror_follows_checks_and_serves_read_only(
    aleppo: Service, primary: str, mirror_db: str, tokens: dict[str, str], clock: ManualClock
) -> None:
    key = aleppo.evidence.key.verifier
    with TestClient(build_app(aleppo)) as client:
        report(client, tokens["reporter"], clock.now())
    grow_to(aleppo, 700)  # three bundles, two levels of hash tiles
    done = follow(primary, tokens["mirror"], key, mirror_db)
    assert done.exit_code == 0, done.output
    assert "stored entries 1 to 700, checked" in done.output
    assert stored(mirror_db) == stored(aleppo.settings.database_url)

    # New events on the primary are picked up by the next catch-up, from where it stopped.
    with TestClient(build_app(aleppo)) as client:
        report(client, tokens["reporter"], clock.now())
    again = follow(primary, tokens["mirror"], key, mirror_db)
    assert again.exit_code == 0, again.output
    assert f"stored entries 701 to {size_of(aleppo)}, checked" in again.output
    assert stored(mirror_db) == stored(aleppo.settings.database_url)
    assert "up to date" in follow(primary, tokens["mirror"], key, mirror_db).output

    mirror = Service(Settings(database_url=mirror_db)).start()
    try:
        own = add_mirror_token(mirror, "dispatcher", "investigator abroad").secret
        with TestClient(build_app(mirror)) as client:
            dispatcher = {"Authorization": f"Bearer {own}"}
            status = client.get("/api/v1/mirror", headers=dispatcher).json()["mirror"]
            assert status["primary"] == primary and status["behind"] == 0
            assert status["size"] == size_of(aleppo)
            # The two reports' keyed fingerprints are sealed: their rows need what is not here.
            assert status["unprojected"] == 2
            assert client.get("/api/v1/health").json()["read_only"] is True
            incidents = client.get("/api/v1/incidents", headers=dispatcher)
            assert incidents.status_code == 200 and incidents.json(), incidents.text
            refused = post(client, own, report_body(clock.now(), text="x"))
            assert refused.status_code == 409
            assert refused.headers["content-type"] == "application/problem+json"
            assert primary in refused.json()["detail"]
        assert size_of(mirror) == size_of(aleppo)
        # The bundles hold commitments, never the sealed values: the mirror has none of them.
        with mirror.engine.connect() as conn:
            values = conn.execute(select(schema.sealed_fields.c.value)).scalars().all()
        assert values and set(values) == {None}
    finally:
        mirror.stop()
    if mirror_db.startswith("sqlite:///"):
        assert REPORT_TEXT.encode() not in Path(mirror_db.removeprefix("sqlite:///")).read_bytes()


def test_hanano_serve_on_a_mirror_store_is_read_only(
    service: Service, mirror_db: str, tmp_path: Path
) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 30)
    with running_server(service) as url:
        assert follow(url, mirror, service.evidence.key.verifier, mirror_db).exit_code == 0
    dispatcher = {"Authorization": f"Bearer {mirror_token(mirror_db, 'dispatcher')}"}
    public: dict[str, str] = {}
    port = free_port()
    process = start_server(mirror_db, port, tmp_path / "mirror-serve.log")
    try:
        base = f"http://127.0.0.1:{port}"
        status = httpx.get(f"{base}/api/v1/mirror", headers=dispatcher, timeout=10).json()
        assert status["mirror"]["primary"] == url and status["mirror"]["behind"] == 0
        told = httpx.get(f"{base}/api/v1/mirror", headers=public, timeout=10).json()["mirror"]
        assert "primary" not in told and url not in str(told) and told["behind"] == 0
        body = report_body(datetime.now(UTC), text="x")
        refused = httpx.post(f"{base}/api/v1/reports", json=body, headers=dispatcher, timeout=10)
        assert refused.status_code == 409 and url in refused.json()["detail"], refused.text
        assert httpx.get(f"{base}/tlog/checkpoint", timeout=10).text.startswith("hanano/aleppo\n")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "read-only: a mirror of " + url in (tmp_path / "mirror-serve.log").read_text()


def test_a_cosignature_is_made_after_storing_and_served_with_the_checkpoint(
    service: Service, mirror_db: str
) -> None:
    grow_to(service, 40)
    signer_key, _ = generate_witness_key("mirror.example")
    with running_server(service) as url:
        done = follow(
            url,
            token_for(service, "mirror"),
            service.evidence.key.verifier,
            mirror_db,
            "--key",
            signer_key,
        )
    assert done.exit_code == 0, done.output
    assert "\u2014 mirror.example " in done.output
    engine = make_engine(mirror_db)
    with engine.connect() as conn:
        line = conn.execute(select(cosignatures.c.line)).scalar_one()
    engine.dispose()
    assert line in done.output
    mirror = Service(Settings(database_url=mirror_db)).start()
    try:
        with TestClient(build_app(mirror)) as client:
            served = client.get("/tlog/checkpoint").text
    finally:
        mirror.stop()
    assert served.endswith(line) and served.startswith(f"hanano/aleppo\n{size_of(service)}\n")


TAMPERED = [
    "checkpoint",
    "tile/0/000",
    "tile/0/002.p/188",
    "tile/1/000.p/2",
    "tile/entries/001",
    "tile/entries/002.p/188",
]


@pytest.mark.parametrize("target", TAMPERED)
@pytest.mark.parametrize("at", [0, 77, 1999])
def test_a_changed_byte_anywhere_is_refused_and_nothing_stored(
    service: Service, mirror_db: str, target: str, at: int
) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 700)
    key = service.evidence.key.verifier
    with running_server(service) as url:
        fake = FakePartnerPrimary(url, flip=target, at=at)
        with fake_partner_server(fake) as hostile:
            done = follow(hostile, mirror, key, mirror_db)
    assert done.exit_code == 1, done.output
    assert "refused, nothing stored" in done.output
    name = "checkpoint" if target == "checkpoint" else target.split(".p/", maxsplit=1)[0]
    assert name in done.output, done.output
    assert stored(mirror_db) == []


def test_a_changed_tile_is_refused_when_catching_up_from_a_stored_size(
    service: Service, mirror_db: str
) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 300)
    key = service.evidence.key.verifier
    with running_server(service) as url:
        assert follow(url, mirror, key, mirror_db).exit_code == 0
        before = stored(mirror_db)
        grow_to(service, 900)
        for target in ("tile/0/001", "tile/entries/002", "tile/1/000.p/3"):
            fake = FakePartnerPrimary(url, flip=target, at=5)
            with fake_partner_server(fake) as hostile:
                done = follow(hostile, mirror, key, mirror_db)
            assert done.exit_code == 1 and target.split(".p/")[0] in done.output, done.output
            assert stored(mirror_db) == before
        assert follow(url, mirror, key, mirror_db).exit_code == 0
    assert len(stored(mirror_db)) == size_of(service)


def test_a_fork_is_refused_with_both_signed_checkpoints(
    service: Service, mirror_db: str, tmp_path: Path
) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 300)
    key = service.evidence.key.verifier
    with running_server(service) as url:
        assert follow(url, mirror, key, mirror_db).exit_code == 0
    before = stored(mirror_db)
    # The same key signs another history in another store: a primary that forked.
    with fresh_store(tmp_path / "forked.db") as forked_url:
        forked = Service(Settings(database_url=forked_url)).start()
        try:
            assert forked.evidence.key.verifier == key
            token = forked.execute(lambda tx: create_token(tx, "fork", "mirror", "m")).secret
            grow_to(forked, 500)
            with running_server(forked) as hostile:
                done = follow(hostile, token, key, mirror_db)
            assert done.exit_code == 3, done.output
            assert "FORK" in done.output
            assert done.output.count(f"\n\u2014 {key.split('+')[0]} ") == 2, done.output
            assert "hanano/aleppo\n300\n" in done.output and "hanano/aleppo\n500\n" in done.output
        finally:
            forked.stop()
    assert stored(mirror_db) == before


def test_a_mirror_killed_in_the_middle_of_a_fetch_stores_nothing_and_resumes(
    service: Service, mirror_db: str, tmp_path: Path
) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 300)
    key = service.evidence.key.verifier
    with running_server(service) as url:
        assert follow(url, mirror, key, mirror_db).exit_code == 0
        before = stored(mirror_db)
        grow_to(service, 3000)
        fake = FakePartnerPrimary(url, bundle_delay=0.3, serve_before_signal=3)
        with fake_partner_server(fake) as slow:
            command = [
                sys.executable,
                "-m",
                "hanano",
                "mirror",
                "follow",
                slow,
                "--token",
                mirror,
                "--log-key",
                key,
                "--db",
                mirror_db,
                "--once",
            ]
            process = subprocess.Popen(command, env={**os.environ}, stderr=subprocess.DEVNULL)
            assert fake.served.wait(timeout=60), "no bundle was fetched"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        time.sleep(0.5)  # PostgreSQL ends the killed connection's transaction
        assert stored(mirror_db) == before
        assert fake.bundles_served < 11  # killed before all bundles of the catch-up came
        done = follow(url, mirror, key, mirror_db)
        assert done.exit_code == 0, done.output
        assert "stored entries 301 to 3000, checked" in done.output
    assert stored(mirror_db) == stored(service.settings.database_url)
    engine = make_engine(mirror_db)
    with engine.connect() as conn:
        sizes = conn.execute(select(checkpoints.c.size)).scalars().all()
    engine.dispose()
    assert sorted(sizes) == [300, size_of(service)]
