"""A mirror of another hanano's log, fetched as C2SP tlog-tiles and checked before it is stored.

One catch-up: the primary's checkpoint must verify with the log's key; the hash tiles from the
size stored here must give its root and, at the stored size, the root stored here (else the log
forked: `Fork`, with both signed checkpoints); every entry must hash to its leaf in those tiles.
Only then are the entries, their tree, the checkpoint and the mirror's record written, in one
transaction, with the projections brought up to date in it, so a follower killed at any point
leaves the store as it was and the next run starts from the same place. A cosignature (C2SP
tlog-cosignature: "durably stored here") is made only after that commit.

Entry bundles carry each event as hashed: a sensitive field (a name, a rescuer's position) is
only its salted commitment there, never its value. The mirror stores it as a field it does not
hold (read as None, as an erased one is): names and positions stay with the primary, unless
the mirror holds the private key its token's sealed fields are encrypted to
(`hanano.evidence.mirror_sealed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Connection, Engine, select

from hanano.clock import Clock, isoformat
from hanano.evidence.archive_format import Frontier
from hanano.evidence.archive_import import event_row
from hanano.evidence.blobs import BlobStore
from hanano.evidence.cosign import cosign, witness_key_from_signer
from hanano.evidence.log import Checkpoint, NodeReader
from hanano.evidence.mirror_blobs import BlobsFollowed, fetch_missing, want
from hanano.evidence.mirror_primary import Primary, Unreachable
from hanano.evidence.mirror_project import project
from hanano.evidence.mirror_sealed import bundle_paths, bundles, erase_redacted, held_fields
from hanano.evidence.mirror_state import MirrorState, read_mirror
from hanano.evidence.sealed_tiles import Given
from hanano.evidence.tables import checkpoints, cosignatures, log_identity, merkle_nodes
from hanano.evidence.tables import mirror_state as mirror_table
from hanano.evidence.tile_verify import (
    Fork,
    Refused,
    Tiles,
    bundle_entries,
    bundles_between,
    hash_tiles_between,
    leaf_hashes,
)
from hanano.evidence.tiles import TILE_WIDTH, TileRef, tile_path
from hanano.evidence.witness import WitnessError, open_signed_checkpoint
from hanano.store import schema
from hanano.store.log import loads
from hanano.store.prepared import insert_all
from hanano.store.records import RecordedEvent
from hanano.store.registry import Registry

__all__ = ["Followed", "Fork", "Primary", "Refused", "Unreachable", "follow_once"]

_INSERT_EVENTS = insert_all(schema.events)
_INSERT_SEALED = insert_all(schema.sealed_fields)
_INSERT_NODES = insert_all(merkle_nodes)


@dataclass(frozen=True)
class Followed:
    previous: int
    size: int
    cosignature: str | None
    blobs: BlobsFollowed | None = None

    @property
    def entries(self) -> int:
        return self.size - self.previous


@dataclass(frozen=True)
class _Signed:
    checkpoint: Checkpoint
    body: str
    note: str


def follow_once(
    engine: Engine,
    primary: Primary,
    log_key: str,
    registry: Registry,
    clock: Clock,
    signer: str | None = None,
    blobs: BlobStore | None = None,
    sealed_key: X25519PrivateKey | None = None,
) -> Followed:
    """Catch up with the primary once; Refused, Fork or Unreachable, with nothing stored. With
    `sealed_key`, the sealed fields come too, encrypted to it (`mirror_sealed`). Then, into
    `blobs`, the media files the log names that are not there yet (`mirror_blobs`)."""
    with engine.connect() as conn:
        held = _held(conn, log_key)
    signed = _signed(primary, log_key)
    size = 0 if held is None else held.size
    if held is not None:
        _same_history_so_far(held, signed)
    if held is not None and signed.checkpoint.size == held.size:
        _record_look(engine, held, signed, clock)
        return Followed(size, size, held.cosignature, _blobs(engine, primary, blobs, clock))
    wanted = list(bundles_between(size, signed.checkpoint.size))
    # The bundles are fetched while the hash tiles are fetched and checked; none is read, let
    # alone stored, before the tiles hold.
    with primary.stream(bundle_paths(wanted, sealed_key)) as bodies:
        tiles = _checked_tiles(primary, held, signed)
        _store(
            engine,
            primary,
            (tiles, wanted, bundles(bodies, wanted, sealed_key)),
            signed,
            (size, log_key, 0 if held is None else held.unprojected),
            registry,
            clock,
        )
    # A cosignature says the entries are durably stored here; files are outside the tree, so it
    # does not wait for them (a file the primary lacks would otherwise hold every later one up).
    line = None if signer is None else _cosign(engine, signed, signer, clock)
    return Followed(size, signed.checkpoint.size, line, _blobs(engine, primary, blobs, clock))


def _checked_tiles(primary: Primary, held: MirrorState | None, signed: _Signed) -> Tiles:
    """The hash tiles from the size held here to the signed one, each vouched for by the signed
    root; Fork if they give another root at the size held here."""
    size = 0 if held is None else held.size
    refs = list(hash_tiles_between(size, signed.checkpoint.size))
    tiles = Tiles.of(list(zip(refs, primary.fetch_all([tile_path(r) for r in refs]), strict=True)))
    tiles.check(signed.checkpoint)
    if held is not None and tiles.root(held.size) != held.checkpoint.root:
        raise Fork(
            f"FORK: the tiles the log signed at size {signed.checkpoint.size} give another root "
            f"at size {held.size} than the checkpoint stored here",
            held.note,
            signed.note,
        )
    return tiles


def _blobs(
    engine: Engine, primary: Primary, blobs: BlobStore | None, clock: Clock
) -> BlobsFollowed | None:
    return None if blobs is None else fetch_missing(engine, primary, blobs, clock)


def _held(conn: Connection, log_key: str) -> MirrorState | None:
    """What this store holds of the log; Refused if it is a log of its own or another's."""
    held = read_mirror(conn)
    if held is None:
        own = conn.execute(select(log_identity.c.origin).limit(1)).first()
        if own is not None or conn.execute(select(schema.events.c.seq).limit(1)).first():
            raise Refused("this store holds a log of its own: a mirror needs an empty store")
        return None
    if held.log_key != log_key:
        raise Refused(f"this store mirrors the log of key {held.log_key}, not {log_key}")
    return held


