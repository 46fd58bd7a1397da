import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

HANANO = (36.2270, 37.2026)  # inside Hanano, N0129
SAKHOUR = (36.2195, 37.1898)  # inside Al-Sakhour, N0139
# The real OSM extract of central Helsinki (see tests/data/osm/ATTRIBUTION.md).
HELSINKI = Path(__file__).parent / "data" / "osm" / "helsinki.osm.pbf"


def offset(
    lat: float, lon: float, north_m: float = 0.0, east_m: float = 0.0
) -> tuple[float, float]:
    import math

    return lat + north_m / 111_320.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat)))


def report_body(at: datetime, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "strike",
        "observed_at": (at - timedelta(minutes=1)).isoformat(),
        "source": "citizen",
    }
    body.update(fields)
    return body


def post(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/reports", json=body, headers={"Authorization": f"Bearer {token}"})


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
