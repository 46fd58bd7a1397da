"""The log served as C2SP tlog-tiles under /tlog/: its checkpoint, hash tiles and entry bundles.

The checkpoint and the hash tiles are hashes only, so anyone may fetch them and recompute the
root. Entry bundles hold the events as hashed (places and times of open incidents among them),
so only a mirror's token is served them, with the sealed fields of their entries, only encrypted
to the key registered with that token (`hanano.evidence.sealed_tiles`); and, beside the tiles,
the media originals the log names, by their hash (`/tlog/blob/<sha256>`), which a mirror checks
against that hash.
"""

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse, Response

from hanano.access.tokens import Principal
from hanano.evidence import api as evidence_api
from hanano.web.deps import ALL, MIRROR, ServiceDep, allow

router = APIRouter(prefix="/tlog", tags=["tlog-tiles"])
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
# A partial tile is replaced by a wider one as the log grows; a checkpoint, by the next.
SHORT = "public, max-age=5"
TileRest = Annotated[str, Path(description="The tile index as x001/x234/067, then .p/<W>.")]


@router.get("/checkpoint", response_class=Response)
def checkpoint(service: ServiceDep, _: Annotated[Principal, Depends(allow(*ALL))]) -> Response:
    """The latest signed checkpoint, with the witnesses' cosignatures of it."""
    text = evidence_api.checkpoint(service, None)
    return Response(text, media_type=TEXT, headers={"Cache-Control": "no-cache, max-age=5"})


# Declared before the hash tiles, whose level would otherwise match "entries".
@router.get("/tile/entries/{rest:path}", response_class=Response)
def entries(
    rest: TileRest,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*MIRROR))],
) -> Response:
    """An entry bundle: the events as hashed, each after its 2-byte big-endian length."""
    full, body = evidence_api.entry_bundle(service, rest, who)
    # Served to a token only: no shared cache may keep it.
    cache = _cache(full).replace("public", "private")
    return Response(body, media_type=BINARY, headers={"Cache-Control": cache})


@router.get("/sealed/{rest:path}", response_class=Response)
def sealed(
    rest: TileRest,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*MIRROR))],
) -> Response:
    """The sealed fields of an entry bundle's entries, encrypted to the X25519 public key
    registered with the mirror's token (409 if none is): its ephemeral public key, then
    AES-256-GCM over the rows, as `hanano store export --to` encrypts them."""
    body = evidence_api.sealed_fields(service, rest, who)
    # Encrypted anew for each caller, and changed when a field is erased: never cached.
    return Response(body, media_type=BINARY, headers={"Cache-Control": "private, no-store"})


@router.get("/tile/{level}/{rest:path}", response_class=Response)
def hash_tile(
    level: str,
    rest: TileRest,
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*ALL))],
) -> Response:
    """A hash tile of height 8: up to 256 subtree hashes of level 8 * `level`."""
    full, body = evidence_api.hash_tile(service, level, rest)
    return Response(body, media_type=BINARY, headers={"Cache-Control": _cache(full)})


@router.get("/blob/{sha256}", response_class=FileResponse)
def blob(
    sha256: Annotated[str, Path(description="The original's SHA-256, 64 lowercase hex digits.")],
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*MIRROR))],
) -> FileResponse:
    """A media original named by an `evidence.media_added` event, by its SHA-256: for a
    mirror's token alone, which checks the bytes against the logged hash before keeping them.
    A hash the log does not name, or whose file is not here yet, is a 404."""
    path = evidence_api.mirror_blob(service, sha256, who)
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    return FileResponse(
        path,
        media_type=BINARY,
        headers={
            "Repr-Digest": f"sha-256=:{digest}:",
            # An original never changes under its hash; served to a token only.
            "Cache-Control": IMMUTABLE.replace("public", "private"),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _cache(full: bool) -> str:
    return IMMUTABLE if full else SHORT
