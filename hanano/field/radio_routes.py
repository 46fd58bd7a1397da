"""`POST /api/v1/radio/parse`: a line of the radio log read into what it says and the request
that records it. Writes nothing; the operations room shows the reading, and on the
dispatcher's Enter sends that request to the route that owns the record."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hanano.access.tokens import Principal
from hanano.field import radio
from hanano.web.deps import DISPATCH, ServiceDep, allow

router = APIRouter(prefix="/api/v1/radio", tags=["field"])


class RadioLine(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    # Longer than a radio line may be, so that an over-long one is named as such (422).
    text: Annotated[str, Field(max_length=10 * radio.MAX_LINE)]


@router.post(
    "/parse",
    responses={422: {"description": "The line is not understood; `errors` names each part"}},
)
async def parse(
    body: RadioLine,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*DISPATCH))],
) -> dict[str, Any]:
    """What a radio line says (kind, team, place, counts, aircraft) and the request that saves
    it; nothing is written."""
    return await asyncio.to_thread(radio.understand, service, who, body.text)
