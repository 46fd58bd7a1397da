"""A fake of the one party outside hanano in the SMS channel: the Android phone running
SMS Gateway for Android. It signs webhooks as the app does and takes replies on its send API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNING_KEY = "gw-signing-key-0123456789"
USERNAME, PASSWORD = "sms", "phone-password"


class FakeSmsGateway:
    """The gateway app's send API (`POST /message`, basic auth), recording what it is asked to
    send, and its webhooks, signed as the app signs them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refused = 0
        # Requests to answer 503, as the app does while the phone has no signal.
        self.unavailable = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/message"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != "/message" or self.headers.get("Authorization") != expected:
                    gateway.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if gateway.unavailable > 0:
                    gateway.unavailable -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                gateway.sent.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id":"m-1","state":"Pending"}')

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeSmsGateway]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def webhook(
    message: str,
    number: str = "+963944000111",
    received_at: str = "2026-11-25T12:58:00.000+03:00",
    message_id: str = "m-abc",
) -> bytes:
    """The body the app posts for a received SMS."""
    return json.dumps(
        {
            "deviceId": "ffffffffceb0b1db0000018e937c815b",
            "event": "sms:received",
            "id": "Ey6ECgOkVVFjz3CL48B8C",
            "payload": {
                "messageId": message_id,
                "message": message,
                "phoneNumber": number,
                "simNumber": 1,
                "receivedAt": received_at,
            },
            "webhookId": "LreFUt-Z3sSq0JufY9uWB",
        },
        ensure_ascii=False,
    ).encode()


def signed(body: bytes, at: datetime, key: str = SIGNING_KEY) -> dict[str, str]:
    """The headers the app sends: the time, and the HMAC of the body followed by it."""
    timestamp = str(int(at.timestamp()))
    signature = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": "android-sms-gateway/1.40 (Android 13)",
        "X-Timestamp": timestamp,
        "X-Signature": signature,
    }
