"""SMS in: a message forwarded by a gateway phone becomes a report, a sighting or a team's
step, as its sender's registered role allows, and is answered by SMS.

Every message is logged (`field.sms_received`) with its number sealed, whatever became of it;
one that cannot be read as a person's message (too long, or not text) is refused, politely.
A message is known by the id made of its gateway and content: the gateway's retry of a webhook
is answered with the first reply and writes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, bindparam, select

from hanano.errors import Problem
from hanano.field.events import SmsReceived
from hanano.field.handlers import HANDLERS
from hanano.field.sms_setup import normal_number, number_ref, phone_of
from hanano.field.sms_text import clean
from hanano.field.tables import sms_messages
from hanano.store.prepared import Prepared
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

_NAMESPACE = uuid.UUID("4f6d2c1e-8a0b-5c3d-9e7f-1a2b3c4d5e6f")
_BY_ID = Prepared(select(sms_messages).where(sms_messages.c.sms_id == bindparam("sms_id")))
Outcome = Literal["report", "sighting", "check_in", "step", "refused"]

SORRY = (
    "hanano: عذراً، لم نستطع قراءة رسالتك. أرسل نصاً قصيراً: ماذا حدث وأين. / "
    "Sorry, we could not read your message. Send a short text: what happened, and where."
)


class SmsPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    messageId: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(max_length=100_000)]
    phoneNumber: Annotated[str, Field(min_length=1, max_length=40)]
    simNumber: int | None = None
    receivedAt: Annotated[str, Field(max_length=40)]


class SmsWebhook(BaseModel):
    """What SMS Gateway for Android posts for each SMS it receives."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    event: Literal["sms:received"]
    payload: SmsPayload


@dataclass(frozen=True)
class Sender:
    """Who sent a message: a registered phone (its id, role and team) or an unknown number."""

    number: str
    number_ref: str
    phone: tuple[str, str, str | None] | None
    replyable: bool = True


@dataclass(frozen=True)
class Done:
    """What a message became, to log and to answer."""

    outcome: Outcome
    record_id: str | None
    reason: str
    reply: str


@dataclass(frozen=True)
class Answer:
    sms_id: str
    outcome: str
    reply: str
    number: str
    replayed: bool


def sms_id(gateway: str, p: SmsPayload) -> uuid.UUID:
    # The gateway's messageId is made from the content and may repeat: the id takes the sender,
    # the time and the text as well.
    digest = hashlib.sha256(p.message.encode("utf-8", "surrogatepass")).hexdigest()
    return uuid.uuid5(
        _NAMESPACE, f"{gateway}|{p.messageId}|{p.phoneNumber}|{p.receivedAt}|{digest}"
    )


def received_at(p: SmsPayload, now: datetime) -> datetime:
    """When the phone received it, if it says so with its offset; else now."""
    try:
        when = datetime.fromisoformat(p.receivedAt)
    except ValueError:
        return now
    return when if when.tzinfo is not None else now


def sender(tx: Tx, phone_number: str) -> Sender:
    """Who sent it. A sender that is no phone number (a network's named sender, "Syriatel")
    can be neither acted for nor answered: it is kept as it came, for the log."""
    try:
        number = normal_number(phone_number)
    except Problem:
        named = clean(phone_number)[:40]
        return Sender(named, number_ref(tx, named), None, replyable=False)
    ref = number_ref(tx, number)
    return Sender(number, ref, phone_of(tx.conn, ref))


def replayed(conn: Connection, sid: str) -> tuple[str, str] | None:
    """The outcome and reply of a message already received."""
    row = _BY_ID.run(conn, {"sms_id": sid}).first()
    return None if row is None else (row.outcome, row.reply)


def log(tx: Tx, actor: str, gateway: str, sid: str, p: SmsPayload, who: Sender, done: Done) -> None:
    """Log the message and what became of it; a refused message's text is not kept."""
    tx.append(
        actor,
        SmsReceived(
            sms_id=sid,
            gateway=gateway,
            number=who.number,
            number_ref=who.number_ref,
            phone_id=who.phone[0] if who.phone else None,
            text=None if done.outcome == "refused" else clean(p.message),
            size=len(p.message.encode("utf-8", "surrogatepass")),
            outcome=done.outcome,
            record_id=done.record_id,
            reason=done.reason,
            reply=done.reply,
        ),
    )


@HANDLERS.projects(SmsReceived.type)
def _received(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        sms_messages.insert().values(
            sms_id=d["sms_id"],
            outcome=d["outcome"],
            record_id=d["record_id"],
            reply=d["reply"],
            seq=event.seq,
        )
    )
