"""The field domain's tables: projections of its events."""

from sqlalchemy import BigInteger, Column, Integer, String, Table

from hanano.store.schema import metadata

_SEQ = BigInteger().with_variant(Integer, "sqlite")

# One row per filled-in form received, by the phone's instance id: how a retry is told from a
# different form sent under the same id.
form_submissions = Table(
    "form_submissions",
    metadata,
    Column("instance_id", String(36), primary_key=True),
    Column("form_id", String(64), nullable=False),
    Column("xml_hash", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("record_seq", _SEQ, nullable=False),
    Column("seq", _SEQ, nullable=False),
)
