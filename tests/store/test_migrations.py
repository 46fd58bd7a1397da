from sqlalchemy import inspect, select

from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import MIGRATIONS, current_version, migrate


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
