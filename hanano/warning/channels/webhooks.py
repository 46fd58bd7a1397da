"""Webhooks: each alert POSTed as JSON (the alert and its CAP document) to a subscriber URL,
signed with HMAC-SHA256, retried with exponential backoff on failure.

The signature covers the timestamp and the body, `X-Hanano-Signature: sha256=HEX` over
`TIMESTAMP.BODY` with `X-Hanano-Timestamp: TIMESTAMP`, so a receiver can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import httpx2 as httpx

from hanano.warning.channels import AlertMessage

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 6,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.name = f"webhook {url}"
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.client = httpx.Client(timeout=timeout_s)
        self.delivered = 0
        self.failed = 0

    def deliver(self, message: AlertMessage) -> None:
        body = json.dumps(
            {"alert": message.alert, "cap": message.cap.decode()},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        delay = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "X-Hanano-Alert": message.alert["alert_id"],
                "X-Hanano-Timestamp": timestamp,
                "X-Hanano-Signature": sign(self.secret, timestamp, body),
                "X-Hanano-Attempt": str(attempt),
            }
            try:
                response = self.client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    self.delivered += 1
                    return
                if response.status_code not in RETRY_STATUSES:
                    log.warning(
                        "webhook %s refused %s: %s",
                        self.url,
                        message.alert["alert_id"],
                        response.status_code,
                    )
                    self.failed += 1
                    return
                outcome = f"HTTP {response.status_code}"
            if attempt < self.attempts:
                log.info(
                    "webhook %s attempt %d failed (%s); retry in %.1fs",
                    self.url,
                    attempt,
                    outcome,
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
        self.failed += 1
        log.warning("webhook %s gave up on %s", self.url, message.alert["alert_id"])

    def close(self) -> None:
        self.client.close()
