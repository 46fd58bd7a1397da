"""The delivery outbox: every webhook POST and MQTT publish an alert owes, kept until it is done.

When an `AlertIssued` event is appended, a reaction writes one row per durable channel target
(the MQTT broker, each webhook URL) in the same transaction, so an alert that is committed is an
alert whose deliveries are owed, whatever happens to the process afterwards.

The fan-out still delivers at once after the commit, as before (the MQTT latency from a sighting
to the broker depends on it); the row only records how that went. A failed attempt schedules the
next one with exponential backoff; a thread of the outbox takes rows that are due, including
those a crash or a restart left behind, and hands them to the channel's own worker again. A
webhook gives up after `webhook_attempts` attempts or on a refusal that retrying cannot change;
any delivery gives up once its alert has expired, since a stale alert is worse than none.

The outbox is operational state, not evidence: a plain table, not a projection. Its content is
about the network (which attempt, which error, when the next try is due, at this server's wall
clock), it changes on every attempt, and a rebuild from the log must not resurrect deliveries
that were long done; the evidence of what was alerted is the `AlertIssued` event itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse, urlunparse

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    or_,
    select,
)

from hanano.clock import Clock, SystemClock, isoformat, parse_iso
from hanano.settings import Settings
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Sequencer, Tx
from hanano.warning.events import AlertIssued
from hanano.warning.handlers import HANDLERS
from hanano.warning.tables import alerts, deliveries

log = logging.getLogger(__name__)

MQTT = "mqtt"
WEBHOOK = "webhook"
STATUSES = ("pending", "delivered", "gave_up")


Key = tuple[str, str]


def target_name(url: str) -> str:
    """A target as the outbox records and shows it: its URL without any password."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.hostname or ""
    if parsed.username:
        netloc = f"{parsed.username}@{netloc}"
    if parsed.port:
        netloc = f"{netloc}:{parsed.port}"
    return urlunparse(parsed._replace(netloc=netloc))


def targets(settings: Settings) -> list[Key]:
    """The durable channel targets the settings configure, in the order they are served."""
    out: list[Key] = []
    if settings.mqtt_url:
        out.append((MQTT, target_name(settings.mqtt_url)))
    for url in (u.strip() for u in settings.webhook_urls.split(",")):
        if url and (WEBHOOK, url) not in out:
            out.append((WEBHOOK, url))
    return out


# Rows are written with the time of this server's wall clock: they schedule network attempts.
_WALL = SystemClock()
# The fan-out makes the first attempt at once; the outbox's own thread takes a row it has not
# heard about only after this, so the two never race for the same first attempt.
FIRST_ATTEMPT_GRACE = timedelta(seconds=10)
FLUSH_S = 0.2


@HANDLERS.reacts_to(AlertIssued.type)
def owe_deliveries(tx: Tx, event: RecordedEvent) -> None:
    """The alert's deliveries, owed from the moment it commits."""
    now = _WALL.now()
    rows = [
        {
            "channel": channel,
            "target": target,
            "alert_id": event.data["alert_id"],
            "seq": event.seq,
            "attempts": 0,
            "created_at": isoformat(now),
            "next_attempt_at": isoformat(now + FIRST_ATTEMPT_GRACE),
        }
        for channel, target in targets(tx.settings)
    ]
    if rows:
        tx.conn.execute(deliveries.insert(), rows)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: doubling from webhook_backoff_s."""
    seconds = settings.webhook_backoff_s * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.webhook_max_backoff_s))


class DeliveryFailed(Exception):
    """An attempt that did not deliver; `final` when retrying cannot help."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


@dataclass(frozen=True)
class Due:
    """A row the outbox thread hands back to a channel."""

    delivery_id: int
    key: Key
    alert_id: str
    seq: int
    attempts: int


def _status(row: Any) -> str:
    if row.delivered_at is not None:
        return "delivered"
    if row.gave_up_at is not None:
        return "gave_up"
    return "pending"


