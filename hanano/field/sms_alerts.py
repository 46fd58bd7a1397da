"""Alerts and pull-back orders out by SMS, to the registered phones they concern.

- A warning, an imminent strike, an all-clear or a cancellation goes to every registered phone
  whose zones (`hanano sms add-phone ... --zone Z`) it names. "Watch" (an aircraft airborne
  anywhere) does not: under a sky that is rarely empty it would teach people to ignore the
  phone.
- A pull-back order, and its end, go to the phones of the team's leaders.

Whoever wrote the event (this server, a second one, `hanano warn issue` from the command line),
the servers running find it in the log: each looks every `POLL_S` (at once when its own writer
commits one), and claims the next events by moving the store's one `sms_sent_upto` row on with a
compare-and-set, so that exactly one server texts each (a server that dies between its claim
and its sends loses those texts: at most once, never twice). A thread of its own reads the
numbers (sealed in the log, opened here) and hands each text to the first gateway that can
send. A refused or failed send is tried again, `SMS_ATTEMPTS` times in all with a doubling
wait, and given up once the alert has expired: a stale alert is worse than none. Numbers never
reach the log file.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import DBAPIError

from hanano.clock import parse_iso
from hanano.dispatch.events import PullbackEnded, PullbackOrdered
from hanano.domain import Announcer, Runtime
from hanano.field import sms_send
from hanano.field.sms_setup import Gateway, gateways
from hanano.field.tables import sms_phones, sms_sent_upto
from hanano.store import schema
from hanano.store.records import LogTampered, RecordedEvent, read_events
from hanano.warning.events import AlertIssued

log = logging.getLogger(__name__)

SMS_ATTEMPTS = 3
POLL_S = 1.0
CLAIM_BATCH = 500
_TEXTED = (AlertIssued.type, PullbackOrdered.type, PullbackEnded.type)
FIRST_RETRY_S = 2.0
# Arabic and English, each at most half: about five parts of a long SMS (UCS-2: 67 characters
# a part), the price of a text everyone on the phone can read.
MAX_TEXT = 300
_SENT_LEVELS = frozenset({"warning", "imminent", "all_clear", "cancel"})


@dataclass(frozen=True)
class Outgoing:
    """One text owed to one phone, and until when it is worth sending."""

    phone_id: str
    phone_seq: int
    text: str
    expires: datetime | None
    attempt: int = 1


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].rstrip(".") + "."


def alert_text(alert: dict[str, Any]) -> str:
    """The alert in Arabic, then English: its headline (which names its zones) and what to do
    now (the first sentence of its instruction)."""
    half = (MAX_TEXT - 1) // 2
    ar = f"{alert['headline_ar']}. {_first_sentence(alert['instruction_ar'])}"
    en = f"{alert['headline_en']}. {_first_sentence(alert['instruction_en'])}"
    return _cut(ar, half) + "\n" + _cut(en, half)


def pullback_text(event: RecordedEvent) -> str:
    d = event.data
    half = (MAX_TEXT - 1) // 2
    if event.type == PullbackOrdered.type:
        ar = f"انسحبوا الآن ({d['team_id']}): {d.get('reason_ar') or d['reason']}"
        en = f"PULL BACK NOW ({d['team_id']}): {d['reason']}"
    else:
        ar = f"انتهى أمر الانسحاب ({d['team_id']}): {d.get('reason_ar') or d['reason']}"
        en = f"Pull-back ended ({d['team_id']}): {d['reason']}"
    return _cut(ar, half) + "\n" + _cut(en, half)


def _phones(conn: Connection) -> list[Any]:
    return list(conn.execute(select(sms_phones).order_by(sms_phones.c.phone_id)).all())


def owed(conn: Connection, event: RecordedEvent) -> list[Outgoing]:
    """The texts an event owes, one per phone it concerns."""
    d = event.data
    if event.type == AlertIssued.type:
        if d["level"] not in _SENT_LEVELS:
            return []
        named = {z["pcode"] for z in d["zones"]}
        expires = parse_iso(d["expires"])
        text = alert_text(d)
        return [
            Outgoing(p.phone_id, p.seq, text, expires)
            for p in _phones(conn)
            if set(filter(None, (p.zones or "").split(","))) & named
        ]
    if event.type in (PullbackOrdered.type, PullbackEnded.type):
        text = pullback_text(event)
        return [
            Outgoing(p.phone_id, p.seq, text, None)
            for p in _phones(conn)
            if p.role == "team_leader" and p.team == d["team_id"]
        ]
    return []


def claim(conn: Connection) -> list[RecordedEvent]:
    """The next events to text, claimed for this server; none when another server claimed them
    first. The first claim on a store starts from its end: alerts from before are not sent."""
    # A writing transaction from its first statement (SQLite: BEGIN IMMEDIATE), so that the
    # read and the move are one, and wait for the writer rather than fail. Only this one: the
    # mark stays with the pooled connection, whose next borrower must not hold the write lock
    # while it reads.
    conn.info["writer"] = True
    try:
        wanted = _claimed_seqs(conn)
    finally:
        conn.info.pop("writer", None)
    return [e for s in wanted for e in read_events(conn, after=s - 1, limit=1)]


def _claimed_seqs(conn: Connection) -> list[int]:
    with conn.begin():
        row = conn.execute(select(sms_sent_upto.c.seq).where(sms_sent_upto.c.id == 1)).first()
        top = int(conn.execute(select(func.max(schema.events.c.seq))).scalar() or 0)
        if row is None:
            conn.execute(sms_sent_upto.insert().values(id=1, seq=top))
            return []
        last = int(row.seq)
        upto = min(top, last + CLAIM_BATCH)
        if upto <= last:
            return []
        moved = conn.execute(
            update(sms_sent_upto)
            .where(sms_sent_upto.c.id == 1, sms_sent_upto.c.seq == last)
            .values(seq=upto)
        ).rowcount
        if moved != 1:
            return []
        seqs = conn.execute(
            select(schema.events.c.seq)
            .where(schema.events.c.seq > last, schema.events.c.seq <= upto)
            .where(schema.events.c.type.in_(_TEXTED))
            .order_by(schema.events.c.seq)
        ).scalars()
        return list(seqs)


def number_of(conn: Connection, phone_seq: int) -> str | None:
    """The phone's number, opened from its sealed field in the log (None once erased)."""
    for event in read_events(conn, after=phone_seq - 1, limit=1):
        number = event.data.get("number")
        return number if isinstance(number, str) else None
    return None


