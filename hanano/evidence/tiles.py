"""The log as C2SP tlog-tiles: hash tiles and entry bundles, read from the stored tree.

A tile of height 8 at level L and index N holds the hashes of the complete subtrees at tree
level 8L with indices ``N * 256 .. N * 256 + W - 1``: exactly the rows the log already stores in
``merkle_nodes`` (level 8L), so a tile is one range read, never a recomputation. A full tile
(W = 256) never changes; a partial one (``.p/W``) is served for any width the signed tree
reaches, since each is the tile of some tree size at or below the latest checkpoint.

An entry bundle holds the leaf-covered bytes of each entry (the event's canonical bytes), each
after a 2-byte big-endian length, for the leaves of the level-0 tile of the same index.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from hanano.errors import Problem
from hanano.evidence.log import tree_size
from hanano.evidence.tables import merkle_nodes
from hanano.store.log import MAX_ENTRY_BYTES
from hanano.store.records import read_entries

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "encode_index",
    "entry_bundle",
    "hash_tile",
    "parse_tile_path",
    "tile_path",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY = MAX_ENTRY_BYTES
"""Largest entry a bundle can carry: its length must fit in two bytes (the writer refuses any
larger, hanano.store.sequencer)."""


@dataclass(frozen=True)
class TileRef:
    """One tile: its level (None for an entry bundle), index and width (256 when full)."""

    level: int | None
    index: int
    width: int

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH


def encode_index(index: int) -> str:
    """The spec's path form of a tile index: 1234067 -> ``x001/x234/067``."""
    if index < 0:
        raise ValueError("a tile index is not negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def tile_path(ref: TileRef) -> str:
    """The path of ``ref`` under the log's prefix: ``tile/<L>/<N>[.p/<W>]``."""
    head = "entries" if ref.level is None else str(ref.level)
    tail = "" if ref.full else f".p/{ref.width}"
    return f"tile/{head}/{encode_index(ref.index)}{tail}"


def parse_tile_path(level: str | None, rest: str) -> TileRef:
    """Parse ``<N>[.p/<W>]`` (``rest``) of a tile at ``level`` (None: entries).

    Only the canonical spelling is accepted, so each tile has exactly one URL: anything else
    is a 404 naming what is wrong, as a static file server would answer.
    """
    parsed_level = None if level is None else _decimal(level, "level")
    if parsed_level is not None and parsed_level > MAX_LEVEL:
        raise _no_tile(f"level {level} is above {MAX_LEVEL}")
    parts = rest.split("/")
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = _decimal(parts[-1], "width")
        if not 1 <= width < TILE_WIDTH:
            raise _no_tile(f"a partial tile's width is 1 to {TILE_WIDTH - 1}, not {width}")
        parts = [*parts[:-2], parts[-2][: -len(".p")]]
    index = 0
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        digits = part if last else part[1:]
        if (not last and not part.startswith("x")) or len(digits) != 3 or not _ascii_digits(digits):
            raise _no_tile(f"{rest!r} is not a tile index of the form x001/x234/067")
        index = index * 1000 + int(digits)
    if len(parts) > 1 and parts[0] == "x000":
        raise _no_tile(f"{rest!r} has a leading zero group")
    return TileRef(parsed_level, index, width)


def hash_tile(conn: Connection, ref: TileRef) -> bytes:
    """The tile's hashes, concatenated; 404 unless the signed tree holds all of them."""
    if ref.level is None:
        raise ValueError("an entry bundle is not a hash tile")
    require_within(conn, ref)
    level = ref.level * TILE_HEIGHT
    first = ref.index * TILE_WIDTH
    rows = conn.execute(
        select(merkle_nodes.c.hash)
        .where(
            merkle_nodes.c.level == level,
            merkle_nodes.c.idx >= first,
            merkle_nodes.c.idx < first + ref.width,
        )
        .order_by(merkle_nodes.c.idx)
    ).all()
    if len(rows) != ref.width:
        # The checkpoint covers these nodes, so they were deleted behind the server's back.
        raise Problem(500, "Log damaged", f"stored subtree hashes of {tile_path(ref)} are missing")
    return b"".join(bytes(row.hash) for row in rows)


def entry_bundle(conn: Connection, ref: TileRef) -> bytes:
    """The entries of the level-0 tile ``ref``, each with its 2-byte length; 404 beyond the tree."""
    require_within(conn, TileRef(0, ref.index, ref.width))
    rows = read_entries(conn, ref.index * TILE_WIDTH, ref.width)
    if len(rows) != ref.width:
        raise Problem(500, "Log damaged", f"entries of {tile_path(ref)} are missing")
    out = bytearray()
    for seq, canonical, _ in rows:
        if len(canonical) > MAX_ENTRY:
            raise Problem(
                500, "Entry too large", f"entry {seq} is {len(canonical)} bytes, over {MAX_ENTRY}"
            )
        out += len(canonical).to_bytes(2, "big") + canonical
    return bytes(out)


def require_within(conn: Connection, ref: TileRef) -> None:
    size = tree_size(conn)
    level = ref.level or 0
    reach = (ref.index * TILE_WIDTH + ref.width) << (TILE_HEIGHT * level)
    if reach > size:
        raise _no_tile(f"{tile_path(ref)} lies beyond the signed tree of {size} entries")


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also holds for "²" and "١": int() refuses the one and reads the other.
    return text.isascii() and text.isdigit()


def _decimal(text: str, what: str) -> int:
    if not _ascii_digits(text) or (text.startswith("0") and text != "0"):
        raise _no_tile(f"the {what} {text!r} is not a decimal without leading zeros")
    return int(text)


def _no_tile(why: str) -> Problem:
    return Problem(404, "Not found", f"no such tile: {why}")
