"""Tables of the store. `events` and `sealed_fields` are the truth; the rest are projections."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.sql.ddl import sort_tables

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("time", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
)

# Plaintext of sensitive fields; a NULL salt means the field was erased.
sealed_fields = Table(
    "sealed_fields",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("events.seq"),
        primary_key=True,
    ),
    Column("field", String(100), primary_key=True),
    Column("salt", LargeBinary, nullable=True),
    Column("value", Text, nullable=True),
    Column("erased_at", String(40), nullable=True),
)

# Each domain's migrations, applied once each and recorded here.
domain_migrations = Table(
    "domain_migrations",
    metadata,
    Column("domain", String(40), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)


def projection_tables(tables: list[Table]) -> list[Table]:
    """Those of `tables` that `rebuild` clears and replays from the log, parents first: every
    domain table but those marked `info["kept"] = "<why it is not rebuilt from the log>"`."""
    return sort_tables([t for t in tables if not t.info.get("kept")])
