"""Check a log's C2SP tlog-tiles against its signed checkpoint, and against what a follower holds.

The tiles a follower fetches to go from the size it stored to the checkpoint's size are checked
top down: the tiles of the right edge must compute the checkpoint's root (every hash of a partial
tile enters it), and each full tile below must hash to its entry in the tile above, so every
fetched hash is vouched for by the signature. The same tiles then give the root at the size the
follower stored: if it is not the root it stored, the log signed two histories (a fork). Entry
bundles are checked last, each entry against its leaf hash in the checked level-0 tile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256

from hanano.evidence import merkle
from hanano.evidence.log import Checkpoint
from hanano.evidence.tiles import TILE_HEIGHT, TILE_WIDTH, TileRef, tile_path

__all__ = ["Fork", "Refused", "Tiles", "bundle_entries", "hash_tiles_between", "leaf_hashes"]

HASH = merkle.HASH_SIZE


class Refused(Exception):
    """A fetched tile, bundle or checkpoint does not hold; the message names which."""


class Fork(Exception):
    """The log signed a checkpoint inconsistent with the one stored: two histories."""


def hash_tiles_between(old: int, new: int) -> Iterator[TileRef]:
    """The hash tiles, at every level, that hold a hash the tree of `new` leaves has and the
    tree of `old` leaves had not finished (each tile once, at its width in the `new` tree)."""
    level = 0
    while new >> (TILE_HEIGHT * level):
        count = new >> (TILE_HEIGHT * level)
        first = (old >> (TILE_HEIGHT * level)) >> TILE_HEIGHT
        for index in range(first, ((count - 1) >> TILE_HEIGHT) + 1):
            yield TileRef(level, index, min(TILE_WIDTH, count - index * TILE_WIDTH))
        level += 1


def bundles_between(old: int, new: int) -> Iterator[TileRef]:
    """The entry bundles that hold the entries from `old` (counted from 0) up to `new`."""
    for ref in hash_tiles_between(old, new):
        if ref.level == 0:
            yield TileRef(None, ref.index, ref.width)


@dataclass
class Tiles:
    """Fetched hash tiles by (level, index), checked by `check` before any is trusted."""

    found: dict[tuple[int, int], tuple[TileRef, bytes]]

    @classmethod
    def of(cls, fetched: list[tuple[TileRef, bytes]]) -> Tiles:
        found = {}
        for ref, body in fetched:
            if len(body) != ref.width * HASH:
                raise Refused(
                    f"{tile_path(ref)}: {len(body)} bytes where {ref.width} hashes of {HASH} "
                    "bytes are due"
                )
            found[(ref.level or 0, ref.index)] = (ref, body)
        return cls(found)

    def hash_at(self, level: int, index: int) -> bytes:
        """The hash of node `index` at tile level `level` (tree level 8 * level)."""
        entry = self.found.get((level, index >> TILE_HEIGHT))
        offset = index & (TILE_WIDTH - 1)
        if entry is None or entry[0].width <= offset:
            raise Refused(f"no fetched tile holds the hash {index} of tile level {level}")
        return entry[1][offset * HASH : (offset + 1) * HASH]

    def subtree(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of tree level `height`, index `index`."""
        level, rest = divmod(height, TILE_HEIGHT)
        span = 1 << rest
        return _fold([self.hash_at(level, index * span + i) for i in range(span)])

    def root(self, size: int) -> bytes:
        """The root of the tree of `size` leaves, from its complete subtrees, left to right."""
        if size == 0:
            return merkle.EMPTY_ROOT
        parts = [
            self.subtree(height, (size >> height) - 1)
            for height in range(size.bit_length() - 1, -1, -1)
            if size >> height & 1
        ]
        root = parts[-1]
        for left in reversed(parts[:-1]):
            root = merkle.node_hash(left, root)
        return root

    def check(self, checkpoint: Checkpoint) -> None:
        """Every tile vouched for by the checkpoint's root, or Refused naming the tile."""
        edge = [
            tile_path(ref)
            for ref, _ in self.found.values()
            if (ref.index + 1) * TILE_WIDTH >= checkpoint.size >> (TILE_HEIGHT * (ref.level or 0))
        ]
        if self.root(checkpoint.size) != checkpoint.root:
            raise Refused(
                f"the hash tiles of the tree's right edge ({', '.join(sorted(edge))}) do not "
                f"give the root the checkpoint of size {checkpoint.size} signs"
            )
        for level, index in sorted(self.found, reverse=True):
            above, body = self.found[(level, index)]
            for offset in range(above.width):
                below = self.found.get((level - 1, index * TILE_WIDTH + offset))
                if level == 0 or below is None:
                    continue  # a leaf, or a tile below the fetched range (stored, checked before)
                expected = body[offset * HASH : (offset + 1) * HASH]
                if below[0].width != TILE_WIDTH or _full_tile_hash(below[1]) != expected:
                    raise Refused(
                        f"{tile_path(below[0])}: its hashes do not give hash {offset} of "
                        f"{tile_path(above)}"
                    )


def _full_tile_hash(body: bytes) -> bytes:
    """The hash of the complete subtree whose 256 hashes a full tile holds."""
    return _fold([body[i * HASH : (i + 1) * HASH] for i in range(TILE_WIDTH)])


def _fold(nodes: list[bytes]) -> bytes:
    """The hash of a complete subtree from its 2^k hashes of one level (each a 32-byte slice
    of a tile whose length `Tiles.of` checked, so node_hash's own checks are not repeated)."""
    while len(nodes) > 1:
        nodes = [
            sha256(b"\x01" + nodes[i] + nodes[i + 1]).digest() for i in range(0, len(nodes), 2)
        ]
    return nodes[0]


def leaf_hashes(tiles: Tiles, ref: TileRef) -> list[bytes]:
    """The checked leaf hashes of the level-0 tile of bundle `ref`."""
    _, body = tiles.found[(0, ref.index)]
    return [body[i * HASH : (i + 1) * HASH] for i in range(ref.width)]


def bundle_entries(ref: TileRef, body: bytes, leaves: list[bytes]) -> list[bytes]:
    """The bundle's entries, each checked against its leaf hash; Refused naming the first that
    is not (or a bundle that does not split into exactly its width of entries)."""
    entries: list[bytes] = []
    at = 0
    while at < len(body):
        length = int.from_bytes(body[at : at + 2], "big")
        if at + 2 + length > len(body) or len(entries) == ref.width:
            break
        entries.append(body[at + 2 : at + 2 + length])
        at += 2 + length
    if at != len(body) or len(entries) != ref.width:
        raise Refused(f"{tile_path(ref)}: does not split into {ref.width} length-prefixed entries")
    for offset, (entry, leaf) in enumerate(zip(entries, leaves, strict=True)):
        if merkle.leaf_hash(entry) != leaf:
            raise Refused(
                f"{tile_path(ref)}: entry {ref.index * TILE_WIDTH + offset + 1} does not hash to "
                f"its leaf in {tile_path(TileRef(0, ref.index, ref.width))}"
            )
    return entries
