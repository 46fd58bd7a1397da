"""Merkle tree hashes and proofs exactly as defined in RFC 9162, section 2.1.

The evidence log is an append-only list of RFC 9162 leaf hashes. Outside
investigators must be able to check what the server tells them with nothing
but this module (or any other RFC 9162 implementation), so the functions here
are pure functions on bytes and follow the RFC's definitions literally:

* ``leaf_hash``, ``node_hash`` and ``root_hash`` are MTH (§2.1.1).
* ``inclusion_proof`` and ``consistency_proof`` are PATH (§2.1.3.1) and
  PROOF/SUBPROOF (§2.1.4.1) over an in-memory list of leaf hashes; they are the
  reference the storage-backed functions are tested against.
* ``verify_inclusion`` and ``verify_consistency`` are the verification
  algorithms of §2.1.3.2 and §2.1.4.2. They never raise: any malformed input
  yields ``False``.

Production conventions on top of the RFC: every hash, leaf hash and proof
element is exactly 32 bytes (SHA-256); tree sizes and indexes are non-negative
ints no larger than 2**64 - 1 (the RFC's uint64); a consistency proof between
equal sizes is the empty proof with equal roots; and a consistency proof from
the empty tree (size1 = 0) is rejected, since the RFC defines PROOF only for
0 < m and the empty tree commits to nothing worth proving.

The server's tree, kept as stored complete-subtree hashes rather than the whole
list, is in ``hanano.evidence.merkle_store``; a verifier does not need it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the log (SHA-256)."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size or leaf index accepted; RFC 9162 carries them as uint64."""

_sha256 = hashlib.sha256

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() — the root of the empty tree."""

# Longest proof a verifier will even look at. In a tree of at most 2**64 - 1
# leaves an inclusion proof has at most 64 elements and a consistency proof at
# most 65 (one per level plus the old tree's last subtree); anything longer is
# rejected before any hashing, so a hostile caller cannot make a verifier copy
# and hash an unbounded list.
_MAX_PROOF_LEN = 65

# --------------------------------------------------------------------------
# Hashing (§2.1.1)


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash of ``data``: SHA-256(0x00 || data)."""
    # Concatenation, not bytes(data): bytes(5) would quietly hash five zeros.
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash: SHA-256(0x01 || left || right).

    Both children must be 32-byte hashes; anything else is a caller bug (for
    instance hex text passed where raw bytes belong) and raises ValueError.
    """
    _require_hash(left, "left child")
    _require_hash(right, "right child")
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes (the tree head's root hash).

    The empty tree's root is SHA-256 of the empty string; a one-leaf tree's
    root is that leaf hash.
    """
    leaves = _checked_leaves(leaf_hashes)
    if not leaves:
        return EMPTY_ROOT
    return _mth(leaves, 0, len(leaves))


# --------------------------------------------------------------------------
# Reference proofs over a list (§2.1.3.1 and §2.1.4.1)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(index, D_n), the inclusion proof for leaf ``index``.

    Elements are ordered from the leaf's sibling up to the root's child, as in
    the RFC. Raises ValueError unless ``0 <= index < len(leaf_hashes)``.
    """
    leaves = _checked_leaves(leaf_hashes)
    _require_int(index, "index")
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is outside a tree of size {len(leaves)}")
    return _path(leaves, index, 0, len(leaves))


def consistency_proof(size1: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(size1, D_n), proving the first ``size1`` leaves are a prefix.

    ``size2`` is ``len(leaf_hashes)``. The proof for ``size1 == size2`` is
    empty. Raises ValueError unless ``0 < size1 <= size2``: the RFC defines no
    proof from the empty tree, and verifiers here reject one.
    """
    leaves = _checked_leaves(leaf_hashes)
    _require_int(size1, "size1")
    if not 0 < size1 <= len(leaves):
        raise ValueError(
            f"size1 must satisfy 0 < size1 <= size2, got size1={size1}, size2={len(leaves)}"
        )
    return _subproof(leaves, size1, 0, len(leaves), complete=True)


