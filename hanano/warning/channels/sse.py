"""Server-Sent Events: every alert to every subscriber of /api/v1/stream, whatever the role,
because alerts are for the public."""

from __future__ import annotations

from typing import Any

from hanano.domain import Announcer
from hanano.warning.channels.message import AlertMessage


def summary(message: AlertMessage) -> dict[str, Any]:
    a = message.alert
    return {
        "alert_id": a["alert_id"],
        "level": a["level"],
        "msg_type": a["msg_type"],
        "sent": a["sent"],
        "expires": a["expires"],
        "references": a["references"],
        "headline_en": a["headline_en"],
        "headline_ar": a["headline_ar"],
        "instruction_en": a["instruction_en"],
        "instruction_ar": a["instruction_ar"],
        "zones": [
            {
                "pcode": z["pcode"],
                "name_en": z.get("name_en"),
                "name_ar": z.get("name_ar"),
                "eta_min_s": z.get("eta_min_s"),
                "eta_max_s": z.get("eta_max_s"),
            }
            for z in a["zones"]
        ],
        "cap": f"/api/v1/alerts/{a['alert_id']}.cap",
    }


class SseChannel:
    name = "sse"

    def __init__(self, broadcaster: Announcer) -> None:
        self.broadcaster = broadcaster

    def deliver(self, message: AlertMessage) -> None:
        self.broadcaster.publish({"event": "alert", "data": summary(message)})

    def close(self) -> None:
        return None
