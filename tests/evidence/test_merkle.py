"""Tests for hanano.evidence.merkle (RFC 9162 §2.1)."""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanano.evidence.merkle import (
    EMPTY_ROOT,
    MAX_TREE_SIZE,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from hanano.evidence.merkle_store import (
    MemorySubtreeStore,
    append_nodes,
    consistency_proof_from_nodes,
    inclusion_proof_from_nodes,
    root_from_nodes,
)

# ---------------------------------------------------------------------------
# Published test vectors.
#
# Source: github.com/transparency-dev/merkle, testonly/constants.go
# (LeafInputs, NodeHashes, RootHashes) and proof/verify_test.go
# (inclusionProofs, consistencyProofs) — the Certificate Transparency /
# transparency-dev RFC 6962 vectors, whose hashing RFC 9162 keeps unchanged.

VECTOR_LEAF_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]

# Root hash of the tree of the first n leaves, indexed by n (0..8).
VECTOR_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# Hashes of every complete subtree of the 8-leaf tree: VECTOR_NODES[level][index].
VECTOR_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# (leaf index, tree size, proof). The source lists 1-based leaf numbers;
# these are converted to 0-based indexes.
VECTOR_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]

# (size1, size2, proof).
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def h(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest)


VECTOR_LEAVES = [leaf_hash(data) for data in VECTOR_LEAF_INPUTS]

# ---------------------------------------------------------------------------
# Helpers

EXHAUSTIVE_MAX = 70
BIG_TREE = 4096


def make_leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@functools.cache
def big_tree() -> tuple[list[bytes], MemorySubtreeStore]:
    """Leaves and a filled store, shared read-only by the tests that need a large tree."""
    leaves = make_leaves(BIG_TREE)
    store = MemorySubtreeStore()
    for leaf in leaves:
        store.append(leaf)
    return leaves, store


class CountingGetter:
    """Wraps a store's getter, counting reads and checking they stay inside a tree size."""

    def __init__(self, store: MemorySubtreeStore, limit: int | None = None) -> None:
        self.store = store
        self.limit = limit
        self.calls = 0

    def __call__(self, level: int, index: int) -> bytes:
        self.calls += 1
        if self.limit is not None:
            # A node past the requested tree size may not exist yet (or, for a
            # past size, covers leaves the old tree did not have).
            assert (index + 1) << level <= self.limit, (level, index, self.limit)
        return self.store.get(level, index)


def flipped(proof: Sequence[bytes], i: int, bit: int = 0) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ (1 << bit)]) + out[i][1:]
    return out


