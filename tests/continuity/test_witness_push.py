"""Witnesses pushed to (C2SP tlog-witness): the witness's answers, its record across restarts,
and the log pushing each new checkpoint and serving the cosignatures it collects."""

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2 as httpx
import pytest

from hanano.clock import ManualClock
from hanano.evidence import log, note
from hanano.evidence.cosign import generate_witness_key, signature_lines
from hanano.evidence.witness_push import PushError, WitnessPusher, _Target, cosigned_size
from hanano.evidence.witness_record import DatabaseRecord, FileRecord, Record
from hanano.evidence.witness_server import Witness, witness_app
from hanano.evidence.witnesses import add_witness
from hanano.service import Service
from hanano.settings import Settings
from tests.continuity.test_tiles import grow_to
from tests.continuity.witness_support import cosignature_verifies, serving, witness_process
from tests.helpers_server import free_port, running_server

SIZE_TYPE = "text/x.tlog.size"


@pytest.fixture
def quick(db_url: str, clock: ManualClock) -> Iterator[Service]:
    """A log that retries a failing witness within a fraction of a second."""
    settings = Settings(database_url=db_url, witness_backoff_s=0.05, witness_max_backoff_s=0.3)
    service = Service(settings, clock=clock).start()
    try:
        yield service
    finally:
        service.stop()


def signed_at(service: Service, size: int) -> str:
    with service.engine.connect() as conn:
        return log.checkpoint_at(conn, size)


def proof(service: Service, old: int, size: int) -> list[str]:
    with service.engine.connect() as conn:
        return [base64.b64encode(p).decode() for p in log.consistency(conn, old, size)]


def body(old: int, lines: list[str], signed: str) -> bytes:
    return (f"old {old}\n" + "".join(f"{line}\n" for line in lines) + "\n" + signed).encode()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_each_answer_of_the_witness(service: Service, tmp_path: Path) -> None:
    grow_to(service, 10)
    grow_to(service, 25)
    origin = "hanano/" + service.settings.city
    signer, witness_key = generate_witness_key("witness.example/w1")
    log_key = service.evidence.key.verifier
    witness = Witness(signer, {origin: log_key}, FileRecord(tmp_path / "w.json"))
    with serving(witness_app(witness), free_port()) as url:

        def push(raw: bytes) -> httpx.Response:
            return httpx.post(f"{url}/add-checkpoint", content=raw, timeout=10)

        ten, twenty_five = signed_at(service, 10), signed_at(service, 25)
        for malformed in (
            b"",
            b"hello\n\n" + ten.encode(),
            b"old 01\n\n" + ten.encode(),
            body(0, ["not base64!"], ten),
            body(11, [], ten),
            b"old 0\n\nnot a note",
        ):
            assert push(malformed).status_code == 400, malformed
        # A log the witness does not know, and a checkpoint not signed by the log's key.
        other_signer, _ = note.generate_key("other.example/log")
        stranger = note.sign("other.example/log\n3\n" + "A" * 43 + "=\n", other_signer)
        assert push(body(0, [], stranger)).status_code == 404
        impostor, _ = note.generate_key(origin)
        text, _ = signature_lines(ten)
        assert push(body(0, [], note.sign(text, impostor))).status_code == 403
        broken = ten[:-10] + ("A" if ten[-10] != "A" else "B") + ten[-9:]
        assert push(body(0, [], broken)).status_code == 403

        first = push(body(0, [], ten))
        assert first.status_code == 200, first.text
        assert cosignature_verifies(text, first.text, witness_key)
        again = push(body(0, [], twenty_five))
        assert (again.status_code, again.text) == (409, "10\n")
        assert again.headers["content-type"].startswith(SIZE_TYPE)
        good = proof(service, 10, 25)
        flipped = base64.b64encode(bytes(32)).decode()
        assert push(body(10, [flipped, *good[1:]], twenty_five)).status_code == 422
        assert push(body(10, good[:-1], twenty_five)).status_code == 422
        forged = note.sign(
            text.replace(text.split("\n")[2], "B" * 43 + "="), service.evidence.key.signer
        )
        assert push(body(10, [], forged)).status_code == 422
        assert json.loads((tmp_path / "w.json").read_text())[origin]["size"] == 10
        moved = push(body(10, good, twenty_five))
        assert moved.status_code == 200, moved.text
        assert cosignature_verifies(signature_lines(twenty_five)[0], moved.text, witness_key)
        assert json.loads((tmp_path / "w.json").read_text())[origin]["size"] == 25


