"""The city's use cases for the HTTP routes and the CLI."""

from __future__ import annotations

from typing import Any

from hanano.city.model import zone_features
from hanano.domain import Runtime


def neighbourhoods(runtime: Runtime) -> dict[str, Any]:
    """The city's zones as a GeoJSON FeatureCollection."""
    with runtime.engine.connect() as conn:
        return {"type": "FeatureCollection", "features": zone_features(conn)}