def inclusion_tamperings(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> Iterator[tuple[str, tuple[object, object, object, object, object]]]:
    other = hashlib.sha256(b"other").digest()
    yield "index - 1", (leaf, index - 1, size, proof, root)
    yield "index + 1", (leaf, index + 1, size, proof, root)
    yield "index ^ 2", (leaf, index ^ 2, size, proof, root)
    yield "size * 2", (leaf, index, size * 2, proof, root)
    yield "size / 2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf", (other, index, size, proof, root)
    yield "wrong root", (leaf, index, size, proof, other)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "extended", (leaf, index, size, [*proof, other], root)
    yield "extended by root", (leaf, index, size, [*proof, root], root)
    yield "prefixed", (leaf, index, size, [other, *proof], root)
    if proof:
        yield "truncated", (leaf, index, size, proof[:-1], root)
        yield "first dropped", (leaf, index, size, proof[1:], root)
    for i in range(len(proof)):
        yield f"flip proof[{i}]", (leaf, index, size, flipped(proof, i, 3), root)
    yield "flip leaf", (flipped([leaf], 0)[0], index, size, proof, root)
    yield "flip root", (leaf, index, size, proof, flipped([root], 0, 7)[0])


def consistency_tamperings(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> Iterator[tuple[str, tuple[object, object, object, object, object]]]:
    other = hashlib.sha256(b"other").digest()
    yield "size1 - 1", (size1 - 1, size2, proof, root1, root2)
    yield "size1 + 1", (size1 + 1, size2, proof, root1, root2)
    yield "size1 ^ 2", (size1 ^ 2, size2, proof, root1, root2)
    yield "size2 * 2", (size1, size2 * 2, proof, root1, root2)
    yield "size2 / 2", (size1, size2 // 2, proof, root1, root2)
    yield "wrong root1", (size1, size2, proof, other, root2)
    yield "wrong root2", (size1, size2, proof, root1, other)
    yield "swapped roots", (size1, size2, proof, root2, root1)
    yield "empty proof", (size1, size2, [], root1, root2)
    yield "extended", (size1, size2, [*proof, other], root1, root2)
    yield "extended by root1", (size1, size2, [*proof, root1], root1, root2)
    yield "extended by root2", (size1, size2, [*proof, root2], root1, root2)
    yield "prefixed by root1", (size1, size2, [root1, *proof], root1, root2)
    yield "prefixed by root2", (size1, size2, [root2, *proof], root1, root2)
    yield "truncated", (size1, size2, proof[:-1], root1, root2)
    yield "first dropped", (size1, size2, proof[1:], root1, root2)
    for i in range(len(proof)):
        yield f"flip proof[{i}]", (size1, size2, flipped(proof, i, 4), root1, root2)


def check_inclusion_case(leaves: list[bytes], store: MemorySubtreeStore, i: int, n: int) -> None:
    root = root_hash(leaves[:n])
    proof = inclusion_proof(i, leaves[:n])
    getter = CountingGetter(store, limit=n)
    assert inclusion_proof_from_nodes(i, n, getter) == proof
    assert verify_inclusion(leaves[i], i, n, proof, root)
    assert verify_inclusion(leaves[i], i, n, tuple(proof), root)
    for desc, args in inclusion_tamperings(leaves[i], i, n, proof, root):
        assert verify_inclusion(*args) is False, (desc, i, n)  # type: ignore[arg-type]


def check_consistency_case(leaves: list[bytes], store: MemorySubtreeStore, m: int, n: int) -> None:
    root1, root2 = root_hash(leaves[:m]), root_hash(leaves[:n])
    proof = consistency_proof(m, leaves[:n])
    getter = CountingGetter(store, limit=n)
    assert consistency_proof_from_nodes(m, n, getter) == proof
    assert verify_consistency(m, n, proof, root1, root2)
    if m == n:
        assert proof == []
        return
    for desc, args in consistency_tamperings(m, n, proof, root1, root2):
        assert verify_consistency(*args) is False, (desc, m, n)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Known vectors


def test_hash_primitives() -> None:
    assert leaf_hash(b"") == h(VECTOR_NODES[0][0])
    assert node_hash(h(VECTOR_NODES[0][0]), h(VECTOR_NODES[0][1])) == h(VECTOR_NODES[1][0])
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("bad", [5, None, "text"])
def test_leaf_hash_requires_bytes(bad: object) -> None:
    with pytest.raises(TypeError):
        leaf_hash(bad)  # type: ignore[arg-type]


def test_vector_leaf_hashes() -> None:
    assert [leaf.hex() for leaf in VECTOR_LEAVES] == VECTOR_NODES[0]


@pytest.mark.parametrize("size", range(len(VECTOR_ROOTS)))
def test_vector_roots(size: int) -> None:
    assert root_hash(VECTOR_LEAVES[:size]).hex() == VECTOR_ROOTS[size]
    store = MemorySubtreeStore()
    for leaf in VECTOR_LEAVES:
        store.append(leaf)
    assert root_from_nodes(size, store.get).hex() == VECTOR_ROOTS[size]


def test_vector_subtree_nodes_from_append() -> None:
    stored: dict[tuple[int, int], bytes] = {}
    for i, leaf in enumerate(VECTOR_LEAVES):
        for level, index, node in append_nodes(i, leaf, lambda lv, ix: stored[(lv, ix)]):
            assert (level, index) not in stored
            stored[(level, index)] = node
    expected = {
        (level, index): h(node)
        for level, row in enumerate(VECTOR_NODES)
        for index, node in enumerate(row)
    }
    assert stored == expected


@pytest.mark.parametrize(("index", "size", "proof_hex"), VECTOR_INCLUSION)
def test_vector_inclusion(index: int, size: int, proof_hex: list[str]) -> None:
    proof = [h(x) for x in proof_hex]
    leaves = VECTOR_LEAVES[:size]
    root = h(VECTOR_ROOTS[size])
    assert inclusion_proof(index, leaves) == proof
    store = MemorySubtreeStore()
    for leaf in VECTOR_LEAVES:
        store.append(leaf)
    assert inclusion_proof_from_nodes(index, size, store.get) == proof
    assert verify_inclusion(leaves[index], index, size, proof, root)
    for desc, args in inclusion_tamperings(leaves[index], index, size, proof, root):
        assert verify_inclusion(*args) is False, desc  # type: ignore[arg-type]


@pytest.mark.parametrize(("size1", "size2", "proof_hex"), VECTOR_CONSISTENCY)
def test_vector_consistency(size1: int, size2: int, proof_hex: list[str]) -> None:
    proof = [h(x) for x in proof_hex]
    root1, root2 = h(VECTOR_ROOTS[size1]), h(VECTOR_ROOTS[size2])
    assert consistency_proof(size1, VECTOR_LEAVES[:size2]) == proof
    store = MemorySubtreeStore()
    for leaf in VECTOR_LEAVES:
        store.append(leaf)
    assert consistency_proof_from_nodes(size1, size2, store.get) == proof
    assert verify_consistency(size1, size2, proof, root1, root2)
    if size1 != size2:
        for desc, args in consistency_tamperings(size1, size2, proof, root1, root2):
            assert verify_consistency(*args) is False, desc  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Exhaustive agreement and tampering, sizes 0..70


@functools.cache
def small_tree() -> tuple[list[bytes], MemorySubtreeStore]:
    leaves = make_leaves(EXHAUSTIVE_MAX)
    store = MemorySubtreeStore()
    for leaf in leaves:
        store.append(leaf)
    return leaves, store


@pytest.mark.parametrize("n", range(EXHAUSTIVE_MAX + 1))
def test_exhaustive_roots_and_proofs(n: int) -> None:
    leaves, store = small_tree()
    getter = CountingGetter(store, limit=n)
    assert root_from_nodes(n, getter) == root_hash(leaves[:n])
    for i in range(n):
        check_inclusion_case(leaves, store, i, n)
    for m in range(1, n + 1):
        check_consistency_case(leaves, store, m, n)
    # Proofs from the empty tree are neither produced nor accepted.
    assert not verify_consistency(0, n, [], EMPTY_ROOT, root_hash(leaves[:n]))


def test_exhaustive_consistency_proof_is_not_accepted_for_other_pairs() -> None:
    # A proof made for one (size1, size2) pair must not pass for any other.
    leaves, _ = small_tree()
    n_max = 24
    roots = [root_hash(leaves[:n]) for n in range(n_max + 1)]
    proofs = {
        (m, n): consistency_proof(m, leaves[:n])
        for n in range(1, n_max + 1)
        for m in range(1, n + 1)
    }
    for (m, n), proof in proofs.items():
        for m2 in range(1, n_max + 1):
            for n2 in range(m2, n_max + 1):
                expected = (m2, n2) == (m, n) or (m2 == n2 and not proof)
                assert verify_consistency(m2, n2, proof, roots[m2], roots[n2]) is expected


# ---------------------------------------------------------------------------
# Edge cases and malformed input

SOME_HASH = hashlib.sha256(b"some").digest()
BAD_HASHES: list[object] = [
    None,
    "",
    SOME_HASH.hex(),
    SOME_HASH[:31],
    SOME_HASH + b"\x00",
    b"",
    bytearray(SOME_HASH),
    memoryview(SOME_HASH),
    32,
]
BAD_INTS: list[object] = [None, -1, 1.0, "1", True, False, 2**64, [1]]


def test_inclusion_sizes_zero_and_one() -> None:
    leaf = leaf_hash(b"data")
    # Size 1: the root is the leaf hash and the proof is empty.
    assert root_hash([leaf]) == leaf
    assert inclusion_proof(0, [leaf]) == []
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [leaf], leaf)
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    # Size 0 contains nothing.
    for index in (0, 1):
        assert not verify_inclusion(leaf, index, 0, [], leaf)
        assert not verify_inclusion(leaf, index, 0, [], EMPTY_ROOT)
        assert not verify_inclusion(SOME_HASH, index, 0, [], EMPTY_ROOT)


def test_inclusion_last_index() -> None:
    leaves = make_leaves(13)
    root = root_hash(leaves)
    proof = inclusion_proof(12, leaves)
    assert verify_inclusion(leaves[12], 12, 13, proof, root)
    assert not verify_inclusion(leaves[12], 13, 13, proof, root)
    assert not verify_inclusion(leaves[12], 12, 14, proof, root)


@pytest.mark.parametrize("bad", BAD_HASHES)
def test_inclusion_rejects_malformed_hashes(bad: object) -> None:
    leaves = make_leaves(5)
    root = root_hash(leaves)
    proof = inclusion_proof(3, leaves)
    assert verify_inclusion(leaves[3], 3, 5, proof, root)
    assert verify_inclusion(bad, 3, 5, proof, root) is False  # type: ignore[arg-type]
    assert verify_inclusion(leaves[3], 3, 5, proof, bad) is False  # type: ignore[arg-type]
    for i in range(len(proof)):
        broken: list[object] = list(proof)
        broken[i] = bad
        assert verify_inclusion(leaves[3], 3, 5, broken, root) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BAD_INTS)
def test_inclusion_rejects_malformed_index_and_size(bad: object) -> None:
    leaves = make_leaves(2)
    root = root_hash(leaves)
    proof = inclusion_proof(1, leaves)
    assert verify_inclusion(leaves[1], bad, 2, proof, root) is False  # type: ignore[arg-type]
    assert verify_inclusion(leaves[1], 1, bad, proof, root) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad_proof",
    [None, "", "abc", b"", SOME_HASH, 7, {SOME_HASH}, iter([SOME_HASH]), [None], [SOME_HASH] * 200],
)
def test_verifiers_reject_malformed_proof_containers(bad_proof: object) -> None:
    leaf = leaf_hash(b"x")
    assert verify_inclusion(leaf, 0, 2, bad_proof, SOME_HASH) is False  # type: ignore[arg-type]
    assert verify_consistency(1, 2, bad_proof, leaf, SOME_HASH) is False  # type: ignore[arg-type]


