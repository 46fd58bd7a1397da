"""Password guessing, slowed per (username, address) and budgeted per address, never locking the
rightful user out.

Two brakes, and deliberately not a third:
- A (username, address) pair that fails twice in a row is refused (429 with Retry-After) for
  `login_delay_s`, doubled by each further failure of that pair up to `login_max_delay_s`; a
  first failure costs nothing (a typo corrected at once), a good password clears the pair, and
  its failures are forgotten `login_window_s` after the last one.
- An address that fails `login_max_failures_per_address` times within `login_window_s`, whatever
  usernames it tries, is refused for `login_lock_s`: that address only. An address may fail more
  often than a pair: a whole civil-defence centre may sit behind one address.
- A username is never refused for every address. A lock per username lets anyone who knows a
  dispatcher's name keep the dispatcher out of the operations room during a raid by typing five
  wrong passwords now and then; the person at another address with the right password must get
  in, whoever is guessing elsewhere.

Each attempt is charged before the password is checked, so a burst of parallel guesses cannot
all slip in before the failures are written: the charge itself starts the pair's wait (of a
burst, at most two attempts are checked), and a good password takes it back. An IPv6 address is
counted by its /64, the block one subscriber is usually given, so hopping within it evades
nothing. The address is the client's as the `ClientAddress` middleware found it: the socket
peer, unless that is a trusted proxy.

The counts live in a table of their own (`login_failures`), so a restart does not wipe them, and
not in the log: they are a brake, not a record. Writing every wrong password into the log would
let anyone who can reach the login form write into the evidence carried out of the city, and
would put whatever was typed as a username into it. Rows are named by an HMAC-SHA256 keyed with
a secret derived from the log's signing key, never by a username or an address: without the key
file, a row says nothing of whom it counts, not even for a name one could guess.

Times are the wall clock's, like sessions': a person waits in real seconds even when the
simulator replays a day thirty times faster.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from hanano.access.tables import login_failures
from hanano.settings import Settings

# Past this many doublings the wait is long capped anyway; it keeps 2**n a small number.
MAX_DOUBLINGS = 40


# The purpose of the key that names the rows (hanano.evidence.keys.purpose_key).
LOGIN_COUNTERS = "login limiter"


def address_group(address: str) -> str:
    """What an address is counted as: an IPv4 address itself, an IPv6 address its /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True)
class Verdict:
    """Either the attempt may go ahead (`retry_after` None), or it is refused, and why."""

    retry_after: int | None
    address_count: int = 0
    refused_for: str = ""


