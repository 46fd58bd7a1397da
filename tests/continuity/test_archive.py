"""One file that carries the operation: export, a checked import, and the same log carrying on."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import inspect, select

from hanano.cli import main
from hanano.evidence import merkle
from hanano.evidence.archive_format import manifest_bytes, sha256_hex
from hanano.evidence.log import consistency, parse_checkpoint
from hanano.evidence.tables import checkpoints
from hanano.store import schema
from hanano.store.engine import make_engine
from tests.conftest import fresh_store
from tests.evidence.media_support import photo

PASS = "correct horse battery staple\n"


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty store elsewhere, with its own key file and media directory (none there yet)."""
    with fresh_store(tmp_path / "target.db") as url:
        yield url


def run(*args: str, stdin: str = PASS) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def source_archive(db_url: str, tmp_path: Path, *extra: str) -> Path:
    for command in (
        ["init", "--aleppo"],
        ["report", "--kind", "strike", "--lat", "36.227", "--lon", "37.2026", "--trapped", "3"],
        ["report", "--kind", "collapse", "--text", "انهيار بناء في حي هنانو"],
    ):
        done = run("--db", db_url, *command)
        assert done.exit_code == 0, done.output
    picture = tmp_path / "strike.jpg"
    picture.write_bytes(photo(3000, seed=7))
    added = run("--db", db_url, "media", "add", str(picture), "--incident", "INC-1")
    assert added.exit_code == 0, added.output
    archive = tmp_path / "operation.tar"
    done = run("--db", db_url, "store", "export", str(archive), *extra)
    assert done.exit_code == 0, done.output
    return archive


