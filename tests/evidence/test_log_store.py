"""The evidence log over a live store: checkpoints per group, proofs, receipts, audit, redaction."""

import base64
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from hanano.access.tokens import CONSOLE, create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence import merkle, note
from hanano.evidence.audit import verify_log
from hanano.evidence.log import parse_checkpoint
from hanano.evidence.receipts import ReceiptError, check_receipt, make_receipt
from hanano.evidence.tables import checkpoints, merkle_nodes
from hanano.intake import tables as intake_tables
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.sequencer import Tx
from tests.helpers import HANANO, auth, offset, post, report_body


def leaves(service: Service) -> list[bytes]:
    with service.engine.connect() as conn:
        rows = conn.execute(select(schema.events.c.leaf_hash).order_by(schema.events.c.seq))
        return [bytes(r.leaf_hash) for r in rows]


def fill(client: TestClient, tokens: dict[str, str], clock: ManualClock, count: int = 30) -> None:
    for n in range(count):
        point = offset(*HANANO, north_m=n * 60)
        body = report_body(clock.now(), lat=point[0], lon=point[1], text=f"Hassan {n} trapped")
        assert post(client, tokens["reporter"], body).status_code == 201


def test_one_signed_checkpoint_per_group_with_the_root_of_all_leaves(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    fill(client, tokens, clock, 10)
    verifier = aleppo.evidence.key.verifier
    with aleppo.engine.connect() as conn:
        marks = conn.execute(select(checkpoints).order_by(checkpoints.c.size)).all()
        event_count = len(leaves(aleppo))
    assert marks[-1].size == event_count
    # Groups, not events: the import of 109 zones is one checkpoint.
    assert len(marks) < event_count
    all_leaves = leaves(aleppo)
    for mark in marks:
        assert note.verify(mark.note, verifier)
        body = parse_checkpoint(note.open_note(mark.note, [verifier]))
        assert body.origin == "hanano/aleppo"
        assert body.root == merkle.root_hash(all_leaves[: mark.size]) == bytes(mark.root)
    served = client.get("/api/v1/log/checkpoint")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/plain")
    assert served.text == marks[-1].note
    past = client.get(f"/api/v1/log/checkpoint?size={marks[0].size}")
    assert past.text == marks[0].note


def test_served_proofs_verify(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    fill(client, tokens, clock, 20)
    all_leaves = leaves(aleppo)
    size = len(all_leaves)
    for index, tree in ((0, 1), (0, size), (size - 1, size), (108, 109), (57, 131), (130, 140)):
        if tree > size:
            continue
        answer = client.get(f"/api/v1/log/proof/inclusion?index={index}&size={tree}").json()
        proof = [base64.b64decode(p) for p in answer["proof"]]
        root = merkle.root_hash(all_leaves[:tree])
        assert base64.b64decode(answer["root"]) == root
        assert merkle.verify_inclusion(all_leaves[index], index, tree, proof, root)
        assert not merkle.verify_inclusion(all_leaves[index], index, tree, proof, b"\x00" * 32)
    for first, second in ((1, size), (109, size), (size - 1, size), (5, 109)):
        answer = client.get(f"/api/v1/log/proof/consistency?from={first}&to={second}").json()
        proof = [base64.b64decode(p) for p in answer["proof"]]
        assert merkle.verify_consistency(
            first,
            second,
            proof,
            merkle.root_hash(all_leaves[:first]),
            merkle.root_hash(all_leaves[:second]),
        )
    bad = client.get(f"/api/v1/log/proof/inclusion?index={size}&size={size}")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "index"
    too_big = client.get(f"/api/v1/log/proof/consistency?from=1&to={size + 1}")
    assert too_big.status_code == 422


def test_receipt_checks_offline_and_discloses_one_field(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    fill(client, tokens, clock, 3)
    verifier = aleppo.evidence.key.verifier
    with aleppo.engine.connect() as conn:
        seq = (
            conn.execute(
                select(schema.events.c.seq)
                .where(schema.events.c.type == "intake.report_received")
                .order_by(schema.events.c.seq)
            )
            .scalars()
            .first()
        )
        plain = make_receipt(conn, seq, CONSOLE)
        disclosing = make_receipt(conn, seq, CONSOLE, ("text",))
    checked = check_receipt(plain, verifier)
    assert checked.entry["seq"] == seq
    assert checked.entry["data"]["text"].startswith("hmac-sha256:")
    assert checked.disclosed == {}
    opened = check_receipt(disclosing, verifier)
    assert opened.disclosed == {"text": "Hassan 0 trapped"}
    served = client.get(f"/api/v1/log/receipt/{seq}", headers=auth(tokens["auditor"]))
    assert check_receipt(served.text, verifier).index == seq - 1

    _, other_verifier = note.generate_key("hanano/aleppo")
    with pytest.raises(ReceiptError, match="signature"):
        check_receipt(plain, other_verifier)
    forged = disclosing.replace(
        disclosing.split("\n")[1],
        "extra "
        + base64.b64encode(
            base64.b64decode(disclosing.split("\n")[1][6:]).replace(b"Hassan 0", b"Hassan 9")
        ).decode(),
    )
    with pytest.raises(ReceiptError, match="does not match its commitment"):
        check_receipt(forged, verifier)
    lines = plain.split("\n")
    lines[3] = base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(ReceiptError, match="not included"):
        check_receipt("\n".join(lines), verifier)
    entry_forged = plain.replace(
        lines[1],
        "extra "
        + base64.b64encode(base64.b64decode(lines[1][6:]).replace(b"strike", b"fire__")).decode(),
    )
    with pytest.raises(ReceiptError, match="not included"):
        check_receipt(entry_forged, verifier)


def test_cli_receipt_round_trip(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    runner.invoke(
        main,
        [
            "--db",
            db_url,
            "report",
            "--kind",
            "strike",
            "--lat",
            "36.227",
            "--lon",
            "37.2026",
            "--text",
            "Ahmad is trapped",
        ],
    )
    key = runner.invoke(main, ["--db", db_url, "log", "key"]).stdout.strip()
    receipt = runner.invoke(main, ["--db", db_url, "log", "receipt", "110", "--disclose", "text"])
    assert receipt.exit_code == 0, receipt.output
    path = tmp_path / "receipt.tlog-proof"
    path.write_text(receipt.stdout)
    checked = runner.invoke(main, ["log", "check-receipt", str(path), "--key", key])
    assert checked.exit_code == 0, checked.output
    assert "receipt verifies: event 110" in checked.output
    assert 'disclosed text: "Ahmad is trapped"' in checked.output
    path.write_text(receipt.stdout.replace("index 109", "index 108"))
    refused = runner.invoke(main, ["log", "check-receipt", str(path), "--key", key])
    assert refused.exit_code != 0 and "does NOT verify" in refused.output


# --- tampering with the database directly ---------------------------------------------------


def _events(service: Service) -> dict[int, tuple[bytes, bytes]]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            select(schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash)
        )
        return {r.seq: (bytes(r.canonical), bytes(r.leaf_hash)) for r in rows}


def _audit(service: Service) -> list[str]:
    with service.engine.connect() as conn:
        return verify_log(conn, service.evidence.key.verifier).problems


@pytest.fixture
def logged(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> Service:
    fill(client, tokens, clock, 15)
    aleppo.sequencer.stop()
    assert _audit(aleppo) == []
    return aleppo


def test_update_of_an_event_is_named(logged: Service) -> None:
    canonical, _ = _events(logged)[120]
    with logged.engine.begin() as conn:
        conn.execute(
            update(schema.events)
            .where(schema.events.c.seq == 120)
            .values(canonical=canonical.replace(b'"actor":"', b'"actor":"x'))
        )
    problems = _audit(logged)
    assert problems[0] == "event 120 altered: its bytes no longer hash to its logged leaf"


def test_consistent_rewrite_of_event_leaf_and_nodes_is_caught_by_the_signed_root(
    logged: Service,
) -> None:
    canonical, _ = _events(logged)[120]
    forged = canonical.replace(b'"actor":"', b'"actor":"x')
    forged_leaf = hashlib.sha256(b"\x00" + forged).digest()
    with logged.engine.begin() as conn:
        conn.execute(
            update(schema.events)
            .where(schema.events.c.seq == 120)
            .values(canonical=forged, leaf_hash=forged_leaf)
        )
        conn.execute(
            update(merkle_nodes)
            .where(merkle_nodes.c.level == 0, merkle_nodes.c.idx == 119)
            .values(hash=forged_leaf)
        )
    problems = _audit(logged)
    assert problems
    assert "checkpoint" in problems[0] and "does not match the events" in problems[0]
    assert "at most" in problems[0]


def test_deleted_event_is_named(logged: Service) -> None:
    with logged.engine.begin() as conn:
        conn.execute(delete(schema.sealed_fields).where(schema.sealed_fields.c.seq == 115))
        conn.execute(delete(schema.events).where(schema.events.c.seq == 115))
    assert _audit(logged)[0] == "event 115 removed: the next stored event is 116"


def test_swapped_events_are_named(logged: Service) -> None:
    stored = _events(logged)
    with logged.engine.begin() as conn:
        for seq, other in ((118, 119), (119, 118)):
            conn.execute(
                update(schema.events)
                .where(schema.events.c.seq == seq)
                .values(canonical=stored[other][0], leaf_hash=stored[other][1])
            )
    assert _audit(logged)[0] == "event 118 reordered: its entry says it is event 119"


def test_inserted_event_is_named(logged: Service) -> None:
    stored = _events(logged)
    last = max(stored)
    canonical = stored[last][0].replace(f'"seq":{last}'.encode(), f'"seq":{last + 1}'.encode())
    with logged.engine.begin() as conn:
        conn.execute(
            schema.events.insert().values(
                seq=last + 1,
                time="2026-11-25T10:00:00.000000Z",
                actor="intruder",
                type="intake.report_linked",
                version=1,
                canonical=canonical,
                leaf_hash=hashlib.sha256(b"\x00" + canonical).digest(),
            )
        )
    assert _audit(logged)[0] == f"event {last + 1} inserted: no signed checkpoint covers it"


def test_forged_checkpoint_is_caught(logged: Service) -> None:
    with logged.engine.connect() as conn:
        mark = conn.execute(select(checkpoints).order_by(checkpoints.c.size.desc())).first()
    assert mark is not None
    forged_signer, _ = note.generate_key("hanano/aleppo")
    body = mark.note.split("\n\n", 1)[0] + "\n"
    with logged.engine.begin() as conn:
        conn.execute(
            update(checkpoints)
            .where(checkpoints.c.size == mark.size)
            .values(note=note.sign(body, forged_signer))
        )
    assert _audit(logged)[0] == (
        f"checkpoint {mark.size}: signature does not verify with the log key"
    )


def test_redaction_erases_plaintext_and_the_log_still_verifies(db_url: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["--db", db_url, "init", "--aleppo"])
    runner.invoke(
        main,
        [
            "--db",
            db_url,
            "report",
            "--kind",
            "strike",
            "--lat",
            "36.227",
            "--lon",
            "37.2026",
            "--text",
            "Ahmad is trapped",
        ],
    )
    redacted = runner.invoke(
        main, ["--db", db_url, "log", "redact", "110", "text", "--reason", "family asked"]
    )
    assert redacted.exit_code == 0, redacted.output
    again = runner.invoke(
        main, ["--db", db_url, "log", "redact", "110", "text", "--reason", "again"]
    )
    assert again.exit_code != 0 and "already erased" in again.output
    verified = runner.invoke(main, ["--db", db_url, "log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "log verifies:" in verified.output
    listed = runner.invoke(main, ["--db", db_url, "incidents", "--json"])
    assert "Ahmad" not in listed.output
    refused = runner.invoke(main, ["--db", db_url, "log", "receipt", "110", "--disclose", "text"])
    assert refused.exit_code != 0 and "erased" in refused.output
    from hanano.store.engine import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        text = conn.execute(select(intake_tables.reports.c.text)).scalar()
        sealed = conn.execute(
            select(schema.sealed_fields).where(
                schema.sealed_fields.c.seq == 110, schema.sealed_fields.c.field == "text"
            )
        ).one()
    engine.dispose()
    assert text is None
    assert sealed.salt is None and sealed.value is None and sealed.erased_at


def test_two_writers_on_one_store_keep_one_verifiable_tree(
    settings: Settings, clock: ManualClock
) -> None:
    """A CLI command writing while the server runs: each process's writer remembers the tree's
    right edge it committed, and must still build on the other's leaves correctly."""
    first = Service(settings, clock=clock).start()
    second = Service(settings, clock=clock).start()
    try:
        for n in range(12):
            writer = first if n % 3 else second
            writer.execute(lambda tx, n=n: create_token(tx, "test", "spotter", f"spotter {n}"))
        # A command that fails alone leaves no node behind for the next append to trust.
        with pytest.raises(ValueError):
            first.execute(_append_then_fail)
        first.execute(lambda tx: create_token(tx, "test", "spotter", "after the failure"))
    finally:
        second.stop()
    try:
        assert _audit(first) == []
        all_leaves = leaves(first)
        with first.engine.connect() as conn:
            marks = conn.execute(select(checkpoints).order_by(checkpoints.c.size)).all()
        assert marks[-1].size == len(all_leaves) == 13
        for mark in marks:
            assert bytes(mark.root) == merkle.root_hash(all_leaves[: mark.size])
    finally:
        first.stop()


def _append_then_fail(tx: Tx) -> None:
    create_token(tx, "test", "spotter", "never stored")
    raise ValueError("refused after appending")
