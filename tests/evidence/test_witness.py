"""Witnesses: cosignature/v1 format, the log's acceptance, and the witness CLI over real HTTP."""

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update

from hanano.access.tokens import create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.errors import Problem
from hanano.evidence import note
from hanano.evidence.cosign import (
    cosign,
    generate_witness_key,
    parse_cosignature_line,
    parse_witness_key,
    signature_lines,
    verify_cosignature,
    witness_key_from_signer,
)
from hanano.evidence.log import latest_checkpoint, parse_checkpoint
from hanano.evidence.tables import cosignatures, witnesses
from hanano.evidence.witness import verify_cosignatures
from hanano.evidence.witnesses import add_witness
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.rebuild import rebuild
from tests.conftest import START
from tests.helpers_server import running_server

BODY = "hanano/aleppo\n12\n" + base64.b64encode(b"\x07" * 32).decode() + "\n"


# --- the cosignature/v1 format ----------------------------------------------------------------


def test_witness_key_id_uses_the_cosignature_algorithm_byte() -> None:
    signer, verifier = generate_witness_key("witness.example.org/w1")
    name, key_id_hex, material = verifier.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x04 and len(raw) == 33
    expected = hashlib.sha256(name.encode() + b"\n" + b"\x04" + raw[1:]).digest()[:4]
    assert key_id_hex == expected.hex()
    assert signer.startswith(f"PRIVATE+KEY+{name}+{key_id_hex}+")
    assert witness_key_from_signer(signer) == verifier


def test_cosignature_line_is_key_id_timestamp_and_signature_over_the_v1_message() -> None:
    signer, verifier = generate_witness_key("witness.example.org/w1")
    line = cosign(BODY, signer, 1_679_315_147)
    assert line.startswith("\u2014 witness.example.org/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    key = parse_witness_key(verifier)
    assert int.from_bytes(raw[:4], "big") == key.key_id
    assert int.from_bytes(raw[4:12], "big") == 1_679_315_147
    message = ("cosignature/v1\ntime 1679315147\n" + BODY).encode()
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[12:], message)
    parsed = parse_cosignature_line(line)
    assert parsed is not None and parsed.timestamp == 1_679_315_147
    assert verify_cosignature(BODY, parsed, key)
    assert not verify_cosignature(BODY.replace("12", "13"), parsed, key)
    _, other = generate_witness_key("witness.example.org/w1")
    assert not verify_cosignature(BODY, parsed, parse_witness_key(other))
    later = parsed.__class__(parsed.name, parsed.key_id, 1_679_315_148, parsed.signature, line)
    assert not verify_cosignature(BODY, later, key)


def test_a_plain_ed25519_signer_key_cosigns_under_its_0x04_key_id() -> None:
    # As Go's NewSignerForCosignatureV1: the same seed, the key id of the 0x04 encoding.
    seed = Ed25519PrivateKey.generate()
    raw_seed = seed.private_bytes_raw()
    public = seed.public_key().public_bytes_raw()
    name = "w.example/2"
    id1 = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex()
    plain = f"PRIVATE+KEY+{name}+{id1}+" + base64.b64encode(b"\x01" + raw_seed).decode()
    verifier = witness_key_from_signer(plain)
    parsed = parse_cosignature_line(cosign(BODY, plain, 5))
    assert parsed is not None
    assert verify_cosignature(BODY, parsed, parse_witness_key(verifier))
    with pytest.raises(ValueError, match="key id"):
        cosign(BODY, plain.replace(id1, "00000000"), 5)


def test_witness_keys_are_checked() -> None:
    _, log_verifier = note.generate_key("hanano/aleppo")
    with pytest.raises(ValueError, match="0x01"):
        parse_witness_key(log_verifier)
    _, verifier = generate_witness_key("w1")
    name, _, material = verifier.split("+", 2)
    with pytest.raises(ValueError, match="key id"):
        parse_witness_key(f"{name}+00000000+{material}")
    with pytest.raises(ValueError):
        parse_witness_key("w1+abc")
    for line in ("\u2014 w1 AAAA", "- w1 " + "A" * 104, "\u2014 w1", "\u2014 w1 !!!!"):
        assert parse_cosignature_line(line) is None


