from sqlalchemy import inspect, select

from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.migrations import MIGRATIONS, current_version, migrate


def test_migrations_apply_once_and_are_recorded(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        applied = migrate(engine)
        assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
        assert migrate(engine) == []
        with engine.connect() as conn:
            assert current_version(conn) == MIGRATIONS[-1].version
            recorded = conn.execute(select(schema.schema_migrations.c.version)).scalars().all()
            tables = set(inspect(conn).get_table_names())
        assert sorted(recorded) == [m.version for m in MIGRATIONS]
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
