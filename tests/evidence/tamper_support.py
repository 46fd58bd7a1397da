"""A small signed store to tamper with, and ways to look at it without changing it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.engine import make_url

from hanano.access import tables as access_tables
from hanano.access.tokens import create_token, revoke_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence.redaction import redact_field
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.engine import make_engine


@dataclass(frozen=True)
class Built:
    """Event numbers of the store `build_store` makes."""

    revoked_token: str  # the token event 5 revokes
    revoked_seq: int = 5
    named_seq: int = 1  # token.created with its holder's name sealed
    erased_seq: int = 4  # token.created whose name was redacted by event 6
    last_seq: int = 8


def build_store(settings: Settings, clock: ManualClock) -> Built:
    """Eight events, each in its own group (so each has its own signed checkpoint):
    four tokens created with sealed names, the second revoked, the fourth's name redacted,
    then two more tokens."""
    service = Service(settings, clock=clock).start()
    try:
        ids = [
            service.execute(lambda tx, n=n: create_token(tx, "cli", "spotter", f"holder {n}"))
            for n in range(4)
        ]
        service.execute(lambda tx: revoke_token(tx, "cli", ids[1].token_id, "phone lost"))
        service.execute(lambda tx: redact_field(tx, "cli", 4, "name", "asked to be forgotten"))
        for n in range(2):
            service.execute(lambda tx, n=n: create_token(tx, "cli", "reporter", f"late {n}"))
    finally:
        service.stop()
    return Built(revoked_token=ids[1].token_id)


@contextmanager
def writing(db_url: str) -> Iterator[Connection]:
    """A connection that edits the store directly, as someone with the database would."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def verify(db_url: str, *extra: str) -> Result:
    return CliRunner().invoke(main, ["--db", db_url, "log", "verify", *extra])


def verdicts(result: Result) -> dict[str, list[str]]:
    """The verdict lines `log verify` printed, by kind."""
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        kind, _, message = line.partition(": ")
        if kind.isidentifier() and message:
            found.setdefault(kind, []).append(message)
    return found


def store_state(db_url: str) -> str:
    """A digest of every row of every table, and for SQLite of the database file's bytes."""
    digest = hashlib.sha256()
    engine: Engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(select(text("*")).select_from(text(f'"{name}"'))).all()
                digest.update(name.encode())
                for row in sorted(repr(tuple(r)) for r in rows):
                    digest.update(row.encode())
    finally:
        engine.dispose()
    database = make_url(db_url).database
    if db_url.startswith("sqlite") and database:
        digest.update(Path(database).read_bytes())
    return digest.hexdigest()


def revoked_at(db_url: str, token_id: str) -> str | None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(access_tables.tokens.c.revoked_at).where(
                    access_tables.tokens.c.token_id == token_id
                )
            ).scalar_one()
    finally:
        engine.dispose()
