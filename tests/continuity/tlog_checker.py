"""A tlog-tiles client written from the C2SP specs alone (tlog-tiles, tlog-checkpoint,
signed-note), sharing no code with hanano: it checks the log's signature on the checkpoint,
recomputes the root from the public hash tiles, and checks entries against the level-0 tiles.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Fetch = Callable[[str], bytes]
"""GET a path under the log's prefix (``checkpoint``, ``tile/0/000``); raises if not 200."""


class CheckFailed(Exception):
    """The log's answers do not add up."""


@dataclass(frozen=True)
class CheckedCheckpoint:
    origin: str
    size: int
    root: bytes
    text: str


def open_checkpoint(signed: str, verifier_key: str) -> CheckedCheckpoint:
    """Verify the log's Ed25519 signature (signed-note) and parse the checkpoint body."""
    name, key_id_hex, material = verifier_key.split("+", 2)
    raw = base64.b64decode(material)
    if raw[0] != 0x01 or len(raw) != 33:
        raise CheckFailed("the verifier key is not an Ed25519 signed-note key")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    split = signed.rfind("\n\n")
    text, block = signed[: split + 1], signed[split + 2 :]
    signed_ok = False
    for line in block.rstrip("\n").split("\n"):
        who, _, sig_b64 = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(sig_b64)
        if who != name or blob[:4] != bytes.fromhex(key_id_hex):
            continue
        try:
            public.verify(blob[4:], text.encode())
        except InvalidSignature as exc:
            raise CheckFailed("the log's signature on the checkpoint does not verify") from exc
        signed_ok = True
    if not signed_ok:
        raise CheckFailed("the checkpoint carries no signature by the log's key")
    origin, size, root = text.split("\n")[:3]
    return CheckedCheckpoint(origin, int(size), base64.b64decode(root), text)


def tile_index_path(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@dataclass
class TileChecker:
    """Reads the tiles of the tree of ``size`` leaves and recomputes hashes from them."""

    fetch: Fetch
    size: int
    tiles: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self.tiles:
            available = self.size >> (8 * level)
            width = min(256, available - index * 256)
            if width <= 0:
                raise CheckFailed(f"tile {level}/{index} lies beyond the tree")
            path = f"tile/{level}/{tile_index_path(index)}"
            if width < 256:
                path += f".p/{width}"
            body = self.fetch(path)
            if len(body) != 32 * width:
                raise CheckFailed(f"{path} holds {len(body)} bytes, not {32 * width}")
            self.tiles[key] = body
        return self.tiles[key]

    def node(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**height leaves at ``index``."""
        if height % 8 == 0:
            tile = self.tile(height // 8, index // 256)
            at = (index % 256) * 32
            return tile[at : at + 32]
        left = self.node(height - 1, 2 * index)
        right = self.node(height - 1, 2 * index + 1)
        return _h(b"\x01" + left + right)

    def root(self) -> bytes:
        """MTH of the whole tree: its complete subtrees, largest first, folded right to left."""
        if self.size == 0:
            return _h(b"")
        parts = []
        start = 0
        for height in range(self.size.bit_length() - 1, -1, -1):
            if self.size & (1 << height):
                parts.append(self.node(height, start >> height))
                start += 1 << height
        folded = parts.pop()
        while parts:
            folded = _h(b"\x01" + parts.pop() + folded)
        return folded

    def entries(self, index: int) -> list[bytes]:
        """The entries of bundle ``index``, each checked against its level-0 tile hash."""
        width = min(256, self.size - index * 256)
        path = f"tile/entries/{tile_index_path(index)}" + ("" if width == 256 else f".p/{width}")
        body = self.fetch(path)
        found = []
        at = 0
        while at < len(body):
            length = int.from_bytes(body[at : at + 2], "big")
            found.append(body[at + 2 : at + 2 + length])
            at += 2 + length
        if at != len(body) or len(found) != width:
            raise CheckFailed(f"{path} does not split into {width} entries")
        leaves = self.tile(0, index)
        if width == 256 and _fold(leaves) != self.node(8, index):
            # A full level-0 tile enters the root only through its hash in the level-1 tile.
            raise CheckFailed(f"level-0 tile {index} does not hash to its level-1 entry")
        for i, entry in enumerate(found):
            if _h(b"\x00" + entry) != leaves[i * 32 : (i + 1) * 32]:
                raise CheckFailed(f"entry {index * 256 + i} does not hash to its leaf")
        return found


def _fold(tile: bytes) -> bytes:
    """The hash of the complete subtree whose 256 leaf-level hashes make a full tile."""
    level = [tile[i : i + 32] for i in range(0, len(tile), 32)]
    while len(level) > 1:
        level = [_h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def check_log(fetch: Fetch, verifier_key: str, *, with_entries: bool) -> CheckedCheckpoint:
    """Fetch the checkpoint and tiles, and fail unless the tiles give the signed root."""
    checkpoint = open_checkpoint(fetch("checkpoint").decode(), verifier_key)
    checker = TileChecker(fetch, checkpoint.size)
    if checker.root() != checkpoint.root:
        raise CheckFailed("the hash tiles do not give the checkpoint's root")
    if with_entries:
        for index in range((checkpoint.size + 255) // 256):
            checker.entries(index)
    return checkpoint
