"""Media files follow a mirror by hash: fetched after the checked entries that name them, each
checked against its logged SHA-256 before it is kept; a changed one refused by name; one the
primary does not serve yet, or whose fetch was killed, fetched on the next run."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.clock import ManualClock
from hanano.domains import MIGRATIONS
from hanano.evidence.blobs import BlobStore, Mismatch, TooLarge
from hanano.evidence.tables import mirror_blobs
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import migrate
from hanano.web.app import build_app
from tests.conftest import fresh_store
from tests.continuity.mirror_support import FakePartnerPrimary, fake_partner_server
from tests.continuity.test_mirror import follow, stored
from tests.evidence.media_support import photo
from tests.helpers import HANANO, auth, post, report_body
from tests.helpers_server import running_server


@pytest.fixture
def mirror_db(tmp_path: Path) -> Iterator[str]:
    with fresh_store(tmp_path / "mirror.db") as url:
        yield url


@pytest.fixture
def mirror_files(aleppo: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mirror's own blob directory: `hanano mirror follow` reads HANANO_BLOB_DIR, while the
    primary keeps the one it was started with."""
    path = tmp_path / "mirror-blobs"
    monkeypatch.setenv("HANANO_BLOB_DIR", str(path))
    assert aleppo.settings.blob_dir != str(path)
    return path


def upload(aleppo: Service, token: str, clock: ManualClock, seeds: range) -> list[bytes]:
    """Photos of a new incident, uploaded to the primary; their bytes."""
    files = [photo(3000 + seed, seed=seed) for seed in seeds]
    with TestClient(build_app(aleppo)) as client:
        report = post(client, token, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1]))
        incident = report.json()["incident"]["id"]
        for body in files:
            answer = client.post(
                "/api/v1/media",
                data={"incident_id": incident},
                files={"file": ("photo.jpg", body, "image/jpeg")},
                headers=auth(token),
            )
            assert answer.status_code == 201, answer.text
    return files


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def original(root: Path, body: bytes) -> Path:
    digest = sha(body)
    return root / "originals" / digest[:2] / digest[2:]


def wanted(db: str) -> dict[str, Any]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(mirror_blobs)).all()
    finally:
        engine.dispose()
    return {row.sha256: row for row in rows}


def mirror_status(db: str) -> dict[str, Any]:
    """The mirror's status as anyone reads it there: the primary's tokens open nothing on a
    mirror, and its status is public."""
    mirror = Service(Settings(database_url=db)).start()
    try:
        with TestClient(build_app(mirror)) as client:
            answer = client.get("/api/v1/mirror")
    finally:
        mirror.stop()
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()["mirror"]
    return status


def test_media_files_follow_by_hash(
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    mirror_db: str,
    mirror_files: Path,
) -> None:
    key = aleppo.evidence.key.verifier
    first = upload(aleppo, tokens["dispatcher"], clock, range(2))
    with running_server(aleppo) as url:
        done = follow(url, tokens["mirror"], key, mirror_db)
        assert done.exit_code == 0, done.output
        assert "stored 2 media file(s), each checked against its hash" in done.output
        for body in first:
            kept = original(mirror_files, body)
            assert kept.read_bytes() == body
            assert not kept.stat().st_mode & stat.S_IWUSR  # an original, read-only as there
        assert wanted(mirror_db) == {}

        later = upload(aleppo, tokens["dispatcher"], clock, range(2, 3))
        again = follow(url, tokens["mirror"], key, mirror_db)
        assert again.exit_code == 0, again.output
        assert "stored 1 media file(s)" in again.output
        assert original(mirror_files, later[0]).read_bytes() == later[0]
        # The copies are on each file's chain of custody; the mirror then holds that, too.
        assert follow(url, tokens["mirror"], key, mirror_db).exit_code == 0
    assert stored(mirror_db) == stored(aleppo.settings.database_url)
    with TestClient(build_app(aleppo)) as client:
        custody = client.get(
            f"/api/v1/media/{sha(first[0])}/custody", headers=auth(tokens["admin"])
        )
    accessed = [c for c in custody.json()["custody"] if c["action"] == "accessed"]
    assert [c["data"]["reason"] for c in accessed] == ["copied by a mirror"], custody.text
    assert mirror_status(mirror_db)["blobs_missing"] == 0


