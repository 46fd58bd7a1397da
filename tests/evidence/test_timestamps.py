"""Trusted time: each checkpoint gets an RFC 3161 timestamp, which `hanano log verify` checks.

The authority is an outside party; here the test fakes one with Debian's `openssl ts`, behind a
small HTTP server on 127.0.0.1, with its own CA and a TSA certificate whose extended key usage is
critical timeStamping.
"""

import hashlib
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rfc3161_client import decode_timestamp_response
from sqlalchemy import func, select, update

from hanano.access.tokens import create_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.evidence.cosign import signature_lines
from hanano.evidence.tables import checkpoint_timestamps, checkpoints
from hanano.evidence.tsa import (
    TimestampError,
    check_token,
    load_chain,
    missing,
    request_token,
)
from hanano.service import Service
from hanano.settings import Settings

OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
default_tsa = tsa1
[tsa1]
serial = {dir}/serial
signer_cert = {dir}/tsa.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> Path:
    """A self-signed CA with a TSA certificate under it; returns the CA's PEM file."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "openssl.cnf"
    config.write_text(OPENSSL_CONFIG.format(cn=name, dir=directory))
    (directory / "serial").write_text("01\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", directory / "ca.key", "-out", directory / "ca.crt",
             "-days", "2", "-config", config, "-extensions", "ca_ext")  # fmt: skip
    _openssl("req", "-new", *ec, "-keyout", directory / "tsa.key", "-out", directory / "tsa.csr",
             "-subj", f"/CN={name} TSA", "-config", config)  # fmt: skip
    _openssl("x509", "-req", "-in", directory / "tsa.csr", "-CA", directory / "ca.crt",
             "-CAkey", directory / "ca.key", "-CAcreateserial", "-out", directory / "tsa.crt",
             "-days", "2", "-extfile", config, "-extensions", "tsa_ext")  # fmt: skip
    return directory / "ca.crt"


@dataclass
class FakeOutsideTSA:
    """A stand-in for an outside time-stamping authority: `openssl ts -reply` over HTTP."""

    url: str
    ca_pem: Path
    directory: Path
    down: bool = False
    delay_s: float = 0.0
    replies: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, query: bytes) -> bytes:
        with self.lock:  # openssl bumps its serial file on each reply
            self.replies += 1
            asked = self.directory / f"q{self.replies}.tsq"
            answered = self.directory / f"r{self.replies}.tsr"
            asked.write_bytes(query)
            _openssl("ts", "-reply", "-config", self.directory / "openssl.cnf",
                     "-queryfile", asked, "-out", answered)  # fmt: skip
            return answered.read_bytes()


@pytest.fixture
def fake_outside_tsa(tmp_path: Path) -> Iterator[FakeOutsideTSA]:
    directory = tmp_path / "tsa"
    ca_pem = make_ca(directory, "Fake Outside TSA")
    authority: FakeOutsideTSA | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert authority is not None
            query = self.rfile.read(int(self.headers["Content-Length"]))
            if authority.down or self.headers["Content-Type"] != "application/timestamp-query":
                self.send_response(503)
                self.end_headers()
                return
            time.sleep(authority.delay_s)
            answer = authority.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    authority = FakeOutsideTSA(f"http://127.0.0.1:{server.server_port}/", ca_pem, directory)
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _timestamped(db_url: str, tsa: FakeOutsideTSA, clock: ManualClock) -> Service:
    settings = Settings(database_url=db_url, tsa_url=tsa.url, tsa_cert=str(tsa.ca_pem))
    return Service(settings, clock=clock).start()


def _events(service: Service, count: int) -> None:
    for n in range(count):
        service.execute(lambda tx, n=n: create_token(tx, "test", "spotter", f"phone {n}"))


def _counts(service: Service) -> tuple[int, int]:
    with service.engine.connect() as conn:
        marks = conn.execute(select(func.count()).select_from(checkpoints)).scalar_one()
        stamps = conn.execute(select(func.count()).select_from(checkpoint_timestamps)).scalar_one()
    return marks, stamps


def _wait_for_stamps(service: Service, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        marks, stamps = _counts(service)
        if marks and stamps == marks:
            return
        time.sleep(0.05)
    raise AssertionError(f"timestamps did not arrive: {_counts(service)}")


def _verify(db_url: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db_url, "log", "verify", *extra])
    return result.exit_code, result.output


def test_each_checkpoint_gets_a_timestamp_that_log_verify_checks(
    db_url: str, fake_outside_tsa: FakeOutsideTSA, clock: ManualClock, tmp_path: Path
) -> None:
    service = _timestamped(db_url, fake_outside_tsa, clock)
    try:
        _events(service, 4)
        _wait_for_stamps(service)
        with service.engine.connect() as conn:
            rows = conn.execute(
                select(checkpoints.c.size, checkpoints.c.note, checkpoint_timestamps.c.token)
                .join(checkpoint_timestamps, checkpoint_timestamps.c.size == checkpoints.c.size)
                .order_by(checkpoints.c.size)
            ).all()
    finally:
        service.stop()
    assert [r.size for r in rows] == [1, 2, 3, 4]
    chain = load_chain(fake_outside_tsa.ca_pem)
    for row in rows:
        body = signature_lines(row.note)[0]
        token = decode_timestamp_response(bytes(row.token))
        assert token.tst_info.message_imprint.message == hashlib.sha256(body.encode()).digest()
        assert abs(check_token(bytes(row.token), body, chain).timestamp() - time.time()) < 120

    code, output = _verify(db_url, "--tsa-cert", str(fake_outside_tsa.ca_pem))
    assert code == 0, output
    assert "4 RFC 3161 timestamps verify" in output

    # Without the authority's chain the tokens cannot be checked, and verify says so.
    code, output = _verify(db_url)
    assert code != 0 and "cannot be checked" in output
    # Another authority's chain does not vouch for these tokens.
    stranger = make_ca(tmp_path / "stranger", "Stranger")
    code, output = _verify(db_url, "--tsa-cert", str(stranger))
    assert code != 0 and "timestamp of checkpoint 1 does not verify" in output

    # A token moved to another checkpoint: its message imprint no longer matches.
    from hanano.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            token_of_1 = conn.execute(
                select(checkpoint_timestamps.c.token).where(checkpoint_timestamps.c.size == 1)
            ).scalar_one()
            conn.execute(
                update(checkpoint_timestamps)
                .where(checkpoint_timestamps.c.size == 3)
                .values(token=token_of_1)
            )
    finally:
        engine.dispose()
    code, output = _verify(db_url, "--tsa-cert", str(fake_outside_tsa.ca_pem))
    assert code != 0
    assert "timestamp of checkpoint 3 does not verify: Mismatch between messages" in output


def test_the_writer_never_waits_for_the_authority(
    db_url: str, fake_outside_tsa: FakeOutsideTSA, clock: ManualClock
) -> None:
    fake_outside_tsa.delay_s = 1.5
    service = _timestamped(db_url, fake_outside_tsa, clock)
    try:
        started = time.monotonic()
        _events(service, 3)
        assert time.monotonic() - started < 1.0
        assert _counts(service) == (3, 0)
        _wait_for_stamps(service)
    finally:
        service.stop()


def test_checkpoints_missed_while_the_authority_was_down_are_stamped_later(
    db_url: str,
    fake_outside_tsa: FakeOutsideTSA,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_outside_tsa.down = True
    service = _timestamped(db_url, fake_outside_tsa, clock)
    assert service.timestamper is not None
    service.timestamper.backoff_s = 0.01
    try:
        _events(service, 2)
        deadline = time.monotonic() + 20
        while len(service.timestamper.failed) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.timestamper.failed == [1, 2]
        with service.engine.connect() as conn:
            assert missing(conn) == [1, 2]
    finally:
        service.stop()
    with pytest.raises(TimestampError, match="503"):
        request_token(fake_outside_tsa.url, "hanano/aleppo\n0\nAAAA\n")

    fake_outside_tsa.down = False
    monkeypatch.setenv("HANANO_TSA_URL", fake_outside_tsa.url)
    result = CliRunner().invoke(main, ["--db", db_url, "log", "timestamp"])
    assert result.exit_code == 0, result.output
    assert "timestamped 2 of 2" in result.output
    code, output = _verify(db_url, "--tsa-cert", str(fake_outside_tsa.ca_pem))
    assert code == 0, output
    assert "2 RFC 3161 timestamps verify" in output
