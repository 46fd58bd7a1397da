"""The city's tables: its zones and the names people use for them."""

from sqlalchemy import Column, Float, String, Table, Text

from hanano.store.schema import metadata

neighbourhoods = Table(
    "neighbourhoods",
    metadata,
    Column("pcode", String(20), primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ar", Text, nullable=False),
    Column("geometry", Text, nullable=False),
    Column("centroid_lat", Float, nullable=False),
    Column("centroid_lon", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
)

aliases = Table(
    "aliases",
    metadata,
    Column("alias", Text, primary_key=True),
    Column("pcode", String(20), primary_key=True),
)