def _signed(primary: Primary, log_key: str) -> _Signed:
    text = primary.fetch("checkpoint").decode("utf-8", errors="replace")
    try:
        checkpoint, body, log_note = open_signed_checkpoint(text, log_key)
    except WitnessError as exc:
        raise Refused(f"checkpoint: {exc}") from None
    return _Signed(checkpoint, body, log_note)


def _same_history_so_far(held: MirrorState, signed: _Signed) -> None:
    new = signed.checkpoint
    if new.origin != held.origin:
        raise Refused(f"checkpoint: it names the log {new.origin!r}, not {held.origin!r}")
    if new.size < held.size or (new.size == held.size and new.root != held.checkpoint.root):
        raise Fork(
            f"FORK: the log signed a checkpoint of size {new.size} that is not the history of "
            f"size {held.size} stored here",
            held.note,
            signed.note,
        )


def _record_look(engine: Engine, held: MirrorState, signed: _Signed, clock: Clock) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(
            mirror_table.update()
            .where(mirror_table.c.origin == held.origin)
            .values(primary_size=signed.checkpoint.size, checked_at=isoformat(clock.now()))
        )


def _store(
    engine: Engine,
    primary: Primary,
    fetched: tuple[Tiles, list[TileRef], Iterator[tuple[bytes, Given]]],
    signed: _Signed,
    held: tuple[int, str, int],
    registry: Registry,
    clock: Clock,
) -> None:
    """Write the checked entries, their tree, the checkpoint and the record in one transaction."""
    new = signed.checkpoint
    size, log_key, held_out = held
    with engine.connect() as conn:
        conn.info["writer"] = True
        with conn.begin():
            now_held = read_mirror(conn)
            if (0 if now_held is None else now_held.size) != size:
                raise Unreachable("another follower stored entries meanwhile; nothing stored")
            frontier = Frontier.resume(size, NodeReader(conn))
            left_out = 0
            tiles, refs, bodies = fetched
            for ref, (body, given) in zip(refs, bodies, strict=True):
                leaves = leaf_hashes(tiles, ref)
                entries = bundle_entries(ref, body, leaves)
                recorded = _store_bundle(conn, frontier, ref, (entries, leaves), given)
                want(conn, recorded)
                left_out += project(conn, registry, recorded)
            if frontier.size != new.size or frontier.root() != new.root:
                raise Refused(f"the stored tree does not give the root of size {new.size}")
            now = isoformat(clock.now())
            conn.execute(
                checkpoints.insert().values(
                    size=new.size, root=new.root, note=signed.note, created_at=now
                )
            )
            conn.execute(mirror_table.delete())
            conn.execute(
                mirror_table.insert().values(
                    origin=new.origin,
                    primary_url=primary.url,
                    log_key=log_key,
                    size=new.size,
                    note=signed.note,
                    stored_at=now,
                    primary_size=new.size,
                    checked_at=now,
                    cosignature=None,
                    unprojected=held_out + left_out,
                )
            )