def test_verifiers_survive_a_hostile_sequence() -> None:
    class Exploding(Sequence[bytes]):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: Any) -> Any:
            raise RuntimeError("boom")

    class LyingLength(Sequence[bytes]):
        def __len__(self) -> int:
            raise OverflowError("too big")

        def __getitem__(self, i: Any) -> Any:
            return SOME_HASH

    for proof in (Exploding(), LyingLength()):
        assert verify_inclusion(SOME_HASH, 0, 2, proof, SOME_HASH) is False
        assert verify_consistency(1, 2, proof, SOME_HASH, SOME_HASH) is False


def test_consistency_conventions() -> None:
    leaves = make_leaves(9)
    roots = [root_hash(leaves[:n]) for n in range(10)]
    # size1 = size2: only the empty proof with equal roots.
    for n in range(1, 10):
        assert verify_consistency(n, n, [], roots[n], roots[n])
        assert verify_consistency(n, n, (), roots[n], roots[n])
        assert not verify_consistency(n, n, [], roots[n], roots[n - 1])
        assert not verify_consistency(n, n, [roots[n]], roots[n], roots[n])
        assert not verify_consistency(n, n, [SOME_HASH], roots[n], roots[n])
    # size1 = 0 is rejected whatever the proof and roots.
    for n in range(10):
        assert not verify_consistency(0, n, [], EMPTY_ROOT, roots[n])
        assert not verify_consistency(0, n, [], roots[n], roots[n])
        assert not verify_consistency(0, n, [roots[n]], EMPTY_ROOT, roots[n])
    assert not verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    # size1 > size2: time travel.
    proof = consistency_proof(3, leaves[:7])
    assert not verify_consistency(7, 3, proof, roots[7], roots[3])
    assert not verify_consistency(2, 1, [], roots[2], roots[1])
    assert not verify_consistency(1, 0, [], roots[1], EMPTY_ROOT)
    # A non-empty consistency needs a non-empty proof.
    assert not verify_consistency(1, 2, [], roots[1], roots[2])