def test_a_changed_media_file_is_refused_by_name_and_not_kept(
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    mirror_db: str,
    mirror_files: Path,
) -> None:
    key = aleppo.evidence.key.verifier
    body = upload(aleppo, tokens["dispatcher"], clock, range(1))[0]
    digest = sha(body)
    with running_server(aleppo) as url:
        fake = FakePartnerPrimary(url, flip=f"blob/{digest}", at=1234)
        with fake_partner_server(fake) as hostile:
            done = follow(hostile, tokens["mirror"], key, mirror_db)
        assert done.exit_code == 1, done.output
        assert f"refused media file(s), not stored: blob/{digest}: the 3000 bytes hash to" in (
            done.output
        )
        # The entries were checked and stay stored; the file is nowhere, not under its own hash.
        assert "stored entries 1 to" in done.output
        assert not original(mirror_files, body).exists()
        assert [p for p in (mirror_files / "originals").rglob("*") if p.is_file()] == []
        assert [p for p in (mirror_files / "tmp").iterdir()] == []
        assert wanted(mirror_db)[digest].attempts == 1
        assert mirror_status(mirror_db)["blobs_missing"] == 1

        honest = follow(url, tokens["mirror"], key, mirror_db)
    assert honest.exit_code == 0, honest.output
    assert original(mirror_files, body).read_bytes() == body
    assert wanted(mirror_db) == {}


def test_a_file_the_primary_lacks_is_asked_for_again_on_the_next_run(
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    mirror_db: str,
    mirror_files: Path,
    blob_dir: Path,
) -> None:
    key = aleppo.evidence.key.verifier
    body = upload(aleppo, tokens["dispatcher"], clock, range(1))[0]
    there = original(blob_dir, body)
    away = there.rename(blob_dir / "away")
    with running_server(aleppo) as url:
        done = follow(url, tokens["mirror"], key, mirror_db)
        assert done.exit_code == 0, done.output
        assert "1 media file(s) named by the log not here yet" in done.stderr
        row = wanted(mirror_db)[sha(body)]
        assert row.attempts == 1 and "answered 404" in row.last_error
        assert mirror_status(mirror_db)["blobs_missing"] == 1

        away.rename(there)
        again = follow(url, tokens["mirror"], key, mirror_db)
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output and "stored 1 media file(s)" in again.output
    assert original(mirror_files, body).read_bytes() == body
    assert mirror_status(mirror_db)["blobs_missing"] == 0


def test_a_mirror_killed_while_fetching_a_file_fetches_it_next_run(
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    mirror_db: str,
    mirror_files: Path,
) -> None:
    key = aleppo.evidence.key.verifier
    body = upload(aleppo, tokens["dispatcher"], clock, range(1))[0]
    with running_server(aleppo) as url:
        fake = FakePartnerPrimary(url, blob_delay=5.0)
        with fake_partner_server(fake) as slow:
            command = [sys.executable, "-m", "hanano", "mirror", "follow", slow]
            command += ["--token", tokens["mirror"], "--log-key", key, "--db", mirror_db, "--once"]
            process = subprocess.Popen(command, env={**os.environ}, stderr=subprocess.DEVNULL)
            assert fake.blob_asked.wait(timeout=60), "no media file was asked for"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        time.sleep(0.5)  # PostgreSQL ends the killed connection's transaction
        # The entries were committed before the files were asked for; the file is still wanted.
        assert stored(mirror_db)
        assert sha(body) in wanted(mirror_db)
        assert not original(mirror_files, body).exists()
        done = follow(url, tokens["mirror"], key, mirror_db)
    assert done.exit_code == 0, done.output
    assert "stored 1 media file(s)" in done.output
    assert original(mirror_files, body).read_bytes() == body
    assert wanted(mirror_db) == {}


