import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, update

from hanano.clock import ManualClock, isoformat
from hanano.events import IncidentOpened, ReportReceived
from hanano.service import Service
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import MIGRATIONS, current_version, migrate
from hanano.store.rebuild import rebuild, snapshot
from hanano.store.sequencer import Tx
from tests.helpers import HANANO, post, report_body


def test_migrations_apply_once_and_are_recorded(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        applied = migrate(engine)
        assert [m.version for m in applied] == sorted(m.version for m in MIGRATIONS)
        assert migrate(engine) == []
        with engine.connect() as conn:
            assert current_version(conn) == max(m.version for m in MIGRATIONS)
            recorded = conn.execute(select(schema.schema_migrations.c.version)).scalars().all()
            tables = set(inspect(conn).get_table_names())
        assert sorted(recorded) == sorted(m.version for m in MIGRATIONS)
        assert {"events", "sealed_fields", "incidents", "reports", "tokens"} <= tables
    finally:
        engine.dispose()


def test_sqlite_store_is_durable_wal(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        if engine.dialect.name != "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
                assert conn.exec_driver_sql("SHOW fsync").scalar() == "on"
            return
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # 2 = FULL: a WAL commit is on disk before it returns.
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        engine.dispose()


def test_a_migration_merged_late_still_applies(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        lowest_but_one = sorted(m.version for m in MIGRATIONS)[1]
        with engine.begin() as conn:
            conn.execute(
                schema.schema_migrations.delete().where(
                    schema.schema_migrations.c.version == lowest_but_one
                )
            )
            for table in ("checkpoints", "merkle_nodes"):
                conn.exec_driver_sql(f"DROP TABLE {table}")
        applied = migrate(engine)
        assert [m.version for m in applied] == [lowest_but_one]
        with engine.connect() as conn:
            assert {"checkpoints", "merkle_nodes"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_migration_15_counts_from_receipt_and_pads_years_as_a_rebuild_would(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock, db_url: str
) -> None:
    d = tokens["dispatcher"]
    opened_at = clock.now()
    first = post(client, d, report_body(opened_at, lat=HANANO[0], lon=HANANO[1])).json()
    clock.advance(timedelta(minutes=5))
    linked = post(client, d, report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])).json()
    assert linked["incident"]["id"] == first["incident"]["id"] == "INC-1"
    # What the old code logged for a report dated in year 39: it opened an incident of its own.
    old = ReportReceived(
        report_id=str(uuid.uuid4()),
        body_hash="0" * 64,
        kind="strike",
        observed_at="39-01-01T00:00:00.000000Z",
        lat=None,
        lon=None,
        accuracy_m=None,
        text="Hanano",
        trapped=None,
        casualties=None,
        source="citizen",
        pcode="N0129",
        place_precision="neighbourhood",
        place_reason="text names Hanano",
    )

    def old_code(tx: Tx) -> None:
        tx.append("old-version", old)
        tx.append(
            "hanano:intake",
            IncidentOpened(incident_id="INC-2", report_id=old.report_id, reason="Opened"),
        )

    aleppo.execute(old_code)
    aleppo.stop()
    engine = make_engine(db_url)
    try:
        # The store as the old code left it: no receipt time, years as strftime wrote them.
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE incidents DROP COLUMN first_received_at")
            conn.execute(
                update(schema.reports)
                .where(schema.reports.c.report_id == old.report_id)
                .values(observed_at=old.observed_at)
            )
            conn.exec_driver_sql(
                "UPDATE incidents SET first_report_at = '39-01-01T00:00:00.000000Z', "
                "last_report_at = '39-01-01T00:00:00.000000Z' WHERE incident_id = 'INC-2'"
            )
            conn.execute(
                schema.schema_migrations.delete().where(schema.schema_migrations.c.version == 15)
            )
        assert [m.version for m in migrate(engine)] == [15]
        with engine.connect() as conn:
            migrated = snapshot(conn)
            rows = conn.execute(
                select(
                    schema.incidents.c.incident_id,
                    schema.incidents.c.first_received_at,
                    schema.incidents.c.first_report_at,
                ).order_by(schema.incidents.c.number)
            ).all()
        assert [tuple(r) for r in rows] == [
            ("INC-1", isoformat(opened_at), isoformat(opened_at - timedelta(minutes=1))),
            ("INC-2", isoformat(clock.now()), "0039-01-01T00:00:00.000000Z"),
        ]
        rebuild(engine)
        with engine.connect() as conn:
            assert snapshot(conn) == migrated
    finally:
        engine.dispose()
