"""`hanano log verify` end to end: the store opened read-only, the key, every check, verdicts.

Nothing here starts the service: verifying must not migrate the schema, sign a checkpoint over
rows it finds, or make a key. The key checked against is the one given (--key), else the one in
the log's key file; the verifier key the store records for itself is only compared with it,
since whoever rewrote the store could have rewritten that too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from hanano.evidence.audit import (
    BAD_COSIGNATURE,
    BAD_TIMESTAMP,
    KEY_MISMATCH,
    UNCHECKED_TIMESTAMPS,
    AuditReport,
    verify_log,
)
from hanano.evidence.identity import key_file_for, recorded_identity
from hanano.evidence.keys import KEY_SETTING, LogKeyError, load_key
from hanano.evidence.tables import checkpoint_timestamps, cosignatures
from hanano.evidence.tsa import TimestampReport, load_chain, verify_timestamps
from hanano.evidence.witness import verify_cosignatures
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import StoreUnavailable, make_readonly_engine


class CannotVerify(Exception):
    """The check could not be made at all (no store, no key): no verdict either way."""


@dataclass
class Outcome:
    report: AuditReport
    cosigned: int
    times: TimestampReport
    # The largest tree a witness cosigned (0: none): only up to there is the log's end vouched
    # for by anyone but the store itself.
    witnessed_size: int = 0


@contextmanager
def readonly_store(database_url: str) -> Iterator[Connection]:
    """One read-only connection (one snapshot) to the store; CannotVerify if there is none."""
    try:
        engine = make_readonly_engine(database_url)
    except StoreUnavailable as exc:
        raise CannotVerify(str(exc)) from None
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(schema.events.name):
                raise CannotVerify("this database holds no hanano store (no events table)")
            yield conn
    except SQLAlchemyError as exc:
        raise CannotVerify(f"cannot read the store: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()


def event_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)


def verify_store(
    conn: Connection,
    settings: Settings,
    verifier_key: str | None,
    tsa_cert: str | None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Every check of the log, its cosignatures and timestamps, as named verdicts."""
    identity = recorded_identity(conn)
    key = verifier_key or _key_file_verifier(settings, identity)
    report = verify_log(conn, key, progress)
    if identity is not None and str(identity.verifier_key) != key:
        report.add(
            KEY_MISMATCH,
            f"the store records its log as signed by {identity.verifier_key}, not by the key "
            f"checked against ({key})",
        )
    cosigned, cosign_problems = verify_cosignatures(conn)
    for problem in cosign_problems:
        report.add(BAD_COSIGNATURE, problem)
    times = _verify_times(conn, tsa_cert or settings.tsa_cert, report)
    report.sort()
    witnessed = conn.execute(select(func.coalesce(func.max(cosignatures.c.size), 0))).scalar()
    return Outcome(report, cosigned, times, int(witnessed or 0))


def _key_file_verifier(settings: Settings, identity: object) -> str:
    recorded = getattr(identity, "key_file", None)
    path = key_file_for(settings.database_url, settings.log_key_file, recorded)
    try:
        return load_key(path).verifier
    except LogKeyError as exc:
        raise CannotVerify(
            f"{exc}: give the log's verifier key with --key, or set {KEY_SETTING} to its key file"
        ) from None


def _verify_times(conn: Connection, tsa_cert: str | None, report: AuditReport) -> TimestampReport:
    stored = conn.execute(select(func.count()).select_from(checkpoint_timestamps)).scalar() or 0
    if not stored:
        return TimestampReport()
    if not tsa_cert:
        report.add(
            UNCHECKED_TIMESTAMPS,
            f"{stored} RFC 3161 timestamps are stored but cannot be checked: give the "
            "authority's certificate chain (--tsa-cert or HANANO_TSA_CERT)",
        )
        return TimestampReport()
    try:
        chain = load_chain(tsa_cert)
    except (OSError, ValueError) as exc:
        raise CannotVerify(f"cannot read the TSA certificate chain: {exc}") from exc
    times = verify_timestamps(conn, chain)
    for problem in times.problems:
        report.add(BAD_TIMESTAMP, problem)
    return times
