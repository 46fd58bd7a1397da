"""What every channel receives and is: the alert message and the channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class AlertMessage:
    """An alert as every channel receives it: its event data and its CAP 1.2 document."""

    alert: dict[str, Any]
    cap: bytes
    city: str
    # The AlertIssued event's place in the log, and which attempt at this delivery this is.
    seq: int = 0
    attempt: int = 1

    @property
    def cleared(self) -> bool:
        return bool(self.alert["level"] == "all_clear")


class Channel(Protocol):
    name: str

    def deliver(self, message: AlertMessage) -> None:
        """Deliver one alert in one attempt; may block (it runs in the channel's own thread)."""

    def close(self) -> None: ...
