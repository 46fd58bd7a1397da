"""Fixtures: a fresh store per test on the backend chosen by HANANO_TEST_BACKEND.

SQLite gets a new file per test. PostgreSQL (HANANO_TEST_DATABASE_URL) gets a new schema per test,
dropped afterwards, so runs never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hanano.access.tokens import create_token
from hanano.city.commands import import_neighbourhoods
from hanano.clock import ManualClock
from hanano.dispatch.roads import import_roads
from hanano.events import ROLES
from hanano.evidence.archive_format import new_receiver_key
from hanano.geo.gazetteer import aleppo_geojson
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.engine import normalise_url
from hanano.web.app import build_app
from tests.helpers import HELSINKI

BACKEND = os.environ.get("HANANO_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("HANANO_TEST_DATABASE_URL")
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
# The key pair of the `tokens` fixture's mirror: its token is served sealed fields encrypted to it.
MIRROR_PRIVATE_PEM, MIRROR_PUBLIC_PEM = new_receiver_key()


def pytest_report_header() -> str:
    return f"hanano store backend: {BACKEND}"


@pytest.fixture(autouse=True)
def log_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's log signing key lives in its own temporary directory."""
    path = tmp_path / "hanano-log.key"
    monkeypatch.setenv("HANANO_LOG_KEY_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def blob_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's media files live in its own temporary directory, whatever the backend."""
    path = tmp_path / "blobs"
    monkeypatch.setenv("HANANO_BLOB_DIR", str(path))
    return path


@contextmanager
def fresh_store(path: Path) -> Iterator[str]:
    """The URL of a store no test has used: a new SQLite file, or a new PostgreSQL schema."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{path}"
        return
    if BACKEND != "postgresql":
        raise RuntimeError(f"unknown HANANO_TEST_BACKEND {BACKEND!r}")
    if not PG_URL:
        raise RuntimeError("HANANO_TEST_BACKEND=postgresql needs HANANO_TEST_DATABASE_URL")
    schema_name = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    url = make_url(normalise_url(PG_URL)).update_query_dict(
        {"options": f"-csearch_path={schema_name}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with fresh_store(tmp_path / "hanano.db") as url:
        yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def service(settings: Settings, clock: ManualClock) -> Iterator[Service]:
    svc = Service(settings, clock=clock).start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture(scope="session")
def aleppo_geojson_data() -> dict[str, Any]:
    return aleppo_geojson()


@pytest.fixture
def aleppo(service: Service, aleppo_geojson_data: dict[str, Any]) -> Service:
    service.execute(lambda tx: import_neighbourhoods(tx, "test", aleppo_geojson_data))
    return service


@pytest.fixture
def tokens(service: Service) -> dict[str, str]:
    """One token per role."""
    out = {}
    for role in ROLES:
        sealed_to = MIRROR_PUBLIC_PEM.decode() if role == "mirror" else None
        out[role] = service.execute(
            lambda tx, r=role, k=sealed_to: create_token(tx, "test", r, f"{r} user", sealed_to=k)
        ).secret
    return out


@pytest.fixture
def client(aleppo: Service) -> Iterator[TestClient]:
    with TestClient(build_app(aleppo)) as test_client:
        yield test_client


@pytest.fixture
def helsinki(service: Service) -> Service:
    """The store with the real Helsinki road graph imported."""
    service.execute(lambda tx: import_roads(tx, "test", HELSINKI))
    return service


@pytest.fixture
def hclient(helsinki: Service) -> Iterator[TestClient]:
    with TestClient(build_app(helsinki)) as test_client:
        yield test_client
