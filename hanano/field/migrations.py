"""The field domain's migrations, frozen at their numbers."""

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, String, Table

from hanano.store.migration_steps import add_missing_columns
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


# As they were when written.
_SMS_SCHEMA = MetaData()
Table(
    "sms_gateways",
    _SMS_SCHEMA,
    Column("name", String(64), primary_key=True),
    Column("signing_key", String(200), nullable=False),
    Column("send_url", String(500), nullable=True),
    Column("username", String(200), nullable=True),
    Column("password", String(200), nullable=True),
    Column("seq", _SEQ, nullable=False),
)
Table(
    "sms_phones",
    _SMS_SCHEMA,
    Column("phone_id", String(20), primary_key=True),
    Column("number_ref", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("team", String(20), nullable=True),
    Column("seq", _SEQ, nullable=False),
)
Table(
    "sms_messages",
    _SMS_SCHEMA,
    Column("sms_id", String(36), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("record_id", String(64), nullable=True),
    Column("reply", String(1000), nullable=False),
    Column("seq", _SEQ, nullable=False),
)


def _sms(conn: Connection) -> None:
    _SMS_SCHEMA.create_all(conn)


def _phone_zones(conn: Connection) -> None:
    """Registered numbers' zones, to which alerts are sent by SMS."""
    add_missing_columns(conn, (("sms_phones", "zones", "TEXT"),))


# As it was when written.
_SMS_SENT_SCHEMA = MetaData()
Table(
    "sms_sent_upto",
    _SMS_SENT_SCHEMA,
    Column("id", Integer, primary_key=True),
    Column("seq", _SEQ, nullable=False),
)


def _sms_sent_upto(conn: Connection) -> None:
    _SMS_SENT_SCHEMA.create_all(conn)


MIGRATIONS = (
    Migration(1, "form submissions from phones", _form_submissions),
    Migration(2, "SMS gateways, registered numbers and messages", _sms),
    Migration(3, "registered numbers' zones, for alerts by SMS", _phone_zones),
    Migration(4, "how far alerts have been texted, shared by every server", _sms_sent_upto),
)
