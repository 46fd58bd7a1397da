"""The log as C2SP tlog-tiles, checked over HTTP by a client written from the spec alone."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import select, update

from hanano.access.tokens import create_token
from hanano.errors import Problem
from hanano.events import ROLES
from hanano.evidence.log import tree_size
from hanano.evidence.tables import merkle_nodes
from hanano.evidence.tiles import TileRef, encode_index, entry_bundle, parse_tile_path, tile_path
from hanano.service import Service
from hanano.store.sequencer import Tx
from hanano.warning.manual import ManualAlertIn, issue_manual
from tests.continuity.tlog_checker import CheckFailed, check_log
from tests.helpers_server import running_server

Fetch = Callable[[str], bytes]


def size_of(service: Service) -> int:
    with service.engine.connect() as conn:
        return tree_size(conn)


def grow_to(service: Service, size: int) -> None:
    """Append events in one group until the log holds `size` entries."""
    missing = size - size_of(service)

    def append(tx: Tx) -> None:
        for _ in range(missing):
            create_token(tx, "test", "public", None)

    service.execute(append)
    assert size_of(service) == size


def token_for(service: Service, role: str) -> str:
    return service.execute(lambda tx: create_token(tx, "test", role, f"{role} tiles")).secret


@pytest.fixture
def server(service: Service) -> Iterator[str]:
    with running_server(service) as url:
        yield url


def fetcher(base: str, token: str | None = None) -> Fetch:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch(path: str) -> bytes:
        response = httpx.get(f"{base}/tlog/{path}", headers=headers, timeout=10)
        if response.status_code != 200:
            raise CheckFailed(f"{path}: {response.status_code} {response.text[:200]}")
        return response.content

    return fetch


def tampered(fetch: Fetch, target: str, at: int) -> Fetch:
    """The same log, with one byte of one resource flipped on the way."""

    def fetch_flipped(path: str) -> bytes:
        body = fetch(path)
        if path != target:
            return body
        flipped = bytearray(body)
        flipped[at % len(flipped)] ^= 0x01
        return bytes(flipped)

    return fetch_flipped


def test_the_tiles_give_the_signed_root_at_every_size(service: Service, server: str) -> None:
    mirror = token_for(service, "mirror")
    verifier = service.evidence.key.verifier
    for size in (1, 255, 256, 257, 1000, 1283):
        if size > size_of(service):
            grow_to(service, size)
        checked = check_log(fetcher(server, mirror), verifier, with_entries=True)
        assert checked.size == size
        # The hash tiles alone are public: anyone can check the root without a token.
        assert check_log(fetcher(server), verifier, with_entries=False).size == size


def test_a_flipped_byte_in_a_tile_or_entry_is_caught(service: Service, server: str) -> None:
    mirror = token_for(service, "mirror")
    grow_to(service, 1000)
    verifier = service.evidence.key.verifier
    honest = fetcher(server, mirror)
    check_log(honest, verifier, with_entries=True)
    for target in ("tile/0/003.p/232", "tile/1/000.p/3", "tile/0/001", "tile/entries/002"):
        for at in (0, 31, 32 * 7 + 5, 4000):
            with pytest.raises(CheckFailed):
                check_log(tampered(honest, target, at), verifier, with_entries=True)
    with pytest.raises(CheckFailed):
        check_log(tampered(honest, "checkpoint", 30), verifier, with_entries=False)


def test_a_changed_stored_node_is_caught_by_the_checker(service: Service, server: str) -> None:
    grow_to(service, 300)
    verifier = service.evidence.key.verifier
    check_log(fetcher(server), verifier, with_entries=False)
    with service.engine.begin() as conn:
        stored = conn.execute(
            select(merkle_nodes.c.hash).where(merkle_nodes.c.level == 8, merkle_nodes.c.idx == 0)
        ).scalar_one()
        conn.execute(
            update(merkle_nodes)
            .where(merkle_nodes.c.level == 8, merkle_nodes.c.idx == 0)
            .values(hash=bytes([stored[0] ^ 1]) + stored[1:])
        )
    with pytest.raises(CheckFailed, match="root"):
        check_log(fetcher(server), verifier, with_entries=False)


def test_headers_paths_and_the_edge_of_the_tree(service: Service, server: str) -> None:
    grow_to(service, 600)
    full = httpx.get(f"{server}/tlog/tile/0/001")
    assert full.status_code == 200 and len(full.content) == 32 * 256
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    partial = httpx.get(f"{server}/tlog/tile/0/002.p/88")
    assert partial.status_code == 200 and len(partial.content) == 32 * 88
    assert "immutable" not in partial.headers["cache-control"]
    # A narrower partial tile is the tile of an earlier size; a wider one lies beyond the tree.
    assert httpx.get(f"{server}/tlog/tile/0/002.p/10").content == partial.content[: 32 * 10]
    for beyond in (
        "tile/0/002",
        "tile/0/002.p/89",
        "tile/0/003.p/1",
        "tile/1/000",
        "tile/2/000.p/1",
    ):
        response = httpx.get(f"{server}/tlog/{beyond}")
        assert response.status_code == 404, beyond
        assert "beyond the signed tree of 600" in response.text
    for malformed in (
        "tile/0/2",
        "tile/0/x000/002",
        "tile/01/002",
        "tile/0/002.p/0",
        "tile/0/002.p/256",
        "tile/64/000",
        "tile/0/002.p/",
        "tile/a/000",
    ):
        assert httpx.get(f"{server}/tlog/{malformed}").status_code == 404, malformed
    checkpoint = httpx.get(f"{server}/tlog/checkpoint")
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
    assert checkpoint.text.split("\n")[1] == "600"


def test_entry_bundles_go_to_a_mirror_token_alone(service: Service, server: str) -> None:
    tokens = {role: token_for(service, role) for role in ROLES}
    for role, token in tokens.items():
        response = httpx.get(
            f"{server}/tlog/tile/entries/000.p/1", headers={"Authorization": f"Bearer {token}"}
        )
        if role == "mirror":
            assert response.status_code == 200
            assert response.headers["cache-control"].startswith("private")
        else:
            assert response.status_code == 403, role
        hashes = httpx.get(
            f"{server}/tlog/tile/0/000.p/1", headers={"Authorization": f"Bearer {token}"}
        )
        assert hashes.status_code == 200, role
    assert httpx.get(f"{server}/tlog/tile/entries/000.p/1").status_code == 403


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_the_spec_path_encoding(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_tile_path("0", path) == TileRef(0, index, 256)
    assert tile_path(TileRef(None, index, 5)) == f"tile/entries/{path}.p/5"
    with pytest.raises(Problem):
        parse_tile_path("0", "x" + path)


@pytest.mark.parametrize("index", ["²²²", "١٢٣", "x٠٠١/000", "00𝟘"])
def test_an_index_in_digits_other_than_ascii_is_no_tile(index: str) -> None:
    # str.isdigit() holds for these; int() refuses some and reads others as another spelling
    # of an ASCII index, so each would be a 500 or a second URL for one tile.
    with pytest.raises(Problem) as refused:
        parse_tile_path("0", index)
    assert refused.value.status == 404
    assert "is not a tile index" in refused.value.detail


def test_an_alert_over_many_neighbourhoods_still_goes_to_the_mirror(
    aleppo: Service, aleppo_geojson_data: dict[str, Any]
) -> None:
    # One dispatcher's alert, or one spotter's sighting that the engine turns into one, is enough.
    pcodes = [feature["properties"]["PCODE"] for feature in aleppo_geojson_data["features"]]
    body = ManualAlertIn(zones=pcodes, level="warning", reason="jets heading for the east")
    aleppo.execute(lambda tx: issue_manual(tx, "test", body))
    size = size_of(aleppo)
    with aleppo.engine.connect() as conn:
        bundle = entry_bundle(conn, TileRef(0, 0, size))
    assert len(bundle) > 65_535
