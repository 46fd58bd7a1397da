"""Replies by SMS, through the gateway's own send API (SMS Gateway for Android: `POST` JSON
`{"textMessage": {"text"}, "phoneNumbers": [...]}` with its basic-auth credentials).

A reply is sent once the message it answers is durable. A reply the gateway does not take is
tried again after 2 s and 4 s (a phone between two cell towers), then logged, without the
number, and dropped: the sender's message is already in.
"""

from __future__ import annotations

import logging
import time

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


def send_with_retries(
    gateway: Gateway, number: str, text: str, attempts: int = 3, first_wait_s: float = 2.0
) -> bool:
    """`send`, tried again with a doubling wait; whether the gateway took it in the end."""
    if gateway.send_url is None:
        return False
    for attempt in range(attempts):
        if attempt:
            time.sleep(first_wait_s * 2 ** (attempt - 1))
        if send(gateway, number, text):
            return True
    log.warning("SMS reply through gateway %s dropped after %d attempts", gateway.name, attempts)
    return False
