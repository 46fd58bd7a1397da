"""The mirror's tile checks on a tree of three tile levels, built in memory from RFC 9162."""

from __future__ import annotations

import hashlib

import pytest

from hanano.evidence import merkle
from hanano.evidence.log import Checkpoint
from hanano.evidence.tile_verify import Refused, Tiles, bundle_entries, hash_tiles_between
from hanano.evidence.tiles import TileRef, tile_path

SIZE = 70_000  # past 256 * 256: hash tiles at levels 0, 1 and 2
TARGETS = ["tile/0/015", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]


def leaves(size: int, salt: bytes = b"") -> list[bytes]:
    return [merkle.leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


def levels(leaf_hashes: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree's hash, level by level (level 0: the leaves)."""
    found = [leaf_hashes]
    while len(found[-1]) > 1:
        below = found[-1]
        found.append(
            [merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        )
    return found


def served(tree: list[list[bytes]], old: int, new: int) -> list[tuple[TileRef, bytes]]:
    """The tiles a follower at `old` fetches for the tree of `new` leaves, as served."""
    out = []
    for ref in hash_tiles_between(old, new):
        level = tree[8 * (ref.level or 0)]
        start = ref.index * 256
        out.append((ref, b"".join(level[start : start + ref.width])))
    return out


@pytest.fixture(scope="module")
def tree() -> tuple[list[bytes], list[list[bytes]]]:
    hashes = leaves(SIZE)
    return hashes, levels(hashes)


@pytest.mark.parametrize("old", [0, 1, 255, 256, 65_535, 65_536, 65_537, 69_999])
def test_the_tiles_give_the_signed_root_and_the_root_of_the_size_stored(
    tree: tuple[list[bytes], list[list[bytes]]], old: int
) -> None:
    hashes, nodes = tree
    tiles = Tiles.of(served(nodes, old, SIZE))
    tiles.check(Checkpoint("test", SIZE, merkle.root_hash(hashes)))
    if old:
        assert tiles.root(old) == merkle.root_hash(hashes[:old])
    assert {ref.level for ref, _ in served(nodes, old, SIZE)} == {0, 1, 2}


@pytest.mark.parametrize("target", TARGETS)
def test_a_changed_hash_at_any_level_is_refused_naming_a_tile(
    tree: tuple[list[bytes], list[list[bytes]]], target: str
) -> None:
    hashes, nodes = tree
    fetched = served(nodes, 0, SIZE)
    paths = [tile_path(ref) for ref, _ in fetched]
    assert target in paths
    at = paths.index(target)
    ref, body = fetched[at]
    fetched[at] = (ref, body[:7] + bytes([body[7] ^ 1]) + body[8:])
    with pytest.raises(Refused) as refused:
        Tiles.of(fetched).check(Checkpoint("test", SIZE, merkle.root_hash(hashes)))
    assert target in str(refused.value)


def test_another_history_gives_another_root_at_the_stored_size(
    tree: tuple[list[bytes], list[list[bytes]]],
) -> None:
    hashes, _ = tree
    forked = leaves(300, b"other") + hashes[300:]
    tiles = Tiles.of(served(levels(forked), 65_600, SIZE))
    tiles.check(Checkpoint("test", SIZE, merkle.root_hash(forked)))  # self-consistent
    assert tiles.root(65_600) != merkle.root_hash(hashes[:65_600])


def test_a_bundle_must_split_into_its_entries_each_hashing_to_its_leaf() -> None:
    entries = [b"first", b"", b"third" * 100]
    body = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    ref = TileRef(None, 0, 3)
    hashes = [merkle.leaf_hash(e) for e in entries]
    assert bundle_entries(ref, body, hashes) == entries
    with pytest.raises(Refused, match="entry 2 does not hash"):
        bundle_entries(ref, body, [hashes[0], hashlib.sha256(b"x").digest(), hashes[2]])
    for broken in (body[:-1], body + b"\x00", body[:7]):
        with pytest.raises(Refused, match="does not split"):
            bundle_entries(ref, broken, hashes)
