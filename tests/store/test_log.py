import hashlib
import hmac
import json
import threading

import pytest
import rfc8785
from sqlalchemy import func, select

from hanano.access import tables as access_tables
from hanano.access.events import TokenCreated
from hanano.access.tokens import create_token
from hanano.errors import Problem
from hanano.service import Service
from hanano.store import schema
from hanano.store.log import COMMITMENT_PREFIX, encode_event, verify_disclosure
from hanano.store.records import read_events


def test_leaf_is_rfc9162_hash_of_rfc8785_bytes() -> None:
    event = TokenCreated(token_id="tok_1", role="spotter", name="Abu Ahmad", token_hash="ab" * 32)
    encoded = encode_event(7, "2026-11-25T10:00:00.000000Z", "cli", event)
    document = json.loads(encoded.canonical)
    # The leaf document re-canonicalised gives the same bytes: they are RFC 8785 canonical.
    assert bytes(rfc8785.dumps(document)) == encoded.canonical
    assert encoded.leaf_hash == hashlib.sha256(b"\x00" + encoded.canonical).digest()
    assert document["seq"] == 7
    assert document["type"] == "token.created"
    assert document["v"] == 1
    assert document["actor"] == "cli"
    assert document["data"]["role"] == "spotter"


def test_sensitive_field_enters_the_leaf_only_as_a_salted_commitment() -> None:
    event = TokenCreated(token_id="tok_1", role="spotter", name="Abu Ahmad", token_hash="ab" * 32)
    first = encode_event(1, "2026-11-25T10:00:00.000000Z", "cli", event)
    second = encode_event(1, "2026-11-25T10:00:00.000000Z", "cli", event)
    assert b"Abu Ahmad" not in first.canonical
    committed = json.loads(first.canonical)["data"]["name"]
    assert committed.startswith(COMMITMENT_PREFIX)
    (sealed,) = first.sealed
    assert sealed.field == "name" and sealed.value == "Abu Ahmad" and len(sealed.salt) == 32
    expected = hmac.new(sealed.salt, b'"Abu Ahmad"', hashlib.sha256).hexdigest()
    assert committed == COMMITMENT_PREFIX + expected
    assert verify_disclosure(committed, sealed.salt, "Abu Ahmad")
    assert not verify_disclosure(committed, sealed.salt, "Abu Ali")
    # A fresh salt per field: the same name never gives the same leaf twice.
    assert first.canonical != second.canonical


def test_stored_event_keeps_plaintext_apart_and_survives_erasure(service: Service) -> None:
    service.execute(lambda tx: create_token(tx, "cli", "team_leader", "Khaled, Hanano-2 leader"))
    with service.engine.connect() as conn:
        row = conn.execute(select(schema.events)).one()
        assert b"Khaled" not in bytes(row.canonical)
        assert bytes(row.leaf_hash) == hashlib.sha256(b"\x00" + bytes(row.canonical)).digest()
        sealed = conn.execute(select(schema.sealed_fields)).one()
        assert sealed.field == "name" and json.loads(sealed.value) == "Khaled, Hanano-2 leader"
        (event,) = read_events(conn)
        assert event.data["name"] == "Khaled, Hanano-2 leader"
    with service.engine.begin() as conn:
        conn.execute(
            schema.sealed_fields.update().values(
                salt=None, value=None, erased_at="2026-11-25T11:00:00Z"
            )
        )
    with service.engine.connect() as conn:
        (event,) = read_events(conn)
        after = conn.execute(select(schema.events)).one()
    assert event.data["name"] is None
    assert bytes(after.canonical) == bytes(row.canonical)
    assert bytes(after.leaf_hash) == bytes(row.leaf_hash)


def test_concurrent_commands_share_commits_and_get_contiguous_sequence(service: Service) -> None:
    results: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        futures = [
            service.sequencer.submit(lambda tx: create_token(tx, "cli", "reporter", None))
            for _ in range(25)
        ]
        for future in futures:
            future.result()
        with lock:
            results.append(len(futures))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 400
    with service.engine.connect() as conn:
        seqs = conn.execute(select(schema.events.c.seq).order_by(schema.events.c.seq)).scalars()
        assert list(seqs) == list(range(1, 401))
    # Group commit: far fewer transactions than commands.
    assert service.sequencer.groups_committed < 400


def test_a_failing_command_writes_nothing_and_spares_its_group(service: Service) -> None:
    def half_then_fail(tx):  # type: ignore[no-untyped-def]
        create_token(tx, "cli", "reporter", "written then rolled back")
        raise Problem(422, "Invalid", "refused on purpose")

    futures = []
    for n in range(30):
        if n % 3 == 0:
            futures.append(service.sequencer.submit(half_then_fail))
        else:
            futures.append(
                service.sequencer.submit(lambda tx: create_token(tx, "cli", "reporter", "kept"))
            )
    failures = 0
    for future in futures:
        try:
            future.result()
        except Problem:
            failures += 1
    assert failures == 10
    with service.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.events)).scalar()
        names = set(conn.execute(select(access_tables.tokens.c.name)).scalars())
        seqs = list(
            conn.execute(select(schema.events.c.seq).order_by(schema.events.c.seq)).scalars()
        )
    assert count == 20
    assert names == {"kept"}
    assert seqs == list(range(1, 21))


def test_commands_run_only_when_the_sequencer_runs(service: Service) -> None:
    service.sequencer.stop()
    with pytest.raises(RuntimeError, match="not running"):
        service.sequencer.submit(lambda tx: None)