def test_the_log_key_still_verifies_a_cosigned_note_and_ignores_the_cosignature() -> None:
    log_signer, log_verifier = note.generate_key("hanano/aleppo")
    witness_signer, _ = generate_witness_key("hanano/aleppo")  # even under the log's own name
    signed = note.sign(BODY, log_signer)
    cosigned = signed + cosign(BODY, witness_signer, 99)
    assert note.verify(cosigned, log_verifier)
    body, lines = signature_lines(cosigned)
    assert body == BODY and len(lines) == 2


# --- the log's side -----------------------------------------------------------------------------


def _events(service: Service, count: int, label: str = "phone") -> None:
    for n in range(count):
        service.execute(lambda tx, n=n: create_token(tx, "test", "spotter", f"{label} {n}"))


def _register(service: Service, name: str = "Syrian Archive") -> tuple[str, str]:
    signer, verifier = generate_witness_key("witness.example.org/w1")
    service.execute(lambda tx: add_witness(tx, "test", name, verifier))
    return signer, verifier


def _submit(service: Service, text: str) -> list[str]:
    from hanano.evidence.witness import accept_cosignatures

    return service.execute(lambda tx: accept_cosignatures(tx, text))


def test_log_stores_and_serves_valid_cosignatures_and_refuses_others(service: Service) -> None:
    _events(service, 3)
    signer, _ = _register(service)
    with service.engine.connect() as conn:
        signed = latest_checkpoint(conn)
    body = note.open_note(signed, [service.evidence.key.verifier])
    size = parse_checkpoint(body).size
    line = cosign(body, signer, 1_800_000_000)
    assert _submit(service, signed + line) == ["Syrian Archive"]
    # The same cosignature again is accepted and kept once; a later one replaces it.
    assert _submit(service, signed + line) == ["Syrian Archive"]
    later = cosign(body, signer, 1_800_000_060)
    _submit(service, signed + later)
    with service.engine.connect() as conn:
        rows = conn.execute(select(cosignatures)).all()
    assert [(r.size, r.witness, r.timestamp, r.line) for r in rows] == [
        (size, "Syrian Archive", 1_800_000_060, later)
    ]

    # A root the log never signed: refused before any signature is looked at.
    forged_body = body.replace(body.split("\n")[2], base64.b64encode(b"\x01" * 32).decode())
    forged = note.sign(forged_body, service.evidence.key.signer) + cosign(forged_body, signer, 1)
    with pytest.raises(Problem) as refused:
        _submit(service, forged)
    assert refused.value.status == 409 and "never signed" in refused.value.detail
    # An unregistered witness, a broken signature, an unknown size, a malformed body.
    stranger, _ = generate_witness_key("stranger.example/w")
    with pytest.raises(Problem) as unknown:
        _submit(service, signed + cosign(body, stranger, 1))
    assert unknown.value.status == 403
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    broken = line.rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(Problem) as bad:
        _submit(service, signed + broken)
    assert bad.value.status == 403 and "does not verify" in bad.value.detail
    far = body.replace(f"\n{size}\n", f"\n{size + 50}\n")
    with pytest.raises(Problem) as missing:
        _submit(service, note.sign(far, service.evidence.key.signer) + cosign(far, signer, 1))
    assert missing.value.status == 404
    with pytest.raises(Problem) as malformed:
        _submit(service, "not a note")
    assert malformed.value.status == 422