@pytest.mark.parametrize("bad", BAD_HASHES)
def test_consistency_rejects_malformed_hashes(bad: object) -> None:
    leaves = make_leaves(7)
    root1, root2 = root_hash(leaves[:3]), root_hash(leaves)
    proof = consistency_proof(3, leaves)
    assert verify_consistency(3, 7, proof, root1, root2)
    assert verify_consistency(3, 7, proof, bad, root2) is False  # type: ignore[arg-type]
    assert verify_consistency(3, 7, proof, root1, bad) is False  # type: ignore[arg-type]
    assert verify_consistency(3, 3, [], bad, bad) is False  # type: ignore[arg-type]
    for i in range(len(proof)):
        broken: list[object] = list(proof)
        broken[i] = bad
        assert verify_consistency(3, 7, broken, root1, root2) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BAD_INTS)
def test_consistency_rejects_malformed_sizes(bad: object) -> None:
    leaves = make_leaves(4)
    root1, root2 = root_hash(leaves[:2]), root_hash(leaves)
    proof = consistency_proof(2, leaves)
    assert verify_consistency(bad, 4, proof, root1, root2) is False  # type: ignore[arg-type]
    assert verify_consistency(2, bad, proof, root1, root2) is False  # type: ignore[arg-type]


def test_huge_sizes_do_not_raise() -> None:
    assert not verify_inclusion(SOME_HASH, MAX_TREE_SIZE - 1, MAX_TREE_SIZE, [SOME_HASH], SOME_HASH)
    assert not verify_consistency(1, MAX_TREE_SIZE, [SOME_HASH] * 64, SOME_HASH, SOME_HASH)
    assert not verify_inclusion(SOME_HASH, 0, 2**200, [SOME_HASH], SOME_HASH)