def _split(n: int) -> int:
    """Return k, the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a non-empty range, by the RFC's recursive definition."""
    n = hi - lo
    if n == 1:
        return leaves[lo]
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def _path(leaves: Sequence[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) with ``m`` relative to ``lo``."""
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(leaves, m, lo, lo + k), _mth(leaves, lo + k, hi)]
    return [*_path(leaves, m - k, lo + k, hi), _mth(leaves, lo, lo + k)]


def _subproof(leaves: Sequence[bytes], m: int, lo: int, hi: int, *, complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) with ``m`` relative to ``lo``."""
    n = hi - lo
    if m == n:
        # The old tree is exactly this subtree. If it is the whole old tree
        # (b = true) the verifier already knows its hash; otherwise send it.
        return [] if complete else [_mth(leaves, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, m, lo, lo + k, complete=complete), _mth(leaves, lo + k, hi)]
    return [*_subproof(leaves, m - k, lo + k, hi, complete=False), _mth(leaves, lo, lo + k)]


# --------------------------------------------------------------------------
# Verification (§2.1.3.2 and §2.1.4.2)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return True iff ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``root``.

    This is the algorithm of RFC 9162 §2.1.3.2. It returns False, never
    raises, for any malformed input: hashes or proof elements that are not
    32-byte ``bytes``, an index or size that is not a non-negative int (bool
    is refused too), ``index >= tree_size``, or a proof with missing or extra
    elements.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not (_is_size(index) and _is_size(tree_size)) or index >= tree_size:
        return False
    path = _as_proof(proof)
    if path is None:
        return False

    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            # More elements than the path from this leaf to the root.
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # A last node with no right sibling is promoted unchanged: skip
            # the levels where this node is a left child at the right edge.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # sn == 0 means exactly the right number of elements were consumed.
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """Return True iff ``proof`` shows tree (size1, root1) is a prefix of (size2, root2).

    This is the algorithm of RFC 9162 §2.1.4.2, with the conventions that
    ``size1 == size2`` is consistent only with an empty proof and equal roots,
    and that a proof from the empty tree (``size1 == 0``) is rejected. It
    returns False, never raises, for any malformed input, including
    ``size1 > size2``.
    """
    if not (_is_hash(root1) and _is_hash(root2)):
        return False
    if not (_is_size(size1) and _is_size(size2)) or size1 == 0 or size1 > size2:
        return False
    path = _as_proof(proof)
    if path is None:
        return False
    if size1 == size2:
        return not path and root1 == root2
    return _consistency_roots(size1, size2, path, root1) == (root1, root2)


def _consistency_roots(
    size1: int, size2: int, path: list[bytes], root1: bytes
) -> tuple[bytes, bytes] | None:
    """Steps 1-7 of §2.1.4.2 for 0 < size1 < size2: the two roots the proof implies.

    Returns None where the RFC says to fail before comparing roots (an empty
    proof, or one with more or fewer elements than the two trees' shapes need).
    """
    if not path:
        return None
    if size1 & (size1 - 1) == 0:
        # The old tree is a complete subtree of the new one and the proof
        # omits its hash, which the verifier already holds.
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return fr, sr


# --------------------------------------------------------------------------
# Input checks


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    # bool is an int subclass; True as a tree size is a caller bug, not 1.
    return type(value) is int and 0 <= value <= MAX_TREE_SIZE


def _as_proof(proof: object) -> list[bytes] | None:
    """Copy an untrusted proof into a list of hashes, or None if malformed."""
    if not isinstance(proof, Sequence) or isinstance(proof, (str, bytes, bytearray)):
        return None
    try:
        # A caller-supplied Sequence may be arbitrary code; the verifiers
        # promise never to raise, so any failure to read it means "malformed".
        if len(proof) > _MAX_PROOF_LEN:
            return None
        elements = list(proof)
    except Exception:
        return None
    if not all(_is_hash(element) for element in elements):
        return None
    return elements


def _require_hash(value: object, what: str) -> None:
    if not _is_hash(value):
        raise ValueError(f"{what} must be a {HASH_SIZE}-byte hash")


def _require_int(value: object, what: str) -> None:
    if type(value) is not int:
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")


def _require_size(value: int, what: str) -> None:
    _require_int(value, what)
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ValueError(f"{what} must be between 0 and 2**64 - 1, got {value}")


def _checked_leaves(leaf_hashes: Sequence[bytes]) -> Sequence[bytes]:
    if isinstance(leaf_hashes, (str, bytes, bytearray)):
        raise TypeError("leaf_hashes must be a sequence of 32-byte hashes")
    for i, leaf in enumerate(leaf_hashes):
        _require_hash(leaf, f"leaf hash {i}")
    return leaf_hashes