class LoginLimiter:
    def __init__(self, engine: Engine, settings: Settings, secret: bytes) -> None:
        self._engine = engine
        self._secret = secret
        self.max_address = settings.login_max_failures_per_address
        self.window_s = settings.login_window_s
        self.lock_s = settings.login_lock_s
        self.delay_s = settings.login_delay_s
        self.max_delay_s = settings.login_max_delay_s

    def _key(self, *parts: str) -> str:
        return hmac.new(self._secret, "\0".join(parts).encode(), hashlib.sha256).hexdigest()

    def address_key(self, address: str) -> str:
        return self._key("addr", address_group(address))

    def pair_key(self, username: str, address: str) -> str:
        return self._key("pair", username.strip().lower(), address_group(address))

    def delay(self, failures: int) -> float:
        """How long a pair waits after its `failures`-th failure in a row: nothing after the
        first (a typo, at once corrected, costs nothing), then `delay_s`, doubled by each one
        more."""
        if failures <= 1:
            return 0.0
        doublings = min(failures - 2, MAX_DOUBLINGS)
        return float(min(self.delay_s * 2**doublings, self.max_delay_s))

    def _waiting(self, key: str, now: float) -> int | None:
        with self._engine.connect() as conn:
            until = conn.execute(
                select(login_failures.c.locked_until).where(
                    login_failures.c.key == key, login_failures.c.locked_until > now
                )
            ).scalar()
        return None if until is None else max(1, math.ceil(until - now))

    def begin(self, username: str, address: str) -> Verdict:
        """Before the password is checked: refused while the address or the pair waits, else
        charged as a failure (taken back by `succeeded`)."""
        now = time.time()
        pair, addr = self.pair_key(username, address), self.address_key(address)
        waits = self._waiting(addr, now)
        if waits is not None:
            return Verdict(waits, refused_for="address")
        waits = self._waiting(pair, now)
        if waits is not None:
            return Verdict(waits, refused_for="pair")
        address_count = self._count_address(addr, now)
        if address_count is None or address_count > self.max_address:
            # More than the budget can only be parallel attempts that raced the lock.
            if address_count is not None:
                self._lock(addr, now)
            return Verdict(self._waiting(addr, now) or math.ceil(self.lock_s), 0, "address")
        if not self._charge_pair(pair, now):
            self._give_back(addr)
            return Verdict(self._waiting(pair, now) or 1, refused_for="pair")
        return Verdict(None, address_count)

    def _charge_pair(self, key: str, now: float) -> bool:
        """One more failure of the pair, starting its wait; False if a parallel attempt of the
        same pair got there first (compare-and-set on the count)."""
        table = login_failures
        with self._engine.connect() as conn:
            row = conn.execute(
                select(table.c.failures, table.c.window_start, table.c.locked_until).where(
                    table.c.key == key
                )
            ).first()
        if row is not None and row.locked_until is not None and row.locked_until > now:
            return False  # charged by a parallel attempt since begin() looked
        recent = row is not None and row.window_start >= now - self.window_s
        failures = (row.failures if row is not None and recent else 0) + 1
        values = {
            "failures": failures,
            "window_start": now,
            "locked_until": now + self.delay(failures),
        }
        with self._engine.begin() as conn:
            if row is None:
                return _insert(conn, key, values)
            done = conn.execute(
                table.update()
                .where(
                    table.c.key == key,
                    table.c.failures == row.failures,
                    table.c.window_start == row.window_start,
                )
                .values(**values)
            ).rowcount
        return bool(done)

    def _count_address(self, key: str, now: float) -> int | None:
        """One more attempt against the address; its count in the window, or None if locked."""
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
            if not done and not _insert(
                conn, key, {"failures": 1, "window_start": now, "locked_until": None}
            ):
                return None  # the row exists and is locked
            count: int = conn.execute(
                select(table.c.failures).where(table.c.key == key)
            ).scalar_one()
            # Rows whose window and wait have both passed say nothing any more.
            conn.execute(
                table.delete().where(
                    table.c.window_start < cutoff,
                    table.c.locked_until.is_(None) | (table.c.locked_until < now),
                    table.c.key != key,
                )
            )
        return count

    def _lock(self, key: str, now: float) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                login_failures.update()
                .where(login_failures.c.key == key)
                .values(locked_until=now + self.lock_s)
            )

    def _give_back(self, key: str) -> None:
        table = login_failures
        with self._engine.begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.key == key, table.c.failures > 0)
                .values(failures=table.c.failures - 1)
            )

    def failed(self, address: str, verdict: Verdict) -> None:
        """After a wrong password: the pair's wait stands (charged by `begin`); an address that
        has spent its budget is refused from now on."""
        if verdict.address_count >= self.max_address:
            self._lock(self.address_key(address), time.time())

    def succeeded(self, username: str, address: str) -> None:
        """The right password: the pair starts afresh, and the address gets back the attempt it
        was charged (but keeps its earlier failures)."""
        with self._engine.begin() as conn:
            conn.execute(
                login_failures.delete().where(
                    login_failures.c.key == self.pair_key(username, address)
                )
            )
        self._give_back(self.address_key(address))


def _insert(conn: Connection, key: str, values: dict[str, float | int | None]) -> bool:
    """Insert the row unless a parallel attempt already has; whether this one did."""
    try:
        with conn.begin_nested():
            conn.execute(login_failures.insert().values(key=key, **values))
    except IntegrityError:
        return False
    return True