def test_the_witness_process_keeps_its_size_across_a_kill(service: Service, tmp_path: Path) -> None:
    grow_to(service, 7)
    signer, _ = generate_witness_key("witness.example/w2")
    state, port = tmp_path / "state.json", free_port()
    log_key = service.evidence.key.verifier
    with witness_process(signer, log_key, state, port, tmp_path / "w.log"):
        answer = httpx.post(
            f"http://127.0.0.1:{port}/add-checkpoint", content=body(0, [], signed_at(service, 7))
        )
        assert answer.status_code == 200, answer.text
    # Killed (SIGKILL); a new process answers from the record the first one left.
    with witness_process(signer, log_key, state, port, tmp_path / "w.log"):
        answer = httpx.post(
            f"http://127.0.0.1:{port}/add-checkpoint", content=body(0, [], signed_at(service, 7))
        )
        assert (answer.status_code, answer.text) == (409, "7\n")
    assert not list(tmp_path.glob("state.json.tmp"))


def served_cosignature(server: str, witness_key: str) -> tuple[int, bool]:
    """The size of /tlog/checkpoint and whether the witness's cosignature of it verifies."""
    text = httpx.get(f"{server}/tlog/checkpoint").text
    checkpoint_body, lines = signature_lines(text)
    name = witness_key.split("+", 1)[0]
    ours = [line for line in lines if line.startswith(f"\u2014 {name} ")]
    size = int(checkpoint_body.split("\n")[1])
    return size, any(cosignature_verifies(checkpoint_body, line, witness_key) for line in ours)


def test_the_log_pushes_each_checkpoint_and_serves_the_cosignatures(
    quick: Service, tmp_path: Path
) -> None:
    signer, witness_key = generate_witness_key("witness.example/w3")
    origin = "hanano/" + quick.settings.city
    witness = Witness(
        signer, {origin: quick.evidence.key.verifier}, FileRecord(tmp_path / "w.json")
    )
    port = free_port()
    with running_server(quick) as server:
        # Registered while the witness is still down: the log retries until it answers.
        quick.execute(
            lambda tx: add_witness(tx, "test", "w3", witness_key, f"http://127.0.0.1:{port}/")
        )
        grow_to(quick, 40)
        time.sleep(0.4)
        assert served_cosignature(server, witness_key) == (40, False)
        with serving(witness_app(witness), port):
            wait_for(lambda: served_cosignature(server, witness_key) == (40, True), "a cosignature")
            # Later checkpoints are pushed with a consistency proof from the size cosigned.
            for size in (41, 300, 301):
                grow_to(quick, size)
                wait_for(
                    lambda s=size: served_cosignature(server, witness_key) == (s, True), f"{size}"
                )
        assert json.loads((tmp_path / "w.json").read_text())[origin]["size"] == 301


@pytest.mark.parametrize("kept_in", ["file", "database"])
def test_concurrent_pushes_of_one_size_are_cosigned_once(
    service: Service, tmp_path: Path, db_url: str, kept_in: str
) -> None:
    """Eight pushes at once from size 0: one is cosigned, the others learn its size; a new
    witness over the same record knows it too."""
    grow_to(service, 12)
    signer, _ = generate_witness_key("witness.example/w4")
    origin = "hanano/" + service.settings.city

    records: list[Record] = []

    def witness() -> Witness:
        # The witness's own store: a SQLite file, or on PostgreSQL the test's schema.
        own = f"sqlite:///{tmp_path / 'witness.db'}" if db_url.startswith("sqlite") else db_url
        records.append(
            FileRecord(tmp_path / "w.json") if kept_in == "file" else DatabaseRecord(own)
        )
        return Witness(signer, {origin: service.evidence.key.verifier}, records[-1])

    raw = body(0, [], signed_at(service, 12))
    with serving(witness_app(witness()), free_port()) as url, ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(f"{url}/add-checkpoint", content=raw, timeout=10), range(8)
            )
        )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert {a.text for a in answers if a.status_code == 409} == {"12\n"}
    again = witness().add_checkpoint(raw)
    for record in records:
        record.close()
    assert (again.status, again.body) == (409, "12\n")


