"""`hanano log verify` against a store edited behind hanano's back: one named verdict per kind of
tampering, exit 1, and the store exactly as it was. Rebuild and the server refuse the same edits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, delete, func, select, update

from hanano.access import tables as access_tables
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.evidence.log import LogIntegrityError
from hanano.evidence.tables import checkpoints, merkle_nodes
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.rebuild import rebuild
from hanano.store.records import LogTampered
from tests.evidence.tamper_support import (
    Built,
    build_store,
    revoked_at,
    store_state,
    verdicts,
    verify,
    writing,
)

events, sealed = schema.events, schema.sealed_fields


@pytest.fixture
def built(settings: Settings, clock: ManualClock) -> Built:
    return build_store(settings, clock)


def test_an_intact_log_verifies_with_exit_0_and_verify_changes_nothing(
    db_url: str, built: Built
) -> None:
    before = store_state(db_url)
    result = verify(db_url)
    assert result.exit_code == 0, result.output
    assert f"log verifies: {built.last_seq} events, {built.last_seq} checkpoints" in result.stdout
    assert store_state(db_url) == before


def _canonical(conn: Connection, seq: int) -> bytes:
    return bytes(conn.execute(select(events.c.canonical).where(events.c.seq == seq)).scalar_one())


def _set_column(column: str, value: object) -> Callable[[Connection, Built], None]:
    def edit(conn: Connection, built: Built) -> None:
        conn.execute(update(events).where(events.c.seq == built.named_seq).values({column: value}))

    return edit


def _edit_canonical(conn: Connection, built: Built) -> None:
    forged = _canonical(conn, built.named_seq).replace(b'"role":"spotter"', b'"role":"admin"')
    conn.execute(update(events).where(events.c.seq == built.named_seq).values(canonical=forged))


def _edit_sealed(column: str, value: object) -> Callable[[Connection, Built], None]:
    def edit(conn: Connection, built: Built) -> None:
        conn.execute(
            update(sealed)
            .where(sealed.c.seq == built.named_seq, sealed.c.field == "name")
            .values({column: value})
        )

    return edit


def _seal_a_plain_field(conn: Connection, built: Built) -> None:
    # Plaintext for a field the leaf holds in the clear would override it on replay.
    conn.execute(
        sealed.insert().values(
            seq=built.named_seq, field="role", salt=b"\x00" * 32, value='"admin"', erased_at=None
        )
    )


def _drop_sealed_row(conn: Connection, built: Built) -> None:
    conn.execute(delete(sealed).where(sealed.c.seq == built.named_seq))


def _erase_unrecorded(conn: Connection, built: Built) -> None:
    conn.execute(
        update(sealed)
        .where(sealed.c.seq == built.named_seq)
        .values(salt=None, value=None, erased_at="2026-11-25T11:00:00.000000Z")
    )


def _insert_row(conn: Connection, built: Built) -> None:
    seq = built.last_seq + 1
    canonical = _canonical(conn, built.last_seq).replace(
        f'"seq":{built.last_seq}'.encode(), f'"seq":{seq}'.encode()
    )
    document = json.loads(canonical)
    conn.execute(
        events.insert().values(
            seq=seq,
            time=document["time"],
            actor=document["actor"],
            type=document["type"],
            version=document["v"],
            canonical=canonical,
            leaf_hash=hashlib.sha256(b"\x00" + canonical).digest(),
        )
    )


def _delete_middle(conn: Connection, built: Built) -> None:
    conn.execute(delete(sealed).where(sealed.c.seq == 3))
    conn.execute(delete(events).where(events.c.seq == 3))


def _truncate(with_checkpoints: bool) -> Callable[[Connection, Built], None]:
    def edit(conn: Connection, built: Built) -> None:
        conn.execute(delete(sealed).where(sealed.c.seq > built.last_seq - 2))
        conn.execute(delete(events).where(events.c.seq > built.last_seq - 2))
        if with_checkpoints:
            conn.execute(delete(checkpoints).where(checkpoints.c.size > built.last_seq - 2))

    return edit


TAMPERING: dict[str, tuple[Callable[[Connection, Built], None], str, str]] = {
    # name: (the edit, the verdict, words the verdict's message must hold)
    "type column": (_set_column("type", "token.revoked"), "column_mismatch", "type column"),
    "actor column": (_set_column("actor", "admin"), "column_mismatch", "actor column"),
    "time column": (
        _set_column("time", "2020-01-01T00:00:00.000000Z"),
        "column_mismatch",
        "time column",
    ),
    "version column": (_set_column("version", 2), "column_mismatch", "version column"),
    "canonical bytes": (_edit_canonical, "altered", "event 1 altered"),
    "sealed value": (_edit_sealed("value", '"someone else"'), "sealed_mismatch", "'name'"),
    "sealed salt": (_edit_sealed("salt", b"\x01" * 32), "sealed_mismatch", "'name'"),
    "plaintext for a plain field": (_seal_a_plain_field, "sealed_mismatch", "'role'"),
    "sealed row deleted": (_drop_sealed_row, "sealed_mismatch", "row is gone"),
    "erasure without redaction": (_erase_unrecorded, "sealed_mismatch", "no evidence.field"),
    "row inserted": (_insert_row, "unsigned", "event 9 inserted"),
    "middle row deleted": (_delete_middle, "removed", "event 3 removed"),
    "end truncated": (_truncate(False), "truncated", "a signed checkpoint covers 8"),
    "end truncated with its checkpoints": (
        _truncate(True),
        "truncated",
        "subtree hashes cover 8",
    ),
}


@pytest.mark.parametrize("name", TAMPERING)
def test_each_tampering_is_a_named_verdict_with_exit_1(
    db_url: str, built: Built, name: str
) -> None:
    edit, kind, words = TAMPERING[name]
    with writing(db_url) as conn:
        edit(conn, built)
    before = store_state(db_url)
    result = verify(db_url)
    assert result.exit_code == 1, result.output
    found = verdicts(result)
    assert kind in found, result.output
    assert any(words in message for message in found[kind]), found
    assert "log does NOT verify" in result.output
    # Verify opened the store read-only: not a row nor a byte changed, nothing signed.
    assert store_state(db_url) == before


def test_a_revoked_token_stays_revoked_when_its_type_column_is_changed(
    db_url: str, built: Built
) -> None:
    revoked = revoked_at(db_url, built.revoked_token)
    assert revoked is not None
    with writing(db_url) as conn:
        conn.execute(
            update(events).where(events.c.seq == built.revoked_seq).values(type="token.renewed")
        )
    # The CLI's rebuild verifies first and refuses, leaving the projections as they were.
    refused = CliRunner().invoke(main, ["--db", db_url, "store", "rebuild"])
    assert refused.exit_code == 1
    assert "column_mismatch" in refused.output and "hanano log verify" in refused.output
    assert revoked_at(db_url, built.revoked_token) == revoked
    # Replay itself reads the type from the leaf, never from the column.
    engine = make_engine(db_url)
    try:
        rebuild(engine, REGISTRY)
    finally:
        engine.dispose()
    assert revoked_at(db_url, built.revoked_token) == revoked


@pytest.mark.parametrize("column", ["value", "salt"])
def test_replay_refuses_sealed_plaintext_its_commitment_denies(
    db_url: str, built: Built, column: str
) -> None:
    with writing(db_url) as conn:
        _edit_sealed(column, '"someone else"' if column == "value" else b"\x01" * 32)(conn, built)
    engine = make_engine(db_url)
    try:
        with pytest.raises(LogTampered, match=r"event 1: sealed field 'name'.*hanano log verify"):
            rebuild(engine, REGISTRY)
        with engine.connect() as conn:
            names = set(conn.execute(select(access_tables.tokens.c.name)).scalars())
    finally:
        engine.dispose()
    assert "someone else" not in names and "holder 0" in names


@pytest.mark.parametrize(
    "name", ["row inserted", "end truncated", "end truncated with its checkpoints"]
)
def test_the_server_does_not_start_on_rows_changed_behind_its_back(
    db_url: str, built: Built, settings: Settings, clock: ManualClock, name: str
) -> None:
    with writing(db_url) as conn:
        TAMPERING[name][0](conn, built)
        signed = conn.execute(select(func.count()).select_from(checkpoints)).scalar_one()
    with pytest.raises(LogIntegrityError, match="hanano log verify"):
        Service(settings, clock=clock).start()
    cli = CliRunner().invoke(main, ["--db", db_url, "token", "list"])
    assert cli.exit_code == 1
    assert "will not start" in cli.output and "hanano log verify" in cli.output
    with writing(db_url) as conn:
        assert conn.execute(select(func.count()).select_from(checkpoints)).scalar_one() == signed
    assert verify(db_url).exit_code == 1


def test_deleting_every_checkpoint_does_not_get_the_log_re_signed(
    db_url: str, built: Built, settings: Settings, clock: ManualClock
) -> None:
    """A store that had a log and lost it all (checkpoints, subtree hashes, the record of its
    key) while its key file stays is not a store from before the log: nothing is signed."""
    from hanano.evidence.tables import log_identity

    with writing(db_url) as conn:
        _insert_row(conn, built)
        for table in (checkpoints, merkle_nodes, log_identity):
            conn.execute(delete(table))
    with pytest.raises(LogIntegrityError, match=r"events 1 to 9 .* no signed checkpoint"):
        Service(settings, clock=clock).start()
    with writing(db_url) as conn:
        assert conn.execute(select(func.count()).select_from(checkpoints)).scalar_one() == 0
    result = verify(db_url)
    assert result.exit_code == 1
    assert "events 1 to 9 inserted" in "".join(verdicts(result)["unsigned"])


def test_a_running_server_does_not_sign_a_row_slipped_in_behind_it(
    db_url: str, built: Built, settings: Settings, clock: ManualClock
) -> None:
    from hanano.access.tokens import create_token

    service = Service(settings, clock=clock).start()
    try:
        with writing(db_url) as conn:
            _insert_row(conn, built)
        with pytest.raises(LogIntegrityError, match=r"event 9 is in the store.*hanano log verify"):
            service.execute(lambda tx: create_token(tx, "cli", "spotter", "after the intruder"))
    finally:
        service.stop()
    with writing(db_url) as conn:
        signed = conn.execute(select(func.max(checkpoints.c.size))).scalar_one()
        stored = conn.execute(select(func.max(events.c.seq))).scalar_one()
    assert (signed, stored) == (built.last_seq, built.last_seq + 1)
    assert "unsigned" in verdicts(verify(db_url))


def test_columns_the_leaf_escapes_still_compare_exactly(
    db_url: str, settings: Settings, clock: ManualClock
) -> None:
    """Names with quotes, backslashes or control characters stand escaped in the leaf and raw in
    the column: they are the same, and an edit hidden behind a quote is still found."""
    from hanano.access.tokens import create_token

    actor = 'user:Abu "Saleh" \\ night\tshift'
    service = Service(settings, clock=clock).start()
    try:
        service.execute(lambda tx: create_token(tx, actor, "spotter", "a"))
        service.execute(lambda tx: create_token(tx, "cli", "spotter", "b"))
    finally:
        service.stop()
    intact = verify(db_url)
    assert intact.exit_code == 0, intact.output
    with writing(db_url) as conn:
        conn.execute(update(events).where(events.c.seq == 2).values(actor='cli","data":{"x'))
    found = verdicts(verify(db_url))
    assert found["column_mismatch"] == [
        "event 2: its actor column says 'cli\",\"data\":{\"x' but its leaf says 'cli'"
    ]
