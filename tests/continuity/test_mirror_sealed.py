"""A mirror with its own X25519 key: the primary's sealed fields (names, positions) reach it
encrypted to that key, are checked against their commitments, stored and projected; nobody on
the way, and no other mirror, can read them."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.responses import Response

from hanano.access.mirror_accounts import add_token
from hanano.access.tokens import create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence.archive_format import SealedCipher, load_private_key, load_public_key
from hanano.evidence.redaction import redact_field
from hanano.evidence.sealed_tiles import open_sealed_bundle
from hanano.evidence.tile_verify import Refused
from hanano.evidence.tiles import parse_tile_path
from hanano.service import Service
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.web.app import build_app
from tests.conftest import fresh_store
from tests.continuity.mirror_support import FakePartnerPrimary, fake_partner_server
from tests.continuity.test_tiles import grow_to, size_of
from tests.dispatch.support import make_team
from tests.helpers import auth, post, report_body
from tests.helpers_server import running_server

REPORT_TEXT = "انهيار بناء في حي هنانو، ثلاثة تحت الأنقاض"
RESCUER = "Rescuer Canary-7781"
# A team leader's position, in digits that appear nowhere else.
POSITION = (36.21234567, 37.14765432)


@dataclass(frozen=True)
class Keys:
    private: Path
    public_pem: str


@pytest.fixture
def mirror_db(tmp_path: Path) -> Iterator[str]:
    with fresh_store(tmp_path / "mirror.db") as url:
        yield url


def keygen(tmp_path: Path, name: str) -> Keys:
    private = tmp_path / name
    done = CliRunner().invoke(main, ["mirror", "keygen", str(private)])
    assert done.exit_code == 0, done.output
    return Keys(private, private.with_name(name + ".pub").read_text())


def mirror_token(service: Service, keys: Keys | None) -> str:
    pem = None if keys is None else keys.public_pem
    issued = service.execute(lambda tx: create_token(tx, "test", "mirror", "m", sealed_to=pem))
    return issued.secret


def follow(url: str, token: str, service: Service, db: str, *extra: str) -> Result:
    key = service.evidence.key.verifier
    args = ["mirror", "follow", url, "--token", token, "--log-key", key, "--db", db, "--once"]
    return CliRunner().invoke(main, [*args, *extra])


def sealed_rows(db: str) -> list[tuple[Any, ...]]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(schema.sealed_fields)).all()
    finally:
        engine.dispose()
    return sorted(
        (r.seq, r.field, None if r.salt is None else bytes(r.salt), r.value, r.erased_at)
        for r in found
    )


def operations(service: Service, tokens: dict[str, str], at: datetime) -> None:
    """A report, a rescuer's named token, a team and its leader's position."""
    service.execute(lambda tx: create_token(tx, "test", "team_leader", RESCUER))
    with TestClient(build_app(service)) as client:
        answer = post(client, tokens["reporter"], report_body(at, text=REPORT_TEXT))
        assert answer.status_code == 201, answer.text
        team = make_team(client, tokens["dispatcher"], "Hanano 1")
        position = {"lat": POSITION[0], "lon": POSITION[1]}
        moved = client.post(
            f"/api/v1/teams/{team['id']}/position", json=position, headers=auth(tokens["admin"])
        )
        assert moved.status_code == 200, moved.text


def plaintexts() -> list[bytes]:
    return [
        REPORT_TEXT.encode(),
        json.dumps(REPORT_TEXT).encode(),
        RESCUER.encode(),
        str(POSITION[0]).encode(),
        str(POSITION[1]).encode(),
    ]


@dataclass
class RecordingPrimary(FakePartnerPrimary):
    """Passes everything through and keeps every body that went over the wire."""

    bodies: list[bytes] = field(default_factory=list)

    def answer(self, path: str, headers: dict[str, str]) -> Response:
        response = super().answer(path, headers)
        self.bodies.append(bytes(response.body))
        return response


@dataclass
class ForgingPrimary(FakePartnerPrimary):
    """A primary that knows the mirror's public key and serves a value of its own making."""

    private: Path = Path()
    forged: str = "text"

    def answer(self, path: str, headers: dict[str, str]) -> Response:
        response = super().answer(path, headers)
        if not path.startswith("sealed/"):
            return response
        body = bytes(response.body)
        private = load_private_key(self.private.read_bytes())
        ref = parse_tile_path(None, path.removeprefix("sealed/"))
        plain = SealedCipher.for_receiver(private, body[:32]).decrypt(ref.index, path, body[32:])
        rows = [json.loads(line) for line in plain.splitlines()]
        for row in rows:
            if row["field"] == self.forged:
                row["value"] = json.dumps("nothing happened here")
        lines = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
        cipher = SealedCipher.to(private.public_key())
        return Response(cipher.ephemeral + cipher.encrypt(ref.index, path, lines))