def _stranger_witness(tmp_path: Path) -> tuple[Witness, str]:
    """A witness of one log, and a checkpoint of size 3 that log signed."""
    signer, _ = generate_witness_key("witness.example/w4")
    log_signer, log_key = note.generate_key("example.org/log")
    signed = note.sign("example.org/log\n3\n" + "A" * 43 + "=\n", log_signer)
    return Witness(signer, {"example.org/log": log_key}, FileRecord(tmp_path / "w.json")), signed


def test_an_old_size_of_thousands_of_digits_is_400(tmp_path: Path) -> None:
    # Past the digits int() reads: it was a 500.
    witness, signed = _stranger_witness(tmp_path)
    answer = witness.add_checkpoint(b"old " + b"9" * 5000 + b"\n\n" + signed.encode())
    assert answer.status == 400
    assert "old size" in answer.body
    assert not (tmp_path / "w.json").exists()


def test_a_body_past_the_limit_is_refused_before_it_is_all_read(tmp_path: Path) -> None:
    witness, _ = _stranger_witness(tmp_path)
    app = witness_app(witness)
    chunk = b"x" * (1 << 20)
    asked = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal asked
        asked += 1
        # A gigabyte, sent without a length: the witness must stop long before its end.
        return {"type": "http.request", "body": chunk, "more_body": asked < 1024}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/add-checkpoint",
        "headers": [],
        "query_string": b"",
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert asked <= 2
    assert not (tmp_path / "w.json").exists()


class _EndlessWitness:
    """A witness gone bad (FakeHostileWitness): it answers every push with 200 and a body that
    does not end, counting what it managed to send."""

    def __init__(self) -> None:
        self.sent = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                chunk = b"A" * (1 << 16)
                try:
                    while fake.sent < 256 << 20:
                        self.wfile.write(chunk)
                        fake.sent += len(chunk)
                except OSError:
                    return

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_a_witness_s_endless_answer_is_cut_off_not_read_into_memory(service: Service) -> None:
    grow_to(service, 5)
    hostile = _EndlessWitness()
    thread = threading.Thread(target=hostile.server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(PushError, match="larger than"):
            WitnessPusher(service).push("hostile", hostile.url, _Target())
    finally:
        hostile.server.shutdown()
        hostile.server.server_close()
    assert hostile.sent < 16 << 20
    with service.engine.connect() as conn:
        assert cosigned_size(conn, "hostile") == 0


class _LyingSizeWitness:
    """A witness gone bad (FakeHostileWitness): every push is answered 409 with `size`."""

    def __init__(self, size: bytes) -> None:
        self.pushes = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                fake.pushes += 1
                self.send_response(409)
                self.send_header("Content-Type", "text/x.tlog.size")
                self.send_header("Content-Length", str(len(size)))
                self.end_headers()
                self.wfile.write(size)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.mark.parametrize("size", [b"-5\n", b"+3\n", b"\xd9\xa3\n", b"9" * 400 + b"\n", b"\n"])
def test_a_409_whose_size_is_no_tree_size_is_refused_by_name(service: Service, size: bytes) -> None:
    grow_to(service, 5)
    hostile = _LyingSizeWitness(size)
    thread = threading.Thread(target=hostile.server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(PushError, match="not a tree size"):
            WitnessPusher(service).push("liar", hostile.url, _Target())
    finally:
        hostile.server.shutdown()
        hostile.server.server_close()
    assert hostile.pushes == 1
    with service.engine.connect() as conn:
        assert cosigned_size(conn, "liar") == 0
