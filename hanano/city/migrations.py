"""The city domain's migrations.

Frozen at their numbers: each says the schema as it was when written (see hanano.store.migrations).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from hanano.store.migrations import Migration

_BIG = BigInteger().with_variant(Integer, "sqlite")


# As they were when written.
_ZONES_SCHEMA = MetaData()
Table(
    "neighbourhoods",
    _ZONES_SCHEMA,
    Column("pcode", String(20), primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ar", Text, nullable=False),
    Column("geometry", Text, nullable=False),
    Column("centroid_lat", Float, nullable=False),
    Column("centroid_lon", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
)

Table(
    "aliases",
    _ZONES_SCHEMA,
    Column("alias", Text, primary_key=True),
    Column("pcode", String(20), primary_key=True),
)


def _zones(conn: Connection) -> None:
    """Neighbourhoods and the other names people use for them."""
    _ZONES_SCHEMA.create_all(conn)


MIGRATIONS = (Migration(1, "neighbourhoods and aliases", _zones, replaces=(1,)),)
