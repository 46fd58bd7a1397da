"""`hanano field` and `hanano sms` from the command line."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from hanano.cli import main
from hanano.field import collect_qr
from tests.helpers import HANANO, offset

Run = Callable[..., str]


def _runner(db_url: str) -> Run:
    runner = CliRunner()

    def run(*args: str, ok: bool = True, stdin: str | None = None) -> str:
        result = runner.invoke(main, ["--db", db_url, *args], input=stdin)
        assert (result.exit_code == 0) == ok, (args, result.output)
        return result.output

    return run


def test_forms_are_listed_with_their_hashes_and_roles(db_url: str) -> None:
    run = _runner(db_url)
    run("init")
    listed = run("field", "forms")
    rows = [line.split("\t") for line in listed.splitlines()]
    assert [r[0] for r in rows] == ["hanano_report", "hanano_sighting", "hanano_team_status"]
    assert all(r[2].startswith("md5:") and len(r[2]) == 36 for r in rows)
    assert rows[2][3] == "team_leader"


def test_the_qr_code_points_collect_at_the_phone_s_address(db_url: str, tmp_path: Path) -> None:
    run = _runner(db_url)
    out = tmp_path / "phone.svg"
    token = "hn_" + "a" * 43
    said = run("field", "qr", "https://hanano.example/", "--out", str(out), stdin=token + "\n")
    assert "phone.svg" in said and token not in said
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()
    config = collect_qr.settings("https://hanano.example/", token, "hanano")
    decoded = json.loads(zlib.decompress(base64.b64decode(collect_qr.payload(config))))
    assert decoded["general"]["server_url"] == f"https://hanano.example/openrosa/key/{token}"
    assert decoded["admin"] == {"change_server": False}
    assert "http(s) address" in run(
        "field", "qr", "hanano.example", "--out", str(out), stdin=token + "\n", ok=False
    )
    assert "standard input" in run("field", "qr", "https://h.example", "--out", str(out), ok=False)


def test_the_qr_code_is_written_readable_by_its_owner_alone(db_url: str, tmp_path: Path) -> None:
    # The code holds the token: a file others on the machine may read hands it to them.
    run = _runner(db_url)
    token = "hn_" + "b" * 43
    for name in ("phone.svg", "phone.png"):
        out = tmp_path / name
        out.write_bytes(b"")
        out.chmod(0o644)  # a file already there keeps no wider mode either
        run("field", "qr", "https://hanano.example", "--out", str(out), stdin=token + "\n")
        assert out.stat().st_mode & 0o777 == 0o600, name
        assert out.stat().st_size > 0


def test_sms_gateways_and_phones_are_set_up_and_refused_by_name(db_url: str) -> None:
    run = _runner(db_url)
    run("init", "--aleppo")
    here = offset(*HANANO, north_m=200)
    run(
        *("teams", "add", "--name", "Hanano-1", "--base-name", "Hanano centre"),
        *("--base-lat", str(here[0]), "--base-lon", str(here[1]), "--sector", "A"),
        *("--crew", "6", "--capability", "light_rescue"),
    )
    key = "gateway-signing-key-123"
    assert "gateway roof-1 added" in run(
        "sms", "add-gateway", "roof-1", "--signing-key", key,
        "--send-url", "http://192.0.2.10:8080/message", "--username", "sms", "--password", "pw",
    )  # fmt: skip
    assert "exists" in run("sms", "add-gateway", "roof-1", "--signing-key", key, ok=False)
    short = run("sms", "add-gateway", "roof-2", "--signing-key", "short", ok=False)
    assert short.count("at least 16") == 1, short  # said once, not once more from its field
    assert "go with --send-url" in run(
        "sms", "add-gateway", "roof-3", "--signing-key", key, "--username", "u", ok=False
    )
    out = run("sms", "add-phone", "+963 933 000 222", "--role", "team_leader", "--team", "T-1")
    assert "P-1 added as team_leader" in out
    # The same number however it is written.
    assert "registered already" in run(
        "sms", "add-phone", "00963933000222", "--role", "spotter", ok=False
    )
    assert "does not exist" in run(
        "sms", "add-phone", "+963933000333", "--role", "team_leader", "--team", "T-9", ok=False
    )
    assert "phone number" in run("sms", "add-phone", "call me", "--role", "reporter", ok=False)