def test_only_a_mirror_token_is_served_a_file_the_log_names(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock, blob_dir: Path
) -> None:
    body = upload(aleppo, tokens["dispatcher"], clock, range(1))[0]
    path = f"/tlog/blob/{sha(body)}"
    with TestClient(build_app(aleppo)) as client:
        served = client.get(path, headers=auth(tokens["mirror"]))
        assert served.status_code == 200 and served.content == body
        assert served.headers["cache-control"].startswith("private")
        for role in ("reporter", "spotter", "public", "admin", "auditor"):
            refused = client.get(path, headers=auth(tokens[role]))
            assert refused.status_code == 403 and role in refused.json()["detail"], role
        # Without a token the caller is the public.
        anonymous = client.get(path)
        assert anonymous.status_code == 403 and "public" in anonymous.json()["detail"]

        mirror = auth(tokens["mirror"])
        malformed = client.get("/tlog/blob/" + sha(body).upper(), headers=mirror)
        assert malformed.status_code == 422 and "sha256" in malformed.text, malformed.text
        # Bytes stored but named by no media event are not served.
        unlogged = b"not evidence"
        (blob_dir / "originals" / sha(unlogged)[:2]).mkdir(parents=True, exist_ok=True)
        original(blob_dir, unlogged).write_bytes(unlogged)
        for digest in (sha(unlogged), "0" * 64):
            unknown = client.get(f"/tlog/blob/{digest}", headers=mirror)
            assert unknown.status_code == 404 and digest in unknown.text, unknown.text
        original(blob_dir, body).chmod(0o600)
        original(blob_dir, body).unlink()
        gone = client.get(path, headers=mirror)
        assert gone.status_code == 404 and "not on this server" in gone.text, gone.text


def test_a_mirror_made_before_files_followed_fetches_every_file_its_log_names(
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    mirror_db: str,
    mirror_files: Path,
) -> None:
    key = aleppo.evidence.key.verifier
    body = upload(aleppo, tokens["dispatcher"], clock, range(1))[0]
    with running_server(aleppo) as url:
        assert follow(url, tokens["mirror"], key, mirror_db).exit_code == 0
        # The store as a mirror of the previous version left it: no table of wanted files, and
        # none of the files.
        original(mirror_files, body).chmod(0o600)
        original(mirror_files, body).unlink()
        engine = make_engine(mirror_db)
        try:
            with engine.begin() as conn:
                recorded = schema.domain_migrations
                conn.execute(
                    recorded.delete().where(recorded.c.domain == "evidence", recorded.c.number == 7)
                )
                conn.exec_driver_sql("DROP TABLE mirror_blobs")
            migrate(engine, MIGRATIONS)
        finally:
            engine.dispose()
        assert list(wanted(mirror_db)) == [sha(body)]
        done = follow(url, tokens["mirror"], key, mirror_db)
    assert done.exit_code == 0, done.output
    assert original(mirror_files, body).read_bytes() == body
    assert wanted(mirror_db) == {}


def test_bytes_past_the_logged_size_or_of_another_hash_leave_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "files")
    body = photo(5000, seed=9)
    with pytest.raises(TooLarge):
        store.put_checked(iter([body, b"and more"]), sha(body), limit=len(body))
    with pytest.raises(Mismatch, match=f"not {sha(body)}"):
        store.put_checked(iter([body[:-1]]), sha(body), limit=len(body))
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    kept = store.put_checked(iter([body[:100], body[100:]]), sha(body), limit=len(body))
    assert kept.path.read_bytes() == body and store.has(sha(body))