def test_reference_functions_reject_bad_arguments() -> None:
    leaves = make_leaves(4)
    for index in (-1, 4, 5):
        with pytest.raises(ValueError, match="outside"):
            inclusion_proof(index, leaves)
    with pytest.raises(TypeError):
        inclusion_proof(True, leaves)
    for size1 in (0, -1, 5):
        with pytest.raises(ValueError, match="size1"):
            consistency_proof(size1, leaves)
    with pytest.raises(ValueError, match="32-byte"):
        root_hash([*leaves, b"short"])
    with pytest.raises(ValueError, match="32-byte"):
        node_hash(leaves[0], leaves[1].hex().encode())
    with pytest.raises(ValueError):
        inclusion_proof(0, [])


def test_node_functions_reject_bad_arguments() -> None:
    leaves = make_leaves(4)
    store = MemorySubtreeStore()
    for leaf in leaves:
        store.append(leaf)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof_from_nodes(4, 4, store.get)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof_from_nodes(0, 0, store.get)
    with pytest.raises(ValueError, match="size1"):
        consistency_proof_from_nodes(0, 4, store.get)
    with pytest.raises(ValueError, match="size1"):
        consistency_proof_from_nodes(3, 2, store.get)
    with pytest.raises(ValueError):
        root_from_nodes(-1, store.get)
    with pytest.raises(TypeError):
        root_from_nodes(2.0, store.get)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="leaf"):
        append_nodes(4, b"short", store.get)
    with pytest.raises(ValueError):
        append_nodes(-1, leaves[0], store.get)
    assert root_from_nodes(0, store.get) == EMPTY_ROOT


