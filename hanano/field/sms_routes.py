"""`POST /api/v1/sms/inbound`: the webhook SMS Gateway for Android calls for each SMS received.

No token: the request is signed. `X-Signature` is the hex HMAC-SHA256, under a registered
gateway's signing key, of the raw body followed by `X-Timestamp`; a bad signature or a time
more than five minutes off is refused (401) and nothing is written.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from hanano.field import api
from hanano.field.sms import SmsWebhook
from hanano.web.deps import ServiceDep
from hanano.web.problems import from_validation_error

router = APIRouter(prefix="/api/v1/sms", tags=["field"])


@router.post(
    "/inbound",
    responses={401: {"description": "Not signed by a registered gateway, or stale"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SmsWebhook.model_json_schema()}},
        },
        # The message is as the phone received it, junk included: refused or cleaned here, so
        # that its sender can be answered.
        "x-hanano-foreign-text": True,
    },
)
async def inbound(
    request: Request, service: ServiceDep, background: BackgroundTasks
) -> JSONResponse:
    """Log one SMS, act on it, and reply to its sender by SMS once it is durable."""
    raw = await request.body()
    gateway = await asyncio.to_thread(
        api.sms_gateway,
        service,
        raw,
        request.headers.get("x-signature", ""),
        request.headers.get("x-timestamp", ""),
    )
    try:
        hook = SmsWebhook.model_validate_json(raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    answer = await api.receive_sms(service, gateway.name, hook)
    background.add_task(api.reply_sms, gateway, answer)
    body: dict[str, Any] = {"id": answer.sms_id, "outcome": answer.outcome}
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(body, headers=headers)
