"""The evidence log over HTTP: checkpoints, proofs and receipts."""

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from hanano.access.tokens import Principal
from hanano.access.visibility import entry_view
from hanano.errors import invalid
from hanano.evidence import api as evidence_api
from hanano.evidence.witness import MAX_SUBMISSION, store_cosignatures
from hanano.web.deps import ALL, AUDIT, ServiceDep, allow

router = APIRouter(prefix="/api/v1/log", tags=["evidence"])
TEXT = "text/plain; charset=utf-8"
# Positions in the log are 64-bit in the store: a larger number is no position at all.
LOG_INDEX_MAX = 2**63 - 1


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(i).decode() for i in items]


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*ALL))],
    size: Annotated[int | None, Query(ge=1, le=LOG_INDEX_MAX)] = None,
) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint), or the one of a past size, with the
    witnesses' cosignatures of it (C2SP tlog-cosignature)."""
    text = evidence_api.checkpoint(service, size)
    return PlainTextResponse(text, media_type=TEXT, headers={"Cache-Control": "no-store"})


@router.get("/proof/inclusion")
def inclusion(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*ALL))],
    index: Annotated[int, Query(ge=0, le=LOG_INDEX_MAX)],
    size: Annotated[int, Query(ge=1, le=LOG_INDEX_MAX)],
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves (base64 hashes)."""
    proof, root = evidence_api.inclusion_proof(service, index, size)
    return {"index": index, "size": size, "proof": _b64(proof), "root": _b64([root])[0]}


@router.get("/proof/consistency")
def consistency(
    service: ServiceDep,
    _: Annotated[Principal, Depends(allow(*ALL))],
    first: Annotated[int, Query(alias="from", ge=1, le=LOG_INDEX_MAX)],
    second: Annotated[int, Query(alias="to", ge=1, le=LOG_INDEX_MAX)],
) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of sizes `from` and `to`."""
    proof, roots = evidence_api.consistency_proof(service, first, second)
    return {"from": first, "to": second, "proof": _b64(proof), "roots": _b64(roots)}


@router.get("/receipt/{seq}", response_class=PlainTextResponse)
def receipt(
    seq: Annotated[int, Path(ge=1, le=LOG_INDEX_MAX)],
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*AUDIT))],
) -> PlainTextResponse:
    """A self-contained receipt (C2SP tlog-proof) for event `seq`, checkable offline, for an
    entry the caller's role may read as it stands."""
    return PlainTextResponse(evidence_api.receipt(service, seq, who), media_type=TEXT)


@router.post(
    "/cosignatures",
    status_code=201,
    openapi_extra={
        "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def add_cosignatures(request: Request, service: ServiceDep) -> JSONResponse:
    """A witness's cosignature (C2SP tlog-cosignature): the body is the log's signed checkpoint
    with the witness's signature lines appended. No token: the cosignature by a registered
    witness key is the credential. Refused if the log never signed that checkpoint."""
    raw = await request.body()
    if len(raw) > MAX_SUBMISSION:
        raise invalid("body", f"larger than {MAX_SUBMISSION} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("body", "not UTF-8") from None

    accepted = await run_in_threadpool(evidence_api.accept_cosignatures, service, text)
    stored = await service.sequencer.run(lambda tx: store_cosignatures(tx, accepted))
    return JSONResponse({"stored": stored}, status_code=201)


# The log's entries as hashed, beside the proofs and receipts under /api/v1/log.
entries_router = APIRouter(prefix="/api/v1", tags=["evidence"])


@entries_router.get("/events")
def events(
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*AUDIT))],
    after: Annotated[int, Query(ge=0, le=LOG_INDEX_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Log entries as hashed (canonical bytes, sensitive fields as commitments) with their leaf
    hashes. An entry the visibility rule withholds from the caller's role keeps only its place
    and leaf hash, with the reason, so the tree can still be checked."""
    rows = evidence_api.log_entries(service, after, limit)
    return {"events": [entry_view(seq, canonical, leaf, who) for seq, canonical, leaf in rows]}
