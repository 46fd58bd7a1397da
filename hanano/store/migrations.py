"""Migrations: each domain's explicit schema changes, applied in order, once each, and recorded.

A migration is frozen at its number: it says the tables and columns as they were when it was
written, never builds them from today's `Table` objects, so a later change of a table is a new
migration and reaches old stores too. Never edit an applied migration; add the next one.

Stores written before each domain had its own list recorded single global versions in
`schema_migrations`; a migration that `replaces` such versions counts as applied on a store that
has them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)

from hanano.clock import SystemClock, isoformat
from hanano.store import schema

_BIG = BigInteger().with_variant(Integer, "sqlite")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[Connection], None]
    # The global versions (from before domains had their own lists) this one stands for.
    replaces: tuple[int, ...] = ()


@dataclass(frozen=True)
class Applied:
    domain: str
    migration: Migration


def _log(conn: Connection) -> None:
    """The log: events and the plaintext of their sealed fields."""
    md = MetaData()
    Table(
        "events",
        md,
        Column("seq", _BIG, primary_key=True, autoincrement=False),
        Column("time", String(40), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("type", String(100), nullable=False),
        Column("version", Integer, nullable=False),
        Column("canonical", LargeBinary, nullable=False),
        Column("leaf_hash", LargeBinary, nullable=False),
    )
    Table(
        "sealed_fields",
        md,
        Column("seq", _BIG, ForeignKey("events.seq"), primary_key=True),
        Column("field", String(100), primary_key=True),
        Column("salt", LargeBinary, nullable=True),
        Column("value", Text, nullable=True),
        Column("erased_at", String(40), nullable=True),
    )
    md.create_all(conn)


# The store's own: the log every domain writes to.
STORE_MIGRATIONS = (Migration(1, "the log: events, sealed fields", _log, replaces=(1,)),)


def legacy_versions(conn: Connection) -> set[int]:
    """The global versions a store recorded before domains had their own migrations."""
    if not inspect(conn).has_table("schema_migrations"):
        return set()
    return set(conn.execute(select(schema.schema_migrations.c.version)).scalars())


def applied_numbers(conn: Connection, domain: str) -> set[int]:
    recorded = schema.domain_migrations
    rows = conn.execute(select(recorded.c.number).where(recorded.c.domain == domain))
    return set(rows.scalars())


def _check_order(domain: str, migrations: Sequence[Migration]) -> None:
    numbers = [m.number for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"{domain}'s migrations must be numbered 1, 2, 3...: {numbers}")


def _migrate_one(engine: Engine, domain: str, migration: Migration) -> bool:
    with engine.begin() as conn:
        # Each number is checked on its own: one merged late still applies.
        if migration.number in applied_numbers(conn, domain):
            return False
        replaced = set(migration.replaces)
        adopted = bool(replaced) and replaced <= legacy_versions(conn)
        if not adopted:
            migration.apply(conn)
        conn.execute(
            schema.domain_migrations.insert().values(
                domain=domain,
                number=migration.number,
                name=migration.name,
                applied_at=isoformat(SystemClock().now()),
            )
        )
        return not adopted


def migrate(engine: Engine, domains: Sequence[tuple[str, Sequence[Migration]]]) -> list[Applied]:
    """Apply every migration not yet applied, the store's first, then each domain's in the order
    given, each in its own transaction; return those applied."""
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[schema.domain_migrations])
    applied: list[Applied] = []
    for domain, migrations in (("store", STORE_MIGRATIONS), *domains):
        _check_order(domain, migrations)
        for migration in migrations:
            if _migrate_one(engine, domain, migration):
                applied.append(Applied(domain, migration))
    return applied