def move_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The importing machine: another key file path and another media directory."""
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("HANANO_LOG_KEY_FILE", str(elsewhere / "log.key"))
    monkeypatch.setenv("HANANO_BLOB_DIR", str(elsewhere / "blobs"))
    return elsewhere


def events_of(url: str) -> list[tuple[int, bytes]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = []
        if inspect(conn).has_table("events"):
            found = conn.execute(select(schema.events.c.seq, schema.events.c.canonical)).all()
    engine.dispose()
    return [(seq, bytes(canonical)) for seq, canonical in found]


def test_round_trip_and_the_same_log_carries_on(
    db_url: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = source_archive(db_url, tmp_path)
    before = events_of(db_url)
    elsewhere = move_away(tmp_path, monkeypatch)
    done = run("store", "import", str(archive), "--db", target)
    assert done.exit_code == 0, done.output
    assert events_of(target) == before
    assert (elsewhere / "log.key").read_text() == (tmp_path / "hanano-log.key").read_text()
    assert len(list((elsewhere / "blobs" / "originals").rglob("*"))) == 2  # one folder, one file
    listed = run("--db", target, "incidents")
    assert "INC-1" in listed.output and "reports 2" in listed.output, listed.output
    engine = make_engine(target)
    with engine.connect() as conn:
        old = [(r.size, bytes(r.root)) for r in conn.execute(select(checkpoints)).all()]
    engine.dispose()
    more = run("--db", target, "report", "--kind", "fire", "--lat", "36.2", "--lon", "37.15")
    assert more.exit_code == 0, more.output
    after = events_of(target)
    assert after[: len(before)] == before and after[len(before)][0] == before[-1][0] + 1
    assert run("--db", target, "log", "verify").exit_code == 0
    engine = make_engine(target)
    with engine.connect() as conn:
        latest = conn.execute(select(checkpoints).order_by(checkpoints.c.size.desc())).first()
        assert latest is not None and latest.size == after[-1][0]
        for size, root in old:
            proof = consistency(conn, size, latest.size)
            assert merkle.verify_consistency(size, latest.size, proof, root, bytes(latest.root))
    engine.dispose()
    body = parse_checkpoint(str(latest.note).split("\n\n", 1)[0] + "\n")
    assert body.origin == "hanano/aleppo"


def test_sealed_fields_travel_encrypted_to_the_receiver(
    db_url: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = X25519PrivateKey.generate()
    public_pem = tmp_path / "mirror.pub"
    public_pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    private_pem = tmp_path / "mirror.key"
    private_pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    archive = source_archive(db_url, tmp_path, "--to", str(public_pem))
    assert "انهيار بناء".encode() not in archive.read_bytes()
    move_away(tmp_path, monkeypatch)
    refused = run("store", "import", str(archive), "--db", target)
    assert refused.exit_code == 1 and "--sealed-key" in refused.output
    done = run("store", "import", str(archive), "--db", target, "--sealed-key", str(private_pem))
    assert done.exit_code == 0, done.output
    assert events_of(target) == events_of(db_url)


def test_wrong_passphrase_and_non_empty_target_are_refused(
    db_url: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = source_archive(db_url, tmp_path)
    wrong = run("store", "import", str(archive), "--db", target, stdin="not the passphrase\n")
    assert wrong.exit_code == 1 and "passphrase is wrong" in wrong.output
    assert events_of(target) == []
    onto_itself = run("store", "import", str(archive), "--db", db_url)
    assert onto_itself.exit_code == 1 and "not empty" in onto_itself.output


def test_a_log_with_nothing_signed_is_not_exported(db_url: str, tmp_path: Path) -> None:
    """An empty store has no checkpoint to prove an archive by: refused, and no file is left."""
    archive = tmp_path / "empty.tar"
    done = run("--db", db_url, "store", "export", str(archive))
    assert done.exit_code == 1 and "no signed checkpoint yet" in done.output, done.output
    assert not archive.exists()


def flipped(archive: Path, position: int, into: Path) -> Path:
    data = bytearray(archive.read_bytes())
    data[position] ^= 0x01
    into.write_bytes(bytes(data))
    return into


def test_a_changed_byte_anywhere_is_refused_and_nothing_written(
    db_url: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = source_archive(db_url, tmp_path)
    move_away(tmp_path, monkeypatch)
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    wanted = ["events/000000.log", "manifest.json", "checkpoints/000000.jsonl", "log-key.json"]
    wanted += [n for n in members if n.startswith("blobs/")]
    cases: list[tuple[int, str]] = []
    for name in wanted:
        member = members[name]
        for at in (0, member.size // 2, member.size - 1):
            cases.append((member.offset_data + at, name))
        cases.append((member.offset + 3, ""))  # a byte of its tar header
    cases.append((archive.stat().st_size - 5, ""))  # the zero padding at the end
    for number, (position, name) in enumerate(cases):
        bad = flipped(archive, position, tmp_path / f"bad{number}.tar")
        done = run("store", "import", str(bad), "--db", target)
        assert done.exit_code == 1, (position, name, done.output)
        assert "refused, nothing written" in done.output
        assert name in done.output or name == "manifest.json", (name, done.output)
    assert events_of(target) == []
    assert not (tmp_path / "elsewhere" / "log.key").exists()


def rewritten(archive: Path, into: Path, name: str, change: bytes, replacement: bytes) -> Path:
    """The archive as a forger who also fixes the manifest would remake it."""
    with tarfile.open(archive) as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert change in contents[name]
    contents[name] = contents[name].replace(change, replacement, 1)
    manifest = json.loads(contents.pop("manifest.json"))
    manifest["members"] = {n: sha256_hex(d) for n, d in contents.items()}
    contents["manifest.json"] = manifest_bytes(manifest)
    with tarfile.open(into, "w", format=tarfile.USTAR_FORMAT) as tar:
        for member, data in contents.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return into


def test_a_forged_event_with_a_fixed_manifest_is_named(
    db_url: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = source_archive(db_url, tmp_path)
    move_away(tmp_path, monkeypatch)
    forged = rewritten(
        archive, tmp_path / "f1.tar", "events/000000.log", b'"trapped":3', b'"trapped":0'
    )
    done = run("store", "import", str(forged), "--db", target)
    assert done.exit_code == 1 and "do not hash to its leaf" in done.output, done.output
    with tarfile.open(archive) as tar:
        log = tar.extractfile("events/000000.log").read()  # type: ignore[union-attr]
    line = next(x for x in log.splitlines() if b'"trapped":3' in x)
    seq, _, canonical = line.split(b"\t", 2)
    changed = canonical.replace(b'"trapped":3', b'"trapped":0')
    new_line = b"\t".join([seq, merkle.leaf_hash(changed).hex().encode(), changed])
    forged = rewritten(archive, tmp_path / "f2.tar", "events/000000.log", line, new_line)
    done = run("store", "import", str(forged), "--db", target)
    assert done.exit_code == 1 and "not the root the checkpoint signs" in done.output, done.output
    assert "checkpoints/000000.jsonl row" in done.output
    assert events_of(target) == []
