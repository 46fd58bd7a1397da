"""The field domain's tables: projections of its events."""

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

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

# SMS gateways by name, with what verifying their webhooks and sending through them needs.
sms_gateways = Table(
    "sms_gateways",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("signing_key", String(200), nullable=False),
    Column("send_url", String(500), nullable=True),
    Column("username", String(200), nullable=True),
    Column("password", String(200), nullable=True),
    Column("seq", _SEQ, nullable=False),
)

# Registered numbers, found by their keyed reference (the number itself is not kept here).
sms_phones = Table(
    "sms_phones",
    metadata,
    Column("phone_id", String(20), primary_key=True),
    Column("number_ref", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("team", String(20), nullable=True),
    Column("seq", _SEQ, nullable=False),
    # The P-codes whose alerts are sent to the phone, comma-separated (None: none).
    Column("zones", Text, nullable=True),
)

# Each SMS received once, by the id made of its gateway and content: a webhook retried by the
# gateway is answered with the first reply.
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("sms_id", String(36), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("record_id", String(64), nullable=True),
    Column("reply", String(1000), nullable=False),
    Column("seq", _SEQ, nullable=False),
)

# How far through the log alerts and pull-backs have been texted: one row, moved on by whichever
# server claims the next events (compare-and-set), so that one server texts each, whoever wrote it.
sms_sent_upto = Table(
    "sms_sent_upto",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", _SEQ, nullable=False),
)
sms_sent_upto.info["kept"] = "which events have been texted is delivery state, not a projection"