def test_corrupt_store_is_detected() -> None:
    store = MemorySubtreeStore()
    for leaf in make_leaves(3):
        store.append(leaf)
    store.put(1, 0, b"not a hash")
    with pytest.raises(ValueError, match="stored node"):
        root_from_nodes(3, store.get)
    with pytest.raises(KeyError):
        root_from_nodes(4, store.get)


def test_append_nodes_completes_parents() -> None:
    store = MemorySubtreeStore()
    leaves = make_leaves(8)
    for leaf in leaves[:7]:
        store.append(leaf)
    new = append_nodes(7, leaves[7], store.get)
    assert [(level, index) for level, index, _ in new] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert new[-1][2] == root_hash(leaves)
    assert [(lv, ix) for lv, ix, _ in append_nodes(8, leaves[0], store.get)] == [(0, 8)]


# ---------------------------------------------------------------------------
# Larger random trees (hypothesis)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(min_value=EXHAUSTIVE_MAX + 1, max_value=BIG_TREE))
def test_random_large_trees_agree_with_reference(data: st.DataObject, n: int) -> None:
    leaves, store = big_tree()
    prefix = leaves[:n]
    assert root_from_nodes(n, CountingGetter(store, limit=n)) == root_hash(prefix)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    check_inclusion_case(leaves, store, i, n)
    m = data.draw(st.integers(min_value=1, max_value=n), label="size1")
    check_consistency_case(leaves, store, m, n)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=BIG_TREE),
    data=st.data(),
)
def test_random_proofs_do_not_verify_against_other_trees(n: int, data: st.DataObject) -> None:
    leaves, store = big_tree()
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    n2 = data.draw(st.integers(min_value=1, max_value=BIG_TREE).filter(lambda x: x != n))
    proof = inclusion_proof_from_nodes(i, n, store.get)
    root = root_from_nodes(n, store.get)
    assert verify_inclusion(leaves[i], i, n, proof, root)
    # Against another tree head (size and root of a different tree) it fails.
    # Only the pair is checked: a proof does not bind the size on its own, as
    # trees of different sizes can share a path shape, and the signed tree
    # head is what ties a size to its root.
    root2 = root_from_nodes(n2, store.get)
    assert not verify_inclusion(leaves[i], i, n2, proof, root2)
    assert not verify_inclusion(leaves[i], i, n, proof, root2)


# ---------------------------------------------------------------------------
# Getter-call counts: every storage-backed operation is O(log n) reads.


def bound(n: int) -> int:
    return 2 * max(1, math.ceil(math.log2(n)))


def count_calls(fn: Callable[..., object], *args: object, store: MemorySubtreeStore) -> int:
    getter = CountingGetter(store)
    fn(*args, getter)
    return getter.calls


def test_append_reads_at_most_log_n_nodes() -> None:
    store = MemorySubtreeStore()
    for i, leaf in enumerate(make_leaves(BIG_TREE)):
        getter = CountingGetter(store)
        nodes = append_nodes(i, leaf, getter)
        # One read per completed parent: the number of trailing one bits.
        trailing_ones = (~i & (i + 1)).bit_length() - 1
        assert getter.calls == trailing_ones == len(nodes) - 1
        assert getter.calls <= max(1, math.ceil(math.log2(i + 1)))
        for level, index, node in nodes:
            store.put(level, index, node)
        store.size += 1


