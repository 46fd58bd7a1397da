"""Media as evidence: originals stored once by hash, every access on the record, custody."""

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.evidence import note
from hanano.evidence.audit import verify_log
from hanano.evidence.blobs import BlobStore
from hanano.evidence.file_types import sniff
from hanano.evidence.media import sign_digest
from hanano.evidence.receipts import check_receipt
from hanano.evidence.tables import media_items
from hanano.service import Service
from hanano.store import schema
from hanano.store.log import verify_disclosure
from hanano.store.rebuild import rebuild, snapshot
from tests.evidence.media_support import MP4_HEAD, photo
from tests.helpers import HANANO, auth, post, report_body


@pytest.fixture
def incident(client: TestClient, tokens: dict[str, str], clock: ManualClock) -> str:
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
    answer = post(client, tokens["dispatcher"], body).json()
    return str(answer["incident"]["id"])


RESTRICTED = ("reporter", "spotter", "public")


def upload(client: TestClient, token: str, content: bytes, incident_id: str, **fields: Any) -> Any:
    where = {"incident_id": incident_id}
    if client.get("/api/v1/me", headers=auth(token)).json()["role"] in RESTRICTED:
        # These roles attach a file to a report of their own, which joins the incident.
        now = client.app.state.service.clock.now()  # type: ignore[attr-defined]
        report = report_body(now, lat=HANANO[0], lon=HANANO[1])
        where = {"report_id": post(client, token, report).json()["id"]}
    data = {**where, **{k: str(v) for k, v in fields.items()}}
    # The client's type and name are deliberately wrong: the server must read the bytes.
    files = {"file": ("holiday.txt", content, "text/plain")}
    return client.post("/api/v1/media", data=data, files=files, headers=auth(token))


def entries(service: Service, event_type: str) -> list[dict[str, Any]]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            select(schema.events.c.canonical)
            .where(schema.events.c.type == event_type)
            .order_by(schema.events.c.seq)
        )
        return [json.loads(bytes(r.canonical)) for r in rows]


def test_upload_stores_the_original_once_and_logs_hash_type_claims_and_uploader(
    client: TestClient,
    tokens: dict[str, str],
    incident: str,
    aleppo: Service,
    blob_dir: Path,
) -> None:
    content = photo(200_000)  # over the 64 KiB limit of every other endpoint
    digest = hashlib.sha256(content).hexdigest()
    answer = upload(
        client,
        tokens["reporter"],
        content,
        incident,
        captured_at="2026-11-25T09:58:00+02:00",
        lat=36.2271,
        lon=37.2027,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["sha256"] == digest
    assert answer.json()["size"] == len(content)
    assert answer.json()["media_type"] == "image/jpeg"

    stored = blob_dir / "originals" / digest[:2] / digest[2:]
    assert stored.read_bytes() == content
    assert stat.S_IMODE(stored.stat().st_mode) & 0o222 == 0  # nobody may write to an original
    assert list((blob_dir / "tmp").iterdir()) == []

    (entry,) = entries(aleppo, "evidence.media_added")
    me = client.get("/api/v1/me", headers=auth(tokens["reporter"])).json()
    assert entry["actor"] == me["token_id"]
    data = entry["data"]
    assert data["sha256"] == digest
    assert data["size"] == len(content)
    assert data["media_type"] == "image/jpeg"
    assert data["incident_id"] == incident
    # The device's claim, in the store's one spelling of a time (UTC).
    assert data["captured_at"] == "2026-11-25T07:58:00.000000Z"
    assert data["device_key_id"] is None
    # The place is sensitive: the log holds a salted commitment, the plaintext is kept apart.
    assert data["place"].startswith("hmac-sha256:")
    assert "36.2271" not in json.dumps(entry)
    with aleppo.engine.connect() as conn:
        sealed = conn.execute(
            select(schema.sealed_fields).where(
                schema.sealed_fields.c.seq == entry["seq"], schema.sealed_fields.c.field == "place"
            )
        ).one()
    place = json.loads(sealed.value)
    assert place == {"lat": 36.2271, "lon": 37.2027}
    assert verify_disclosure(data["place"], bytes(sealed.salt), place)

    again = upload(client, tokens["spotter"], content, incident)
    assert again.status_code == 409
    assert f"event {entry['seq']}" in again.json()["detail"]


def test_type_is_sniffed_from_the_bytes_and_other_files_are_refused(
    client: TestClient, tokens: dict[str, str], incident: str
) -> None:
    video = MP4_HEAD + b"\x00" * 500
    answer = upload(client, tokens["spotter"], video, incident)
    assert answer.status_code == 201
    assert answer.json()["media_type"] == "video/mp4"
    text = upload(client, tokens["spotter"], b"#!/bin/sh\nrm -rf /\n", incident)
    assert text.status_code == 415
    missing = upload(client, tokens["dispatcher"], photo(seed=2), "INC-999")
    assert missing.status_code == 404
    for captured_at in ("yesterday", "0500-01-01T00:00:00Z", "1999-12-31T23:00:00Z", "0"):
        bad_time = upload(
            client, tokens["spotter"], photo(seed=3), incident, captured_at=captured_at
        )
        assert bad_time.status_code == 422, captured_at
        assert bad_time.json()["errors"][0]["field"] == "captured_at"
    half_place = upload(client, tokens["spotter"], photo(seed=4), incident, lat=36.2)
    assert half_place.status_code == 422
    no_file = client.post(
        "/api/v1/media", data={"incident_id": incident}, headers=auth(tokens["dispatcher"])
    )
    assert no_file.status_code == 422


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "image/png"),
        (b"GIF89a" + b"\x00" * 8, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x14ftyp3gp5\x00\x00\x00\x00", "video/3gpp"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
        (b"%PDF-1.7\n", None),
        (b"\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00", None),
    ],
)
def test_sniffing(head: bytes, expected: str | None) -> None:
    found = sniff(head)
    assert (found[0] if found else None) == expected