def test_names_and_positions_reach_a_mirror_with_its_key_and_are_projected(
    aleppo: Service, mirror_db: str, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    keys = keygen(tmp_path, "mirror.key")
    assert stat.S_IMODE(keys.private.stat().st_mode) == 0o600
    operations(aleppo, tokens, clock.now())
    token = mirror_token(aleppo, keys)
    with running_server(aleppo) as url:
        recorder = RecordingPrimary(url)
        with fake_partner_server(recorder) as watched:
            done = follow(watched, token, aleppo, mirror_db, "--sealed-key", str(keys.private))
    assert done.exit_code == 0, done.output
    # What went over the wire: entries with commitments, sealed fields encrypted.
    wire = b"".join(recorder.bodies)
    for plain in plaintexts():
        assert plain not in wire, plain
    primary_rows = sealed_rows(aleppo.settings.database_url)
    assert sealed_rows(mirror_db) == primary_rows
    assert json.dumps(RESCUER) in {row[3] for row in primary_rows}

    mirror = Service(Settings(database_url=mirror_db)).start()
    try:
        with TestClient(build_app(aleppo)) as client:
            teams = client.get("/api/v1/teams", headers=auth(tokens["dispatcher"])).json()
        # On the mirror, a dispatcher's token of the mirror's own: the primary's open nothing there.
        dispatcher = auth(add_token(mirror.engine, "dispatcher", "abroad").secret)
        with TestClient(build_app(mirror)) as client:
            status = client.get("/api/v1/mirror", headers=dispatcher).json()["mirror"]
            assert status["unprojected"] == 0 and status["size"] == size_of(aleppo)
            mirrored = client.get("/api/v1/teams", headers=dispatcher).json()
    finally:
        mirror.stop()
    # The same teams, bases and positions; only their age differs, read on the mirror's clock.
    assert without_age(mirrored) == without_age(teams)
    position = mirrored["teams"][0]["position"]
    assert (position["lat"], position["lon"]) == POSITION


def without_age(teams: dict[str, Any]) -> dict[str, Any]:
    for team in teams["teams"]:
        team["position"].pop("age_min")
        team["position"].pop("stale")
    return teams


def test_without_the_key_the_mirror_holds_commitments_only(
    aleppo: Service, mirror_db: str, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    operations(aleppo, tokens, clock.now())
    token = mirror_token(aleppo, keygen(tmp_path, "mirror.key"))
    with running_server(aleppo) as url:
        assert follow(url, token, aleppo, mirror_db).exit_code == 0
    values = {row[3] for row in sealed_rows(mirror_db)}
    assert values == {None}


def test_another_mirrors_key_cannot_decrypt(
    service: Service, mirror_db: str, tmp_path: Path
) -> None:
    ours, theirs = keygen(tmp_path, "ours.key"), keygen(tmp_path, "theirs.key")
    their_token = mirror_token(service, theirs)
    grow_to(service, 40)
    with running_server(service) as url:
        done = follow(url, their_token, service, mirror_db, "--sealed-key", str(ours.private))
        with TestClient(build_app(service)) as client:
            path = f"/tlog/sealed/000.p/{size_of(service)}"
            body = client.get(path, headers=auth(their_token)).content
    assert done.exit_code == 1, done.output
    assert "refused, nothing stored" in done.output
    assert "cannot be decrypted with this private key" in done.output
    assert sealed_rows(mirror_db) == []
    ref = parse_tile_path(None, path.removeprefix("/tlog/sealed/"))
    with pytest.raises(Refused, match="cannot be decrypted"):
        open_sealed_bundle(load_private_key(ours.private.read_bytes()), ref, body)
    assert open_sealed_bundle(load_private_key(theirs.private.read_bytes()), ref, body)


@pytest.mark.parametrize("at", [0, 40, -1])
def test_a_changed_byte_of_the_sealed_fields_is_refused(
    service: Service, mirror_db: str, tmp_path: Path, at: int
) -> None:
    keys = keygen(tmp_path, "mirror.key")
    token = mirror_token(service, keys)
    grow_to(service, 40)
    target = "sealed/000.p/40"
    with running_server(service) as url:
        fake = FakePartnerPrimary(url, flip=target, at=at)
        with fake_partner_server(fake) as hostile:
            done = follow(hostile, token, service, mirror_db, "--sealed-key", str(keys.private))
    assert done.exit_code == 1, done.output
    assert "refused, nothing stored" in done.output and target in done.output, done.output
    assert sealed_rows(mirror_db) == []


def test_a_value_the_log_does_not_vouch_for_is_refused(
    aleppo: Service, mirror_db: str, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    keys = keygen(tmp_path, "mirror.key")
    operations(aleppo, tokens, clock.now())
    token = mirror_token(aleppo, keys)
    with running_server(aleppo) as url:
        forger = ForgingPrimary(url, private=keys.private, forged="text")
        with fake_partner_server(forger) as hostile:
            done = follow(hostile, token, aleppo, mirror_db, "--sealed-key", str(keys.private))
    assert done.exit_code == 1, done.output
    assert "refused, nothing stored" in done.output
    assert "sealed field 'text'" in done.output
    assert "does not match the commitment" in done.output
    assert sealed_rows(mirror_db) == []


def test_a_mirror_token_with_no_key_is_told_why(
    service: Service, mirror_db: str, tmp_path: Path
) -> None:
    keys = keygen(tmp_path, "mirror.key")
    bare = mirror_token(service, None)
    grow_to(service, 10)
    with TestClient(build_app(service)) as client:
        refused = client.get("/tlog/sealed/000.p/10", headers=auth(bare))
    assert refused.status_code == 409
    assert "no public key is registered" in refused.json()["detail"]
    with running_server(service) as url:
        done = follow(url, bare, service, mirror_db, "--sealed-key", str(keys.private))
    assert done.exit_code == 1 and "409" in done.output, done.output
    assert "no public key is registered" in done.output
    assert sealed_rows(mirror_db) == []


def test_an_erasure_on_the_primary_erases_on_the_mirror(
    aleppo: Service, mirror_db: str, tokens: dict[str, str], clock: ManualClock, tmp_path: Path
) -> None:
    keys = keygen(tmp_path, "mirror.key")
    operations(aleppo, tokens, clock.now())
    token = mirror_token(aleppo, keys)
    with running_server(aleppo) as url:
        sealed_key = ("--sealed-key", str(keys.private))
        assert follow(url, token, aleppo, mirror_db, *sealed_key).exit_code == 0
        seq = next(r[0] for r in sealed_rows(mirror_db) if r[3] == json.dumps(RESCUER))
        aleppo.execute(lambda tx: redact_field(tx, "test", seq, "name", "asked to be forgotten"))
        again = follow(url, token, aleppo, mirror_db, *sealed_key)
    assert again.exit_code == 0, again.output
    assert sealed_rows(mirror_db) == sealed_rows(aleppo.settings.database_url)
    erased = [r for r in sealed_rows(mirror_db) if r[0] == seq and r[1] == "name"]
    assert erased and erased[0][2:4] == (None, None) and erased[0][4] is not None


def test_only_a_mirror_token_is_given_a_key(service: Service, tmp_path: Path) -> None:
    keys = keygen(tmp_path, "mirror.key")
    public = keys.private.with_name("mirror.key.pub")
    url = service.settings.database_url
    base = ["--db", url, "token", "create", "--sealed-to", str(public)]
    refused = CliRunner().invoke(main, [*base, "--role", "dispatcher"])
    assert refused.exit_code != 0 and "sealed_to" in refused.output, refused.output
    not_a_key = tmp_path / "not-a-key.pub"
    not_a_key.write_text("hello")
    wrong = CliRunner().invoke(main, [*base[:-1], str(not_a_key), "--role", "mirror"])
    assert wrong.exit_code != 0 and "sealed_to" in wrong.output, wrong.output
    assert load_public_key(public.read_bytes())
    issued = CliRunner().invoke(main, [*base, "--role", "mirror"])
    assert issued.exit_code == 0, issued.output
    again = CliRunner().invoke(main, ["mirror", "keygen", str(keys.private)])
    assert again.exit_code != 0 and "never overwritten" in again.output