def test_add_witness_is_an_event_and_survives_a_rebuild(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init"]).exit_code == 0
    made = runner.invoke(main, ["log", "witness-key", "witness.example.org/w1"])
    signer, verifier = made.stdout.split()
    assert signer.startswith("PRIVATE+KEY+")
    added = runner.invoke(
        main, ["--db", db_url, "log", "add-witness", verifier, "--name", "Syrian Archive"]
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(main, ["--db", db_url, "log", "add-witness", verifier, "--name", "X"])
    assert again.exit_code != 0 and "already" in again.output
    _, log_key = note.generate_key("hanano/aleppo")
    wrong = runner.invoke(main, ["--db", db_url, "log", "add-witness", log_key, "--name", "Y"])
    assert wrong.exit_code != 0 and "0x04" in wrong.output
    service = Service(Settings(database_url=db_url))
    try:
        rebuild(service.engine, REGISTRY)
        with service.engine.connect() as conn:
            rows = conn.execute(select(witnesses.c.name, witnesses.c.key)).all()
            types = list(conn.execute(select(schema.events.c.type)).scalars())
    finally:
        service.stop()
    assert [(r.name, r.key) for r in rows] == [("Syrian Archive", verifier)]
    assert types.count("evidence.witness_added") == 1


# --- the witness over HTTP ----------------------------------------------------------------------


@pytest.fixture
def served(service: Service) -> Iterator[tuple[Service, str]]:
    _events(service, 4)
    with running_server(service) as url:
        yield service, url


def _witness(url: str, signer: str, log_key: str, state: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["log", "witness", url, "--key", signer, "--log-key", log_key, "--state", str(state)]
    )
    return result.exit_code, result.stdout, result.stderr


def test_witness_cosigns_over_http_and_the_log_serves_the_cosignature(
    served: tuple[Service, str], tmp_path: Path, db_url: str
) -> None:
    service, url = served
    signer, verifier = _register(service)
    log_key = service.evidence.key.verifier
    state = tmp_path / "witness.json"
    code, out, err = _witness(url, signer, log_key, state)
    assert code == 0, err
    assert "first seen" in err and "Syrian Archive" in err
    first = json.loads(state.read_text())["hanano/aleppo"]
    served_note = httpx.get(f"{url}/api/v1/log/checkpoint").text
    assert served_note.endswith(out)
    assert note.verify(served_note, log_key)
    body, lines = signature_lines(served_note)
    parsed = parse_cosignature_line(lines[-1])
    assert parsed is not None and verify_cosignature(body, parsed, parse_witness_key(verifier))
    assert parse_checkpoint(body).size == first["size"]

    # The log grows; the witness checks consistency from what it cosigned, then cosigns again
    # (its key read from a file this time, out of the process list).
    _events(service, 3, "radio")
    key_file = tmp_path / "witness.key"
    key_file.write_text(signer + "\n")
    code, out, err = _witness(url, str(key_file), log_key, state)
    assert code == 0, err
    assert f"consistent with size {first['size']}" in err
    assert json.loads(state.read_text())["hanano/aleppo"]["size"] == first["size"] + 3
    past = httpx.get(f"{url}/api/v1/log/checkpoint?size={first['size']}").text
    assert len(signature_lines(past)[1]) == 2  # the log's signature and the earlier cosignature

    # A receipt against the cosigned checkpoint carries the cosignature; an investigator who
    # trusts the witness checks both offline.
    receipt = tmp_path / "receipt.tlog-proof"
    made = CliRunner().invoke(main, ["--db", db_url, "log", "receipt", "2", "--cosigned"])
    assert made.exit_code == 0, made.output
    receipt.write_text(made.stdout)
    assert "\n" + out in made.stdout
    checked = CliRunner().invoke(
        main, ["log", "check-receipt", str(receipt), "--key", log_key, "--witness", verifier]
    )
    assert checked.exit_code == 0, checked.output
    assert "receipt verifies: event 2" in checked.output
    assert "cosigned by witness witness.example.org/w1 at 20" in checked.output
    _, absent = generate_witness_key("witness.example.org/w2")
    refused = CliRunner().invoke(
        main, ["log", "check-receipt", str(receipt), "--key", log_key, "--witness", absent]
    )
    assert refused.exit_code != 0
    assert "no valid cosignature by witness.example.org/w2" in refused.output

    # `hanano log verify` checks every stored cosignature with its witness's registered key.
    with service.engine.connect() as conn:
        assert verify_cosignatures(conn) == (2, [])
    verified = CliRunner().invoke(main, ["--db", db_url, "log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "2 witness cosignatures verify" in verified.output
    with service.engine.begin() as conn:
        conn.execute(
            update(cosignatures)
            .where(cosignatures.c.size == first["size"])
            .values(line=cosign(body, generate_witness_key("witness.example.org/w1")[0], 1))
        )
    with service.engine.connect() as conn:
        checked, problems = verify_cosignatures(conn)
    assert checked == 1
    assert problems == [
        f"cosignature of checkpoint {first['size']} by witness 'Syrian Archive' does not verify"
    ]


def _fork(tmp_path: Path, build: str) -> Service:
    """A second store under the same log key (the autouse key file) with its own history."""
    fork = Service(
        Settings(database_url=f"sqlite:///{tmp_path / 'fork.db'}"), clock=ManualClock(START)
    )
    fork.start()
    if build == "same size":
        _events(fork, 5, "forged")
    elif build == "longer, one group":
        # One group, so the fork has no checkpoint of the size the witness cosigned.
        fork.execute(
            lambda tx: [create_token(tx, "test", "spotter", f"forged {n}") for n in range(9)]
        )
    else:
        _events(fork, 2, "forged")
    return fork


@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("same size", "two checkpoints of size 5 with different roots"),
        ("longer, one group", "is not consistent with the one of size 5"),
        ("shorter", "rolled back"),
    ],
)
def test_witness_refuses_a_forked_log_and_reports_it(
    served: tuple[Service, str], tmp_path: Path, build: str, message: str
) -> None:
    service, url = served
    signer, _ = _register(service)  # four events and this one: the witness cosigns size 5
    log_key = service.evidence.key.verifier
    state = tmp_path / "witness.json"
    assert _witness(url, signer, log_key, state)[0] == 0
    assert json.loads(state.read_text())["hanano/aleppo"]["size"] == 5
    before = state.read_text()
    fork = _fork(tmp_path, build)
    try:
        with running_server(fork) as fork_url:
            code, out, err = _witness(fork_url, signer, log_key, state)
    finally:
        fork.stop()
    assert code == 3, err
    assert "FORK" in err and message in err
    assert "REFUSED" in err and out == ""
    # Both signed checkpoints, each checkable with the log key: proof of the log's misbehaviour.
    assert err.count("--- signed checkpoint") == 2
    assert state.read_text() == before


def test_witness_refuses_a_checkpoint_the_log_key_did_not_sign(
    served: tuple[Service, str], tmp_path: Path
) -> None:
    service, url = served
    signer, _ = _register(service)
    _, other_log_key = note.generate_key("hanano/aleppo")
    code, _, err = _witness(url, signer, other_log_key, tmp_path / "w.json")
    assert code == 1 and "does not verify with the log key" in err
    assert not (tmp_path / "w.json").exists()
    code, _, err = _witness(url, str(tmp_path / "nowhere.key"), other_log_key, tmp_path / "w.json")
    assert code == 1 and "neither a signer key nor a file" in err


def test_log_refuses_over_http_a_cosignature_for_a_root_it_never_signed(
    served: tuple[Service, str],
) -> None:
    service, url = served
    signer, _ = _register(service)
    signed = httpx.get(f"{url}/api/v1/log/checkpoint").text
    body = note.open_note(signed, [service.evidence.key.verifier])
    forged_body = body.replace(body.split("\n")[2], base64.b64encode(b"\x02" * 32).decode())
    forged = note.sign(forged_body, service.evidence.key.signer) + cosign(forged_body, signer, 7)
    groups = service.sequencer.groups_committed
    refused = httpx.post(f"{url}/api/v1/log/cosignatures", content=forged.encode())
    assert refused.status_code == 409
    assert "never signed" in refused.json()["detail"]
    junk = httpx.post(f"{url}/api/v1/log/cosignatures", content=signed.encode() + b"\xff")
    assert junk.status_code == 422
    # Refusals are decided before the writer: the endpoint takes no token.
    assert service.sequencer.groups_committed == groups
    accepted = httpx.post(
        f"{url}/api/v1/log/cosignatures", content=(signed + cosign(body, signer, 7)).encode()
    )
    assert accepted.status_code == 201 and accepted.json() == {"stored": ["Syrian Archive"]}