class SmsAlerts:
    """The queue of texts owed and the thread that sends them."""

    def __init__(
        self,
        runtime: Runtime,
        send: Callable[[Gateway, str, str], bool] = sms_send.send,
        first_retry_s: float = FIRST_RETRY_S,
    ) -> None:
        self.runtime = runtime
        self.send = send
        self.first_retry_s = first_retry_s
        self._queue: queue.SimpleQueue[RecordedEvent | Outgoing | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._nudged = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hanano-sms-alerts", daemon=True)
        self._claimer = threading.Thread(target=self._claim, name="hanano-sms-claim", daemon=True)

    def start(self) -> SmsAlerts:
        # The first claim marks where this store's texting starts, before anything can be
        # written that should be texted.
        with self.runtime.engine.connect() as conn:
            self._queue_all(claim(conn))
        self.runtime.sequencer.add_listener(self.on_events)
        self._thread.start()
        self._claimer.start()
        return self

    def on_events(self, events: list[RecordedEvent]) -> None:
        """The writer's listener: an event to text was just written here; look now."""
        if any(event.type in _TEXTED for event in events):
            self._nudged.set()

    def _claim(self) -> None:
        while not self._stopped.is_set():
            try:
                with self.runtime.engine.connect() as conn:
                    claimed = claim(conn)
            except (DBAPIError, LogTampered) as exc:
                log.warning("SMS out: the log could not be read (%s); trying again", exc)
                claimed = []
            self._queue_all(claimed)
            self._nudged.wait(POLL_S)
            self._nudged.clear()

    def _queue_all(self, events: list[RecordedEvent]) -> None:
        for event in events:
            self._queue.put(event)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if isinstance(item, Outgoing):
                    self._deliver(item)
                    continue
                with self.runtime.engine.connect() as conn:
                    texts = owed(conn, item)
                for text in texts:
                    self._deliver(text)
            except Exception:
                log.exception("SMS out: an event could not be handled")

    def _deliver(self, text: Outgoing) -> None:
        now = self.runtime.clock.now()
        if text.expires is not None and text.expires <= now:
            log.info("SMS to phone %s given up: its alert has expired", text.phone_id)
            return
        with self.runtime.engine.connect() as conn:
            number = number_of(conn, text.phone_seq)
            senders = [g for g in gateways(conn) if g.send_url]
        if number is None or not senders:
            log.warning("SMS to phone %s not sent: no number or no gateway", text.phone_id)
            return
        if any(self.send(g, number, text.text) for g in senders):
            return
        if text.attempt >= SMS_ATTEMPTS:
            log.warning("SMS to phone %s given up after %d attempts", text.phone_id, text.attempt)
            return
        wait = self.first_retry_s * 2 ** (text.attempt - 1)
        again = Outgoing(text.phone_id, text.phone_seq, text.text, text.expires, text.attempt + 1)
        timer = threading.Timer(wait, self._queue.put, (again,))
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        self._stopped.set()
        self._nudged.set()
        self._claimer.join(timeout=10)
        self._queue.put(None)
        self._thread.join(timeout=10)


def start(runtime: Runtime, announcer: Announcer | None) -> SmsAlerts:
    return SmsAlerts(runtime).start()
