"""The server's Merkle tree, kept as the hashes of its complete subtrees.

The server does not keep the whole list of leaf hashes in memory. It stores the
hash of every complete subtree, keyed by ``(level, index)``: the node at level L
and index i covers leaves ``[i * 2**L, (i + 1) * 2**L)``, as in
transparency-log tiles. Such a node never changes once written, so any past
tree size can be served from the same store. ``append_nodes`` says which nodes
to store for a new leaf; ``root_from_nodes``, ``inclusion_proof_from_nodes``
and ``consistency_proof_from_nodes`` answer for any tree size not larger than
what has been stored, with O(log n) reads each, and equal the reference
functions of ``hanano.evidence.merkle`` over the same leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hanano.evidence.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MAX_TREE_SIZE,
    _is_hash,
    _require_hash,
    _require_int,
    _require_size,
    _sha256,
    _split,
    node_hash,
)

__all__ = [
    "MemorySubtreeStore",
    "NodeGetter",
    "SubtreeStore",
    "append_nodes",
    "consistency_proof_from_nodes",
    "inclusion_proof_from_nodes",
    "root_from_nodes",
]

NodeGetter = Callable[[int, int], bytes]
"""Reads the stored hash of the complete subtree at ``(level, index)``."""


class SubtreeStore(Protocol):
    """Storage for complete-subtree hashes, keyed by ``(level, index)``.

    The node at level L and index i covers leaves ``[i * 2**L, (i + 1) * 2**L)``;
    level 0 holds the leaf hashes themselves. Entries are written once, by
    storing every tuple that :func:`append_nodes` returns, and never change.
    The ``*_from_nodes`` functions take ``store.get`` as their getter.
    """

    def get(self, level: int, index: int) -> bytes:
        """Return the stored hash of node ``(level, index)``; raise if absent."""
        ...

    def put(self, level: int, index: int, node: bytes) -> None:
        """Store the hash of the complete node ``(level, index)``."""
        ...


class MemorySubtreeStore:
    """A dict-backed :class:`SubtreeStore`, for tests and small tools."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def get(self, level: int, index: int) -> bytes:
        """Return the hash of node ``(level, index)``; KeyError if not stored."""
        return self._nodes[(level, index)]

    def put(self, level: int, index: int, node: bytes) -> None:
        """Store the hash of node ``(level, index)``."""
        self._nodes[(level, index)] = node

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash and store every node it completes."""
        for level, index, node in append_nodes(self.size, leaf, self.get):
            self.put(level, index, node)
        self.size += 1


def append_nodes(leaf_index: int, leaf: bytes, get: NodeGetter) -> list[tuple[int, int, bytes]]:
    """Return the ``(level, index, hash)`` nodes completed by appending ``leaf``.

    ``leaf`` is the leaf hash placed at ``leaf_index`` (which must equal the
    current tree size); ``get`` reads already stored nodes. The result starts
    with the leaf itself at level 0, followed by each parent that this append
    completes, bottom-up. Reads one stored left sibling per completed parent,
    so O(log n) calls to ``get``.
    """
    _require_int(leaf_index, "leaf_index")
    if not 0 <= leaf_index <= MAX_TREE_SIZE - 1:
        raise ValueError(f"leaf_index {leaf_index} is out of range")
    _require_hash(leaf, "leaf")
    nodes = [(0, leaf_index, leaf)]
    node, level, index = leaf, 0, leaf_index
    # A right child (odd index) completes its parent; the left sibling is
    # already stored because it was completed by an earlier append. Both
    # children are known to be 32-byte hashes here (the leaf was checked, each
    # sibling is checked as it is read, each parent is a SHA-256 digest), so
    # the parent is hashed directly: this runs once per appended leaf.
    while index & 1:
        left = get(level, index - 1)
        if not isinstance(left, bytes) or len(left) != HASH_SIZE:
            raise ValueError(f"stored node ({level}, {index - 1}) is not a {HASH_SIZE}-byte hash")
        node = _sha256(b"\x01" + left + node).digest()
        level += 1
        index >>= 1
        nodes.append((level, index, node))
    return nodes


def root_from_nodes(size: int, get: NodeGetter) -> bytes:
    """Return the root hash of the tree of the first ``size`` leaves.

    Reads one stored node per set bit of ``size`` (at most log2(size) + 1).
    """
    _require_size(size, "size")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(0, size, get)


def inclusion_proof_from_nodes(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """Return PATH(index, D_size) using stored complete-subtree hashes.

    Equal to :func:`hanano.evidence.merkle.inclusion_proof` over the first ``size`` leaves. Raises
    ValueError unless ``0 <= index < size``. Makes O(log size) calls to
    ``get`` (at most 2 * ceil(log2 size)) and only reads nodes inside the
    first ``size`` leaves, so proofs for past tree sizes come from the same
    store.
    """
    _require_size(size, "size")
    _require_int(index, "index")
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    # Walk from the root down to the leaf, collecting siblings; the RFC lists
    # them leaf first, hence the reverse at the end. Once the walk goes left
    # it stays inside a complete subtree, so only one sibling (the first right
    # one) can span several stored nodes.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(_range_hash(lo + k, hi, get))
            hi = lo + k
        else:
            proof.append(_range_hash(lo, lo + k, get))
            lo += k
    proof.reverse()
    return proof


def consistency_proof_from_nodes(size1: int, size2: int, get: NodeGetter) -> list[bytes]:
    """Return PROOF(size1, D_size2) using stored complete-subtree hashes.

    Equal to :func:`hanano.evidence.merkle.consistency_proof` over the first
    ``size2`` leaves. Raises ValueError unless ``0 < size1 <= size2``. Makes
    O(log size2) calls to ``get`` (at most 2 * ceil(log2 size2)), all inside
    the first ``size2`` leaves.
    """
    _require_size(size1, "size1")
    _require_size(size2, "size2")
    if not 0 < size1 <= size2:
        raise ValueError(f"size1 must satisfy 0 < size1 <= size2, got size1={size1}, size2={size2}")
    proof: list[bytes] = []
    lo, hi, complete = 0, size2, True
    # Iterative SUBPROOF: m is absolute here (size1), the range is [lo, hi).
    while size1 != hi:
        k = _split(hi - lo)
        if size1 <= lo + k:
            proof.append(_range_hash(lo + k, hi, get))
            hi = lo + k
        else:
            proof.append(_range_hash(lo, lo + k, get))
            lo += k
            complete = False
    if not complete:
        proof.append(_range_hash(lo, hi, get))
    proof.reverse()
    return proof


def _range_hash(lo: int, hi: int, get: NodeGetter) -> bytes:
    """MTH(D[lo:hi]) for a range the RFC's recursion produces, from stored nodes.

    Such a range starts at a multiple of the smallest power of two not below
    its length, so it splits into complete subtrees of strictly decreasing
    size (one per set bit of ``hi - lo``), each aligned on its own size. MTH
    then folds them right to left, which is exactly how the RFC's split at
    the largest power of two below n nests them.
    """
    parts: list[bytes] = []
    pos, remaining = lo, hi - lo
    while remaining:
        level = remaining.bit_length() - 1
        width = 1 << level
        if pos & (width - 1):
            raise ValueError(f"range [{lo}, {hi}) is not a Merkle subtree range")
        parts.append(_fetch(get, level, pos >> level))
        pos += width
        remaining -= width
    node = parts.pop()
    while parts:
        node = node_hash(parts.pop(), node)
    return node


def _fetch(get: NodeGetter, level: int, index: int) -> bytes:
    """Read one stored node, refusing anything that is not a 32-byte hash."""
    node = get(level, index)
    if not _is_hash(node):
        raise ValueError(f"stored node ({level}, {index}) is not a {HASH_SIZE}-byte hash")
    return node
