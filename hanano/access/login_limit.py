"""Password guessing, slowed and then refused: failed logins counted per username and per address.

Each login attempt is counted against the username and the caller's address before the
password is checked, so a burst of parallel guesses cannot all slip in before the first failure
is written; a good password takes its count back. After each failure the answer is held back a
little longer; once a username (or an address) has failed `login_max_failures` times
(`login_max_failures_per_address`) within `login_window_s`, every login for it is refused with
429 and Retry-After for `login_lock_s`, even with the right password. An address may fail more
often than a username: a whole civil-defence centre may sit behind one address.

The counts live in a table of their own, so a restart does not wipe them, and not in the log:
they are a brake, not a record. Writing every wrong password into the log would let anyone who
can reach the login form write into the evidence carried out of the city, at will, and would put
whatever was typed as a username (often a person's name, or a password typed in the wrong box)
into it. The table holds SHA-256 hashes only, never a username or an address in clear (a
guessable name's hash is no secret, but it keeps the names out of every casual look).

Times are the wall clock's, like sessions': a person waits in real seconds even when the
simulator replays a day thirty times faster.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Integer, String, Table, select
from sqlalchemy.exc import IntegrityError

from hanano.settings import Settings
from hanano.store.schema import metadata

login_failures = Table(
    "login_failures",
    metadata,
    # SHA-256 of "user:<name>" or "addr:<address>".
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("locked_until", Float, nullable=True),
)


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"hanano login {kind}:{value}".encode()).hexdigest()


def user_key(username: str) -> str:
    return _key("user", username.strip().lower())


def address_key(address: str) -> str:
    return _key("addr", address)


@dataclass(frozen=True)
class Verdict:
    """Either the attempt may go ahead (`retry_after` None) with its counts, or it is refused."""

    retry_after: int | None
    user_count: int = 0
    address_count: int = 0


class LoginLimiter:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self.max_user = settings.login_max_failures
        self.max_address = settings.login_max_failures_per_address
        self.window_s = settings.login_window_s
        self.lock_s = settings.login_lock_s
        self.slow_s = settings.login_slow_s

    def _locked(self, keys: list[str], now: float) -> int | None:
        with self._engine.connect() as conn:
            until = conn.execute(
                select(login_failures.c.locked_until).where(
                    login_failures.c.key.in_(keys), login_failures.c.locked_until > now
                )
            ).scalars()
            latest = max(until, default=None)
        return None if latest is None else max(1, math.ceil(latest - now))

    def _count(self, key: str, now: float) -> int | None:
        """One more attempt against the key; its count in the window, or None if it is locked."""
        table = login_failures
        cutoff = now - self.window_s
        # The write comes first: on SQLite the transaction then holds the write lock from its
        # start and never has to upgrade a read.
        with self._engine.begin() as conn:
            done = conn.execute(
                table.update()
                .where(
                    table.c.key == key,
                    table.c.window_start >= cutoff,
                    table.c.locked_until.is_(None),
                )
                .values(failures=table.c.failures + 1)
            ).rowcount
            if not done:
                # A window that has run out, or a lock that has ended, starts afresh.
                done = conn.execute(
                    table.update()
                    .where(
                        table.c.key == key,
                        (table.c.locked_until <= now)
                        | (table.c.locked_until.is_(None) & (table.c.window_start < cutoff)),
                    )
                    .values(failures=1, window_start=now, locked_until=None)
                ).rowcount
            if not done:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            table.insert().values(
                                key=key, failures=1, window_start=now, locked_until=None
                            )
                        )
                except IntegrityError:
                    return None  # the row exists and is locked
            count: int = conn.execute(
                select(table.c.failures).where(table.c.key == key)
            ).scalar_one()
            # Rows whose window and lock have both passed say nothing any more.
            conn.execute(
                table.delete().where(
                    table.c.window_start < cutoff,
                    table.c.locked_until.is_(None) | (table.c.locked_until < now),
                    table.c.key != key,
                )
            )
        return count

    def begin(self, username: str, address: str) -> Verdict:
        """Before the password is checked: refused if locked, else counted."""
        now = time.time()
        user, addr = user_key(username), address_key(address)
        locked = self._locked([user, addr], now)
        if locked is not None:
            return Verdict(locked)
        user_count = self._count(user, now)
        address_count = self._count(addr, now)
        if user_count is None or address_count is None:
            return Verdict(self._locked([user, addr], now) or math.ceil(self.lock_s))
        # More attempts than the limit can only be parallel ones that raced the lock.
        if user_count > self.max_user or address_count > self.max_address:
            self._lock(
                [
                    k
                    for k, n, m in (
                        (user, user_count, self.max_user),
                        (addr, address_count, self.max_address),
                    )
                    if n > m
                ],
                now,
            )
            return Verdict(math.ceil(self.lock_s))
        return Verdict(None, user_count, address_count)

    def _lock(self, keys: list[str], now: float) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                login_failures.update()
                .where(login_failures.c.key.in_(keys))
                .values(locked_until=now + self.lock_s)
            )

    def failed(self, username: str, address: str, verdict: Verdict) -> float:
        """After a wrong password: lock what has reached its limit; how long to hold the
        answer back (seconds)."""
        keys = []
        if verdict.user_count >= self.max_user:
            keys.append(user_key(username))
        if verdict.address_count >= self.max_address:
            keys.append(address_key(address))
        if keys:
            self._lock(keys, time.time())
        return min(self.slow_s * max(0, verdict.user_count - 1), 4 * self.slow_s)

    def succeeded(self, username: str, address: str) -> None:
        """The right password: the username starts afresh, and the address gets back the
        attempt it was charged (but keeps its earlier failures)."""
        table = login_failures
        with self._engine.begin() as conn:
            conn.execute(table.delete().where(table.c.key == user_key(username)))
            conn.execute(
                table.update()
                .where(table.c.key == address_key(address), table.c.failures > 0)
                .values(failures=table.c.failures - 1)
            )