def _store_bundle(
    conn: Connection,
    frontier: Frontier,
    ref: TileRef,
    checked: tuple[list[bytes], list[bytes]],
    given: Given,
) -> list[RecordedEvent]:
    """The entries of one checked bundle not stored yet: events, sealed rows, tree nodes;
    returns them as read back (`read_events` would give the same, without the second parse)."""
    events: list[dict[str, Any]] = []
    sealed: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    recorded = []
    entries, leaves = checked
    first = ref.index * TILE_WIDTH
    for offset in range(frontier.size - first, len(entries)):
        seq, entry = first + offset + 1, entries[offset]
        document = _document(ref, seq, entry)
        leaf = _leaf(frontier, leaves[offset], nodes)
        events.append(event_row(seq, entry, leaf, document))
        data = document["data"]
        sealed.extend(held_fields(ref, seq, document, given.get(seq, {})))
        recorded.append(
            RecordedEvent(
                seq,
                document["time"],
                document["actor"],
                document["type"],
                document["v"],
                data,
                entry,
                leaf,
            )
        )
    _INSERT_EVENTS.run_many(conn, events)
    _INSERT_NODES.run_many(conn, nodes)
    if sealed:
        _INSERT_SEALED.run_many(conn, sealed)
    erase_redacted(conn, recorded)
    return recorded


def _document(ref: TileRef, seq: int, entry: bytes) -> dict[str, Any]:
    try:
        document = loads(entry)
    except ValueError:
        document = None
    if (
        not isinstance(document, dict)
        or document.get("seq") != seq
        or not isinstance(document.get("data"), dict)
        or not all(key in document for key in ("time", "actor", "type", "v"))
    ):
        raise Refused(f"{tile_path(ref)}: entry {seq} is not the log's event {seq}")
    return document


def _leaf(frontier: Frontier, leaf: bytes, nodes: list[dict[str, Any]]) -> bytes:
    """Append the entry's leaf (checked against the entry by `bundle_entries`) to the tree,
    noting the subtree hashes it completes."""
    added = frontier.append(leaf)
    nodes.extend({"level": level, "idx": index, "hash": digest} for level, index, digest in added)
    return leaf


def _cosign(engine: Engine, signed: _Signed, signer: str, clock: Clock) -> str:
    """Cosign the checkpoint now durably stored here, and keep the cosignature with it."""
    now = clock.now()
    line = cosign(signed.body, signer, int(now.timestamp()))
    name = witness_key_from_signer(signer).split("+", 1)[0]
    with engine.connect() as conn, conn.begin():
        conn.execute(
            cosignatures.insert().values(
                size=signed.checkpoint.size,
                witness=name,
                timestamp=int(now.timestamp()),
                line=line,
                received_at=isoformat(now),
            )
        )
        conn.execute(mirror_table.update().values(cosignature=line))
    return line
