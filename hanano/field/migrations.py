"""The field domain's migrations, frozen at their numbers."""

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, String, Table

from hanano.store.migrations import Migration

_SEQ = BigInteger().with_variant(Integer, "sqlite")

# As it was when written.
_FORM_SUBMISSIONS_SCHEMA = MetaData()
Table(
    "form_submissions",
    _FORM_SUBMISSIONS_SCHEMA,
    Column("instance_id", String(36), primary_key=True),
    Column("form_id", String(64), nullable=False),
    Column("xml_hash", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("record_seq", _SEQ, nullable=False),
    Column("seq", _SEQ, nullable=False),
)


def _form_submissions(conn: Connection) -> None:
    _FORM_SUBMISSIONS_SCHEMA.create_all(conn)


MIGRATIONS = (Migration(1, "form submissions from phones", _form_submissions),)