def list_deliveries(
    conn: Connection, status: str | None = None, alert_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Deliveries newest first, each with its attempts, last error and outcome."""
    query = select(deliveries).order_by(deliveries.c.delivery_id.desc()).limit(limit)
    if status == "delivered":
        query = query.where(deliveries.c.delivered_at.is_not(None))
    elif status == "gave_up":
        query = query.where(deliveries.c.gave_up_at.is_not(None))
    elif status == "pending":
        query = query.where(deliveries.c.delivered_at.is_(None), deliveries.c.gave_up_at.is_(None))
    if alert_id:
        query = query.where(deliveries.c.alert_id == alert_id)
    out = []
    for row in conn.execute(query):
        item = dict(row._mapping)
        item["status"] = _status(row)
        if item["status"] != "pending":
            item["next_attempt_at"] = None
        out.append(item)
    return out


def _write_outcome(
    conn: Connection,
    settings: Settings,
    key: Key,
    alert_id: str,
    seq: int,
    error: DeliveryFailed | None,
    now: datetime,
) -> None:
    """One attempt's outcome on its row (made if the target was configured after the alert)."""
    where = and_(
        deliveries.c.channel == key[0],
        deliveries.c.target == key[1],
        deliveries.c.alert_id == alert_id,
    )
    row = conn.execute(select(deliveries.c.attempts).where(where)).first()
    if row is None:
        conn.execute(
            deliveries.insert().values(
                channel=key[0],
                target=key[1],
                alert_id=alert_id,
                seq=seq,
                attempts=0,
                created_at=isoformat(now),
            )
        )
    attempts = (row.attempts if row is not None else 0) + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": isoformat(now)}
    if error is None:
        values.update(delivered_at=isoformat(now), next_attempt_at=None)
    else:
        values["last_error"] = str(error)[:2000]
        limit = settings.webhook_attempts if key[0] == WEBHOOK else None
        if error.final or (limit is not None and attempts >= limit):
            values.update(gave_up_at=isoformat(now), next_attempt_at=None)
            log.warning("%s %s gave up on %s: %s", key[0], key[1], alert_id, error)
        else:
            values["next_attempt_at"] = isoformat(now + backoff(settings, attempts))
    conn.execute(deliveries.update().where(where).values(**values))


class Outbox:
    """Records each attempt and retries what is due, through the channels' own workers.

    Writes go through the sequencer while it runs (one writer, and the write lands in the next
    group) and straight to the store once it has stopped. A row is "in flight" from the moment a
    worker has it until its outcome is written, so the retry thread never sends it twice at once.
    """

    def __init__(
        self,
        engine: Engine,
        sequencer: Sequencer,
        settings: Settings,
        domain_clock: Clock,
        wall: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.sequencer = sequencer
        self.settings = settings
        self.domain_clock = domain_clock
        self.wall = wall or _WALL
        self.started_at = self.wall.now()
        self._in_flight: set[tuple[Key, str]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dispatch: Callable[[Due, dict[str, Any]], bool] | None = None
        self._outcomes: list[tuple[Key, str, int, DeliveryFailed | None, datetime]] = []
        self._flush_timer: threading.Timer | None = None

    # --- the fan-out's first attempt ---------------------------------------------------

    def claim(self, key: Key, alert_id: str) -> bool:
        """Take a delivery for an attempt; False when an attempt is already under way."""
        with self._lock:
            if (key, alert_id) in self._in_flight:
                return False
            self._in_flight.add((key, alert_id))
            return True

    def attempted(self, key: Key, alert_id: str, seq: int, error: DeliveryFailed | None) -> None:
        """Note how an attempt went; the delivery is free for another attempt once written.

        Outcomes are written together, FLUSH_S after the first of them, in one command: every
        alert would otherwise cost the writer one more commit (one more fsync) right when the
        next sighting's alerts are being written."""
        with self._lock:
            self._outcomes.append((key, alert_id, seq, error, self.wall.now()))
            if self._flush_timer is not None:
                return
            self._flush_timer = threading.Timer(FLUSH_S, self.flush)
            self._flush_timer.daemon = True
            self._flush_timer.start()

    def flush(self) -> None:
        """Write the noted outcomes now."""
        with self._lock:
            outcomes, self._outcomes = self._outcomes, []
            self._flush_timer = None
        if not outcomes:
            return
        settings = self.settings

        def write(conn: Connection) -> None:
            for key, alert_id, seq, error, at in outcomes:
                _write_outcome(conn, settings, key, alert_id, seq, error, at)

        def release() -> None:
            for key, alert_id, *_ in outcomes:
                self._release(key, alert_id)

        self._write(write, release)

    def _release(self, key: Key, alert_id: str) -> None:
        with self._lock:
            self._in_flight.discard((key, alert_id))
        self._wake.set()

    def _write(self, write: Callable[[Connection], None], then: Callable[[], None]) -> None:
        if self.sequencer.running:
            try:
                future = self.sequencer.submit(lambda tx: write(tx.conn))
            except RuntimeError:
                pass  # the sequencer stopped in between: write directly below
            else:

                def done(f: Any) -> None:
                    if f.exception() is not None:
                        log.error("outbox write failed: %s", f.exception())
                    then()

                future.add_done_callback(done)
                return
        try:
            with self.engine.begin() as conn:
                write(conn)
        except Exception:
            log.exception("outbox write failed")
        then()

    def _give_up(self, due: Due, reason: str) -> None:
        now = isoformat(self.wall.now())

        def write(conn: Connection) -> None:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.delivery_id == due.delivery_id)
                .values(gave_up_at=now, next_attempt_at=None, last_error=reason)
            )

        log.warning("%s %s gave up on %s: %s", *due.key, due.alert_id, reason)
        self._write(write, lambda: self._release(due.key, due.alert_id))

    # --- retries -------------------------------------------------------------------------

    def start(self, dispatch: Callable[[Due, dict[str, Any]], bool]) -> None:
        """Run the retry thread; `dispatch` hands a due delivery and its alert to a worker and
        says whether a worker for its target exists."""
        self._dispatch = dispatch
        self._thread = threading.Thread(target=self._run, name="hanano-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop retrying (the outcomes still to come are written by `flush`)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_due()
            except Exception:
                log.exception("outbox pass failed")
                wait = self.settings.delivery_poll_s
            self._wake.wait(wait)
            self._wake.clear()

    def run_due(self) -> float:
        """Hand every due delivery to its worker; return how long to sleep before the next."""
        now = self.wall.now()
        poll = self.settings.delivery_poll_s
        pending = and_(deliveries.c.delivered_at.is_(None), deliveries.c.gave_up_at.is_(None))
        # Rows never tried that were written before this process started were left behind by
        # the previous one: they are due now, not after the first-attempt grace.
        due_now = or_(
            deliveries.c.next_attempt_at <= isoformat(now),
            and_(deliveries.c.attempts == 0, deliveries.c.created_at < isoformat(self.started_at)),
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries)
                .where(pending, due_now)
                .order_by(deliveries.c.seq, deliveries.c.delivery_id)
                .limit(200)
            ).all()
            alerts = self._alerts(conn, {r.alert_id for r in rows})
            nxt = conn.execute(
                select(deliveries.c.next_attempt_at)
                .where(pending, deliveries.c.next_attempt_at > isoformat(now))
                .order_by(deliveries.c.next_attempt_at)
                .limit(1)
            ).scalar()
        today = self.domain_clock.now()
        for row in rows:
            due = Due(
                row.delivery_id, (row.channel, row.target), row.alert_id, row.seq, row.attempts
            )
            if not self.claim(due.key, due.alert_id):
                continue
            if not self._unchanged(due):
                # An attempt finished between the read above and the claim: read it next pass.
                self._release(due.key, due.alert_id)
                continue
            alert = alerts.get(row.alert_id)
            if alert is None:
                self._give_up(due, "the alert is not in the store")
            elif alert["level"] != "all_clear" and parse_iso(alert["expires"]) <= today:
                self._give_up(due, f"the alert expired at {alert['expires']} before delivery")
            elif self._dispatch is None or not self._dispatch(due, alert):
                self._give_up(due, f"no {row.channel} channel for {row.target} is configured")
        if len(rows) == 200:
            return 0.0
        if nxt is None:
            return poll
        return max(0.05, min(poll, (parse_iso(nxt) - self.wall.now()).total_seconds()))

    def _unchanged(self, due: Due) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(deliveries.c.attempts).where(
                    deliveries.c.delivery_id == due.delivery_id,
                    deliveries.c.delivered_at.is_(None),
                    deliveries.c.gave_up_at.is_(None),
                )
            ).first()
        return row is not None and row.attempts == due.attempts

    @staticmethod
    def _alerts(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = conn.execute(
            select(alerts.c.alert_id, alerts.c.data).where(alerts.c.alert_id.in_(ids))
        )
        return {r.alert_id: json.loads(r.data) for r in rows}