def test_body_limits_media_has_its_own_and_other_paths_keep_64_kib(
    aleppo: Service, tokens: dict[str, str], clock: ManualClock
) -> None:
    from hanano.web.app import build_app

    aleppo.settings = aleppo.settings.model_copy(update={"media_max_bytes": 100_000})
    with TestClient(build_app(aleppo)) as client:
        body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
        incident = post(client, tokens["dispatcher"], body).json()["incident"]["id"]
        fits = upload(client, tokens["reporter"], photo(90_000), incident)
        assert fits.status_code == 201, fits.text
        over = upload(client, tokens["reporter"], photo(120_000, seed=1), incident)
        assert over.status_code == 413
        big_report = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], text="x" * 70_000)
        assert post(client, tokens["dispatcher"], big_report).status_code == 413

        def chunked() -> Any:
            yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
            data = photo(150_000, seed=5)
            for start in range(0, len(data), 10_000):
                yield data[start : start + 10_000]

        # Without a Content-Length the limit is enforced while the body streams in.
        streamed = client.post(
            "/api/v1/media",
            content=chunked(),
            headers={**auth(tokens["reporter"]), "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert streamed.status_code == 413
    with aleppo.engine.connect() as conn:
        assert conn.execute(select(media_items.c.size)).scalars().all() == [90_000]


def test_device_signature_is_checked_against_a_registered_key(
    client: TestClient, tokens: dict[str, str], incident: str, aleppo: Service
) -> None:
    signer, verifier = note.generate_key("phone-7")
    registered = client.post(
        "/api/v1/media/devices", json={"verifier_key": verifier}, headers=auth(tokens["admin"])
    )
    assert registered.status_code == 201
    key_id = registered.json()["key_id"]
    assert key_id == "+".join(verifier.split("+")[:2])
    twice = client.post(
        "/api/v1/media/devices", json={"verifier_key": verifier}, headers=auth(tokens["admin"])
    )
    assert twice.status_code == 409
    garbage = client.post(
        "/api/v1/media/devices", json={"verifier_key": "phone+1234"}, headers=auth(tokens["admin"])
    )
    assert garbage.status_code == 422

    content = photo(seed=10)
    digest = hashlib.sha256(content).hexdigest()
    signature = sign_digest(signer, digest)
    signed = upload(
        client, tokens["spotter"], content, incident, device_key=key_id, signature=signature
    )
    assert signed.status_code == 201, signed.text
    (entry,) = entries(aleppo, "evidence.media_added")
    assert entry["data"]["device_key_id"] == key_id
    assert entry["data"]["signature"] == signature

    other = photo(seed=11)
    forged = upload(
        client, tokens["spotter"], other, incident, device_key=key_id, signature=signature
    )
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "signature"
    stranger_signer, _ = note.generate_key("stolen")
    unknown = upload(
        client,
        tokens["spotter"],
        other,
        incident,
        device_key="stolen+00000000",
        signature=sign_digest(stranger_signer, hashlib.sha256(other).hexdigest()),
    )
    assert unknown.status_code == 422
    unsigned_claim = upload(client, tokens["spotter"], other, incident, device_key=key_id)
    assert unsigned_claim.status_code == 422
    assert len(entries(aleppo, "evidence.media_added")) == 1


def test_download_is_logged_with_who_and_why_before_it_is_served(
    client: TestClient, tokens: dict[str, str], incident: str, aleppo: Service
) -> None:
    content = photo(seed=20)
    digest = upload(client, tokens["reporter"], content, incident).json()["sha256"]
    refused = client.get(f"/api/v1/media/{digest}?reason=curious", headers=auth(tokens["reporter"]))
    assert refused.status_code == 403
    no_reason = client.get(f"/api/v1/media/{digest}", headers=auth(tokens["auditor"]))
    assert no_reason.status_code == 422
    assert entries(aleppo, "evidence.media_accessed") == []

    got = client.get(
        f"/api/v1/media/{digest}",
        params={"reason": "UN CoI request 14"},
        headers=auth(tokens["auditor"]),
    )
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["repr-digest"] == (
        "sha-256=:" + base64.b64encode(bytes.fromhex(digest)).decode() + ":"
    )
    assert "attachment" in got.headers["content-disposition"]
    (access,) = entries(aleppo, "evidence.media_accessed")
    auditor = client.get("/api/v1/me", headers=auth(tokens["auditor"])).json()["token_id"]
    assert access["actor"] == auditor
    assert access["data"] == {"sha256": digest, "reason": "UN CoI request 14", "via": "api"}

    chain = client.get(f"/api/v1/media/{digest}/custody", headers=auth(tokens["admin"])).json()
    assert [e["action"] for e in chain["custody"]] == ["added", "accessed"]
    assert all(e["leaf_matches"] for e in chain["custody"])
    assert (
        client.get(
            "/api/v1/media/" + "0" * 64 + "?reason=x", headers=auth(tokens["admin"])
        ).status_code
        == 404
    )
    assert (
        client.get("/api/v1/media/nothex?reason=x", headers=auth(tokens["admin"])).status_code
        == 422
    )


def cli(runner: CliRunner, db_url: str, *args: str) -> Any:
    result = runner.invoke(main, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result


def test_cli_add_copy_export_and_custody(db_url: str, tmp_path: Path, blob_dir: Path) -> None:
    runner = CliRunner()
    cli(runner, db_url, "init", "--aleppo")
    cli(
        runner,
        db_url,
        "report",
        "--kind",
        "strike",
        "--lat",
        str(HANANO[0]),
        "--lon",
        str(HANANO[1]),
    )
    source = tmp_path / "VID_0001.mp4"
    content = MP4_HEAD + os.urandom(5000)
    source.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    signer, verifier = note.generate_key("camera-1")
    key_id = cli(runner, db_url, "media", "register-device", verifier).stdout.strip()
    added = cli(
        runner,
        db_url,
        "media",
        "add",
        str(source),
        "--incident",
        "INC-1",
        "--captured-at",
        "2026-11-25T07:00:00Z",
        "--lat",
        "36.2270",
        "--lon",
        "37.2026",
        "--device-key",
        key_id,
        "--signature",
        sign_digest(signer, digest),
    )
    assert added.stdout.strip() == digest
    original = blob_dir / "originals" / digest[:2] / digest[2:]
    assert original.read_bytes() == content

    copied = cli(runner, db_url, "media", "copy", digest, "--reason", "blur faces")
    copy_path = Path(copied.stdout.strip())
    assert copy_path.parent == blob_dir / "working" / digest  # the copy names its original
    assert copy_path.read_bytes() == content
    copy_path.write_bytes(b"edited")  # working copies may be worked on ...
    assert original.read_bytes() == content  # ... the original is untouched
    redacted = tmp_path / "redacted.jpg"
    redacted.write_bytes(photo(seed=30))
    derived = cli(
        runner,
        db_url,
        "media",
        "copy",
        digest,
        "--reason",
        "faces blurred",
        "--derived",
        str(redacted),
    )
    derived_path = Path(derived.stdout.strip())
    assert derived_path.parent == blob_dir / "working" / digest
    assert derived_path.suffix == ".jpg"

    out = tmp_path / "for-the-court"
    exported = cli(
        runner,
        db_url,
        "media",
        "export",
        digest,
        "--to",
        str(out),
        "--reason",
        "case 7",
        "--recipient",
        "IIIM",
    )
    files = [Path(line) for line in exported.stdout.split()]
    assert files[0] == out / f"{digest}.mp4"
    assert files[0].read_bytes() == content
    key = cli(runner, db_url, "log", "key").stdout.strip()
    checked = check_receipt(files[1].read_text(), key)
    assert checked.entry["type"] == "evidence.media_added"
    assert checked.entry["data"]["sha256"] == digest
    assert checked.entry["data"]["device_key_id"] == key_id
    refused = runner.invoke(
        main, ["--db", db_url, "media", "export", digest, "--to", str(out), "--reason", "again"]
    )
    assert refused.exit_code != 0  # an export never overwrites files already handed out

    chain = cli(runner, db_url, "media", "custody", digest).stdout.splitlines()
    assert [line.split()[3] for line in chain] == ["added", "copied", "copied", "exported"]
    assert "signed by device camera-1" in chain[0]
    assert "for IIIM: case 7" in chain[3]
    assert "by cli" in chain[3]
    as_json = json.loads(cli(runner, db_url, "media", "custody", digest, "--json").stdout)
    assert as_json[1]["data"]["reason"] == "blur faces"
    assert as_json[2]["data"]["derivation"] == "derived"
    assert as_json[2]["data"]["copy_sha256"] == hashlib.sha256(redacted.read_bytes()).hexdigest()
    assert "log verifies" in cli(runner, db_url, "log", "verify").stdout

    missing = runner.invoke(
        main, ["--db", db_url, "media", "add", str(source), "--incident", "INC-9"]
    )
    assert missing.exit_code != 0 and "INC-9" in missing.output
    no_reason = runner.invoke(main, ["--db", db_url, "media", "copy", digest, "--reason", " "])
    assert no_reason.exit_code != 0


def test_projections_rebuild_and_a_redacted_place_is_gone_but_the_log_verifies(
    client: TestClient, tokens: dict[str, str], incident: str, aleppo: Service
) -> None:
    from hanano.evidence.redaction import redact_field

    for seed in range(3):
        digest = upload(
            client, tokens["reporter"], photo(seed=40 + seed), incident, lat=36.227, lon=37.2
        ).json()["sha256"]
        client.get(f"/api/v1/media/{digest}?reason=review", headers=auth(tokens["dispatcher"]))
    _, verifier = note.generate_key("phone-9")
    client.post(
        "/api/v1/media/devices", json={"verifier_key": verifier}, headers=auth(tokens["admin"])
    )
    with aleppo.engine.connect() as conn:
        live = snapshot(conn, REGISTRY)
    assert len(live["media_items"]) == 3
    assert len(live["media_custody"]) == 6
    assert len(live["media_device_keys"]) == 1
    aleppo.sequencer.stop()
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == live
    aleppo.sequencer.start()

    seq = entries(aleppo, "evidence.media_added")[0]["seq"]
    aleppo.execute(lambda tx: redact_field(tx, "test", seq, "place", "endangers the filmer"))
    aleppo.sequencer.stop()
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        row = conn.execute(select(media_items).where(media_items.c.seq == seq)).one()
        assert (row.lat, row.lon) == (None, None)
        report = verify_log(conn, aleppo.evidence.key.verifier)
    assert report.ok, report.problems


def test_blob_store_writes_once(tmp_path: Path) -> None:
    import io

    store = BlobStore(tmp_path)
    first = store.put_stream(io.BytesIO(photo(seed=50)))
    second = store.put_stream(io.BytesIO(photo(seed=50)))
    assert first.created and not second.created
    assert first.path == second.path
    with pytest.raises(ValueError, match="SHA-256"):
        store.path_of("../../etc/passwd")
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o444
