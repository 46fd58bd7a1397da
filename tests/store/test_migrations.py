import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, inspect, select, update

from hanano.clock import ManualClock, isoformat
from hanano.domains import MIGRATIONS, REGISTRY
from hanano.intake import tables as intake_tables
from hanano.intake.events import IncidentOpened, ReportReceived
from hanano.service import Service
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import STORE_MIGRATIONS, migrate
from hanano.store.rebuild import rebuild, snapshot
from hanano.store.sequencer import Tx
from tests.helpers import HANANO, post, report_body


def _all() -> list[tuple[str, int]]:
    every = [("store", m.number) for m in STORE_MIGRATIONS]
    return every + [(domain, m.number) for domain, ms in MIGRATIONS for m in ms]


def _recorded(engine: Engine) -> list[tuple[str, int]]:
    recorded = schema.domain_migrations
    with engine.connect() as conn:
        rows = conn.execute(select(recorded.c.domain, recorded.c.number)).all()
    return sorted((r.domain, r.number) for r in rows)


def _forget(conn: Connection, domain: str, number: int) -> None:
    recorded = schema.domain_migrations
    conn.execute(recorded.delete().where(recorded.c.domain == domain, recorded.c.number == number))


def _since_domains() -> list[tuple[str, int]]:
    """Migrations written after the single global list ended: they replace no global version."""
    return [(domain, m.number) for domain, ms in MIGRATIONS for m in ms if not m.replaces]


def _as_before_domains(engine: Engine, versions: set[int]) -> None:
    """The store as the single global list of migrations left it: `versions` recorded in
    schema_migrations, nothing per domain."""
    with engine.begin() as conn:
        conn.execute(schema.domain_migrations.delete())
        schema.metadata.create_all(conn, tables=[schema.schema_migrations])
        for version in sorted(versions):
            conn.execute(
                schema.schema_migrations.insert().values(
                    version=version, name=f"v{version}", applied_at="2026-01-01T00:00:00Z"
                )
            )


def test_migrations_apply_once_and_are_recorded(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        applied = migrate(engine, MIGRATIONS)
        assert sorted((a.domain, a.migration.number) for a in applied) == sorted(_all())
        assert migrate(engine, MIGRATIONS) == []
        assert _recorded(engine) == sorted(_all())
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert {"events", "sealed_fields", "incidents", "reports", "tokens"} <= tables
    finally:
        engine.dispose()


def test_each_domain_numbers_its_migrations_in_order() -> None:
    for domain, migrations in (("store", STORE_MIGRATIONS), *MIGRATIONS):
        assert [m.number for m in migrations] == list(range(1, len(migrations) + 1)), domain


def test_a_store_from_before_domains_adopts_what_it_has(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, MIGRATIONS)
        # Every global version up to 17 (there never was a 12): none of those is applied again,
        # only what was written after the global list ended.
        _as_before_domains(engine, set(range(1, 18)) - {12})
        applied = migrate(engine, MIGRATIONS)
        assert [(a.domain, a.migration.number) for a in applied] == _since_domains()
        assert _recorded(engine) == sorted(_all())
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
        migrate(engine, MIGRATIONS)
        with engine.begin() as conn:
            _forget(conn, "evidence", 1)
            for table in ("checkpoints", "merkle_nodes"):
                conn.exec_driver_sql(f"DROP TABLE {table}")
        applied = migrate(engine, MIGRATIONS)
        assert [(a.domain, a.migration.number) for a in applied] == [("evidence", 1)]
        with engine.connect() as conn:
            assert {"checkpoints", "merkle_nodes"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_the_receipt_migration_counts_from_receipt_and_pads_years_as_a_rebuild_would(
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
                update(intake_tables.reports)
                .where(intake_tables.reports.c.report_id == old.report_id)
                .values(observed_at=old.observed_at)
            )
            conn.exec_driver_sql(
                "UPDATE incidents SET first_report_at = '39-01-01T00:00:00.000000Z', "
                "last_report_at = '39-01-01T00:00:00.000000Z' WHERE incident_id = 'INC-2'"
            )
        # Recorded by the single global list before domains had their own, all but 15.
        _as_before_domains(engine, set(range(1, 18)) - {12, 15})
        applied = migrate(engine, MIGRATIONS)
        replacing_15 = [("intake", 4), ("warning", 3), ("dispatch", 2)]
        assert [(a.domain, a.migration.number) for a in applied] == sorted(
            replacing_15 + _since_domains(), key=_all().index
        )
        with engine.connect() as conn:
            migrated = snapshot(conn, REGISTRY)
            rows = conn.execute(
                select(
                    intake_tables.incidents.c.incident_id,
                    intake_tables.incidents.c.first_received_at,
                    intake_tables.incidents.c.first_report_at,
                ).order_by(intake_tables.incidents.c.number)
            ).all()
        assert [tuple(r) for r in rows] == [
            ("INC-1", isoformat(opened_at), isoformat(opened_at - timedelta(minutes=1))),
            ("INC-2", isoformat(clock.now()), "0039-01-01T00:00:00.000000Z"),
        ]
        rebuild(engine, REGISTRY)
        with engine.connect() as conn:
            assert snapshot(conn, REGISTRY) == migrated
    finally:
        engine.dispose()
