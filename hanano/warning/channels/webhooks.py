"""Webhooks: each alert POSTed as JSON (the alert and its CAP document) to a subscriber URL,
signed with HMAC-SHA256, retried with exponential backoff on failure.

The signature covers the timestamp and the body, `X-Hanano-Signature: sha256=HEX` over
`TIMESTAMP.BODY` with `X-Hanano-Timestamp: TIMESTAMP`, so a receiver can refuse replays.
`X-Hanano-Alert` names the alert and `X-Hanano-Attempt` counts attempts from 1, so a receiver
that saw an alert already can tell a retry from a new alert.

One call of `deliver` is one attempt. The retries are the outbox's (hanano.warning.outbox): it
keeps each delivery in the store until it succeeds or gives up, so they survive a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import httpx2 as httpx

from hanano.warning.channels.message import AlertMessage
from hanano.warning.outbox import WEBHOOK, DeliveryFailed

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    def __init__(self, url: str, secret: str, *, timeout_s: float = 10.0) -> None:
        self.name = f"webhook {url}"
        self.outbox_key = (WEBHOOK, url)
        self.url = url
        self.secret = secret
        self.client = httpx.Client(timeout=timeout_s)

    def deliver(self, message: AlertMessage) -> None:
        body = json.dumps(
            {"alert": message.alert, "cap": message.cap.decode()},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Hanano-Alert": message.alert["alert_id"],
            "X-Hanano-Timestamp": timestamp,
            "X-Hanano-Signature": sign(self.secret, timestamp, body),
            "X-Hanano-Attempt": str(message.attempt),
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code < 300:
            return
        # A refusal such as 400, 401 or 404 will not change by asking again.
        final = response.status_code not in RETRY_STATUSES
        raise DeliveryFailed(f"HTTP {response.status_code}", final=final)

    def close(self) -> None:
        self.client.close()
