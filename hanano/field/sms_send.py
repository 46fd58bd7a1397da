"""Replies by SMS, through the gateway's own send API (SMS Gateway for Android: `POST` JSON
`{"textMessage": {"text"}, "phoneNumbers": [...]}` with its basic-auth credentials).

A reply is sent once the message it answers is durable. A reply that cannot be sent is logged,
without the number, and not retried: the sender's message is already in.
"""

from __future__ import annotations

import logging

import httpx2 as httpx

from hanano.field.sms_setup import Gateway

log = logging.getLogger(__name__)


def send(gateway: Gateway, number: str, text: str, timeout_s: float = 10.0) -> bool:
    """Ask the gateway to send `text` to `number`; whether it accepted."""
    if gateway.send_url is None:
        return False
    auth = (gateway.username or "", gateway.password or "") if gateway.username else None
    body = {"textMessage": {"text": text}, "phoneNumbers": [number]}
    try:
        response = httpx.post(gateway.send_url, json=body, auth=auth, timeout=timeout_s)
    except httpx.HTTPError as exc:
        log.warning("SMS reply through gateway %s failed: %s", gateway.name, type(exc).__name__)
        return False
    if response.status_code >= 300:
        log.warning(
            "SMS reply through gateway %s refused: HTTP %s", gateway.name, response.status_code
        )
        return False
    return True
