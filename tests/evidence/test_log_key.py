"""The log's key is recorded in the store when its log begins; a process never signs that log
with another key, and never makes a new one for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from hanano.access.tokens import create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence import note
from hanano.evidence.keys import LogKeyError
from hanano.evidence.tables import checkpoints, log_identity
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from tests.evidence.tamper_support import build_store, store_state, verdicts, verify, writing


def _identity(db_url: str) -> tuple[str, str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(log_identity)).one()
    finally:
        engine.dispose()
    return str(row.verifier_key), str(row.key_file)


def _write_key(path: Path, origin: str = "hanano/aleppo") -> str:
    signer, verifier = note.generate_key(origin)
    path.write_text(signer + "\n")
    return verifier


def test_a_new_store_records_its_key_and_another_directory_finds_it(
    db_url: str,
    log_key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock,
) -> None:
    service = Service(Settings(database_url=db_url), clock=clock).start()
    verifier = service.evidence.key.verifier
    service.stop()
    assert _identity(db_url) == (verifier, str(log_key_file))
    # Another working directory, no setting: the key is found where the store recorded it,
    # and no key file is made in the working directory.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("HANANO_LOG_KEY_FILE")
    created = CliRunner().invoke(main, ["--db", db_url, "token", "create", "--role", "spotter"])
    assert created.exit_code == 0, created.output
    assert list(elsewhere.iterdir()) == []
    result = verify(db_url)
    assert result.exit_code == 0, result.output
    assert "log verifies: 1 events, 1 checkpoints" in result.output


def test_a_missing_key_stops_the_server_and_no_new_key_is_made(
    db_url: str, log_key_file: Path, settings: Settings, clock: ManualClock
) -> None:
    build_store(settings, clock)
    log_key_file.unlink()
    with pytest.raises(LogKeyError, match="HANANO_LOG_KEY_FILE"):
        Service(settings, clock=clock).start()
    cli = CliRunner().invoke(main, ["--db", db_url, "token", "create", "--role", "spotter"])
    assert cli.exit_code == 1
    assert "does not exist" in cli.output and "HANANO_LOG_KEY_FILE" in cli.output
    assert not log_key_file.exists()
    # Verify has no key to check against unless one is given; it makes none either.
    result = verify(db_url)
    assert result.exit_code == 2 and "--key" in result.output
    assert not log_key_file.exists()


def test_a_wrong_key_stops_the_server(
    db_url: str, log_key_file: Path, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    build_store(settings, clock)
    signed_before = store_state(db_url)
    other = tmp_path / "other.key"
    _write_key(other)
    wrong = Settings(database_url=db_url, log_key_file=str(other))
    with pytest.raises(LogKeyError, match="HANANO_LOG_KEY_FILE") as raised:
        Service(wrong, clock=clock).start()
    assert str(other) in str(raised.value)
    assert store_state(db_url) == signed_before


def test_verify_checks_against_the_key_given_and_names_a_store_that_claims_another(
    db_url: str, log_key_file: Path, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    build_store(settings, clock)
    verifier, _ = _identity(db_url)
    log_key_file.unlink()
    given = verify(db_url, "--key", verifier)
    assert given.exit_code == 0, given.output
    # Someone re-signed every checkpoint with a key of their own and recorded it as the log's:
    # against the log's real key nothing verifies.
    forger, forged = note.generate_key("hanano/aleppo")
    with writing(db_url) as conn:
        for mark in conn.execute(select(checkpoints)).all():
            body = mark.note.split("\n\n", 1)[0] + "\n"
            conn.execute(
                checkpoints.update()
                .where(checkpoints.c.size == mark.size)
                .values(note=note.sign(body, forger))
            )
        conn.execute(log_identity.update().values(verifier_key=forged))
    assert verify(db_url, "--key", forged).exit_code == 0
    result = verify(db_url, "--key", verifier)
    assert result.exit_code == 1
    found = verdicts(result)
    assert len(found["bad_signature"]) == 8
    assert found["key_mismatch"] == [
        f"the store records its log as signed by {forged}, not by the key checked against "
        f"({verifier})"
    ]


def test_verify_never_migrates_and_never_creates_a_store(
    db_url: str, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    build_store(settings, clock)
    with writing(db_url) as conn:
        # The store as it was before the log's key was recorded (evidence's migration 4).
        recorded = schema.domain_migrations
        conn.execute(
            delete(recorded).where(recorded.c.domain == "evidence", recorded.c.number == 4)
        )
        conn.exec_driver_sql("DROP TABLE log_identity")
    before = store_state(db_url)
    result = verify(db_url)
    assert result.exit_code == 0, result.output
    assert store_state(db_url) == before
    missing = tmp_path / "absent" / "nowhere.db"
    absent = verify(f"sqlite:///{missing}")
    assert absent.exit_code == 2 and "no SQLite store" in absent.output
    assert not missing.exists() and not missing.parent.exists()


def test_a_store_from_before_keys_were_recorded_keeps_its_key(
    db_url: str, log_key_file: Path, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    """Stores signed before the key was recorded: the key must be there and must have signed
    their checkpoints; then it is recorded."""
    service = Service(settings, clock=clock).start()
    verifier = service.evidence.key.verifier
    service.execute(lambda tx: create_token(tx, "cli", "spotter", "one"))
    service.stop()
    with writing(db_url) as conn:
        conn.execute(delete(log_identity))
    other = tmp_path / "other.key"
    _write_key(other)
    with pytest.raises(LogKeyError, match="did not sign this store"):
        Service(Settings(database_url=db_url, log_key_file=str(other)), clock=clock).start()
    os.rename(log_key_file, tmp_path / "moved.key")
    with pytest.raises(LogKeyError, match="already holds a signed log"):
        Service(settings, clock=clock).start()
    assert not log_key_file.exists()
    os.rename(tmp_path / "moved.key", log_key_file)
    Service(settings, clock=clock).start().stop()
    assert _identity(db_url) == (verifier, str(log_key_file))