def test_getter_calls_are_logarithmic_for_every_size() -> None:
    _, store = big_tree()
    rng = random.Random(20260101)
    worst = {"root": 0, "inclusion": 0, "consistency": 0}
    for n in range(1, BIG_TREE + 1):
        calls = count_calls(root_from_nodes, n, store=store)
        assert calls == n.bit_count() <= math.floor(math.log2(n)) + 1
        worst["root"] = max(worst["root"], calls)
        for i in {0, n // 2, n - 1, rng.randrange(n)}:
            calls = count_calls(inclusion_proof_from_nodes, i, n, store=store)
            assert calls <= bound(n), (i, n, calls)
            worst["inclusion"] = max(worst["inclusion"], calls)
        for m in {1, n // 2 or 1, n - 1 or 1, n, rng.randrange(1, n + 1)}:
            calls = count_calls(consistency_proof_from_nodes, m, n, store=store)
            assert calls <= bound(n), (m, n, calls)
            worst["consistency"] = max(worst["consistency"], calls)
    assert worst["root"] == 12
    assert max(worst.values()) <= bound(BIG_TREE)


# Worst case over every index (inclusion) and every size1 (consistency):
# n -> (max inclusion reads, max consistency reads). A proof has at most
# ceil(log2 n) elements, and only one of them, the first right-hand sibling,
# can span several stored subtrees; sizes just below a power of two, with
# many set bits, are the worst.
WORST_READS = {
    1000: (14, 15),
    2047: (20, 21),
    2048: (11, 12),
    2049: (12, 13),
    3071: (21, 22),
    4095: (22, 23),
    4096: (12, 13),
}


@pytest.mark.parametrize(("n", "expected"), WORST_READS.items())
def test_getter_calls_are_logarithmic_for_every_index(n: int, expected: tuple[int, int]) -> None:
    _, store = big_tree()
    inclusion = max(count_calls(inclusion_proof_from_nodes, i, n, store=store) for i in range(n))
    consistency = max(
        count_calls(consistency_proof_from_nodes, m, n, store=store) for m in range(1, n + 1)
    )
    assert (inclusion, consistency) == expected
    assert max(inclusion, consistency) <= bound(n)


# ---------------------------------------------------------------------------
# Conformance property: on random trees every proof verifies, and every single-bit change to the
# proof, the root, the index or a size makes it fail -- except a size change that gives the
# proof the very same shape. A proof does not bind the tree size on its own (a signed tree head
# binds size and root together), so the exception is stated exactly, from the RFC's recursive
# definitions of PATH and SUBPROOF (RFC 9162, 2.1.3.1 and 2.1.4.1), not from the verifier.

Shape = tuple[object, ...] | str


def _largest_power_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_shape(index: int, size: int) -> tuple[Shape, int] | None:
    """How the root is built from the leaf ("L") and proof elements ("P", j), per PATH(m, D[n])."""
    if not 0 <= index < size:
        return None
    if size == 1:
        return "L", 0
    k = _largest_power_below(size)
    if index < k:
        sub = inclusion_shape(index, k)
        assert sub is not None
        return ("H", sub[0], ("P", sub[1])), sub[1] + 1
    sub = inclusion_shape(index - k, size - k)
    assert sub is not None
    return ("H", ("P", sub[1]), sub[0]), sub[1] + 1


def consistency_shape(size1: int, size2: int) -> tuple[Shape, Shape, int] | None:
    """How both roots are built from proof elements, per SUBPROOF(m, D[n], true).

    "R1" is the old root itself, which the proof omits when the old tree is a complete subtree.
    """
    if not 0 < size1 < size2:
        return None

    def sub(m: int, n: int, complete: bool) -> tuple[Shape, Shape, int]:
        if m == n:
            return ("R1", "R1", 0) if complete else (("P", 0), ("P", 0), 1)
        k = _largest_power_below(n)
        if m <= k:
            old, new, count = sub(m, k, complete)
            return old, ("H", new, ("P", count)), count + 1
        old, new, count = sub(m - k, n - k, False)
        return ("H", ("P", count), old), ("H", ("P", count), new), count + 1

    return sub(size1, size2, True)


def bit_flips(value: bytes) -> Iterator[bytes]:
    for position in range(len(value) * 8):
        changed = bytearray(value)
        changed[position // 8] ^= 1 << (position % 8)
        yield bytes(changed)


def int_flips(value: int) -> Iterator[int]:
    # Every bit a tree of up to 2^64 leaves can use.
    for bit in range(64):
        yield value ^ (1 << bit)


@st.composite
def random_tree(draw: st.DrawFn) -> list[bytes]:
    size = draw(st.integers(min_value=1, max_value=300), label="size")
    seed = draw(st.binary(min_size=1, max_size=8), label="seed")
    return [leaf_hash(seed + i.to_bytes(4, "big")) for i in range(size)]


@settings(max_examples=60, deadline=None)
@given(leaves=random_tree(), data=st.data())
def test_property_every_single_bit_change_to_an_inclusion_proof_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    root = root_hash(leaves)
    proof = inclusion_proof(index, leaves)
    leaf = leaves[index]
    assert verify_inclusion(leaf, index, size, proof, root)
    for i, element in enumerate(proof):
        for changed in bit_flips(element):
            assert not verify_inclusion(
                leaf, index, size, [*proof[:i], changed, *proof[i + 1 :]], root
            )
    for changed in bit_flips(root):
        assert not verify_inclusion(leaf, index, size, proof, changed)
    for changed in bit_flips(leaf):
        assert not verify_inclusion(changed, index, size, proof, root)
    shape = inclusion_shape(index, size)
    for other in int_flips(index):
        # Another leaf of the same tree always has another path.
        assert inclusion_shape(other, size) != shape
        assert not verify_inclusion(leaf, other, size, proof, root)
    for other in int_flips(size):
        same_shape = inclusion_shape(index, other) == shape
        assert verify_inclusion(leaf, index, other, proof, root) is same_shape, other


@settings(max_examples=60, deadline=None)
@given(leaves=random_tree(), data=st.data())
def test_property_every_single_bit_change_to_a_consistency_proof_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size2 = len(leaves)
    if size2 < 2:
        leaves = [*leaves, leaf_hash(b"second")]
        size2 = 2
    size1 = data.draw(st.integers(min_value=1, max_value=size2 - 1), label="size1")
    root1, root2 = root_hash(leaves[:size1]), root_hash(leaves)
    proof = consistency_proof(size1, leaves)
    assert verify_consistency(size1, size2, proof, root1, root2)
    for i, element in enumerate(proof):
        for changed in bit_flips(element):
            altered = [*proof[:i], changed, *proof[i + 1 :]]
            assert not verify_consistency(size1, size2, altered, root1, root2)
    for changed in bit_flips(root1):
        assert not verify_consistency(size1, size2, proof, changed, root2)
    for changed in bit_flips(root2):
        assert not verify_consistency(size1, size2, proof, root1, changed)
    shape = consistency_shape(size1, size2)
    for other in int_flips(size1):
        same_shape = consistency_shape(other, size2) == shape
        assert verify_consistency(other, size2, proof, root1, root2) is same_shape, other
    for other in int_flips(size2):
        same_shape = consistency_shape(size1, other) == shape
        assert verify_consistency(size1, other, proof, root1, root2) is same_shape, other


def test_size_changes_that_keep_the_shape_exist() -> None:
    # The exception above is real: a proof for leaf 0 of 5 leaves has the shape of one for leaf 0
    # of 7 leaves (5 ^ 2), and the (1, 3) consistency proof that of (1, 4).
    leaves = make_leaves(5)
    proof = inclusion_proof(0, leaves)
    assert inclusion_shape(0, 7) == inclusion_shape(0, 5)
    assert verify_inclusion(leaves[0], 0, 7, proof, root_hash(leaves))
    three = make_leaves(3)
    cproof = consistency_proof(1, three)
    assert consistency_shape(1, 4) == consistency_shape(1, 3)
    assert verify_consistency(1, 4, cproof, root_hash(three[:1]), root_hash(three))
