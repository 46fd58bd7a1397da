"""Commands of the city: zones imported from GeoJSON, the names people use for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select

from hanano.city import tables
from hanano.city.events import AliasAdded, NeighbourhoodImported
from hanano.errors import invalid, not_found
from hanano.store.sequencer import Tx


def import_neighbourhoods(tx: Tx, actor: str, geojson: Mapping[str, Any]) -> int:
    """Load zones from a GeoJSON FeatureCollection with PCODE, NAME_EN and NAME_AR properties.

    A zone already present with the same P-code is replaced by the newer event.
    """
    features = geojson.get("features")
    if geojson.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise invalid("geojson", "must be a GeoJSON FeatureCollection")
    count = 0
    for number, feature in enumerate(features):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        missing = [k for k in ("PCODE", "NAME_EN", "NAME_AR") if not props.get(k)]
        if missing:
            raise invalid(f"features[{number}].properties", f"missing {', '.join(missing)}")
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise invalid(f"features[{number}].geometry", "must be a Polygon or MultiPolygon")
        try:
            polygon = shape(geometry)
        except Exception as exc:
            raise invalid(f"features[{number}].geometry", f"not a valid geometry: {exc}") from exc
        if polygon.is_empty:
            raise invalid(f"features[{number}].geometry", "is empty")
        tx.append(
            actor,
            NeighbourhoodImported(
                pcode=str(props["PCODE"]).strip(),
                name_en=str(props["NAME_EN"]).strip(),
                # Some official names carry the same name repeated on several lines.
                name_ar=str(props["NAME_AR"]).splitlines()[0].strip(),
                geometry=geometry,
            ),
        )
        count += 1
    return count


def add_alias(tx: Tx, actor: str, alias: str, pcode: str) -> None:
    alias = alias.strip()
    if not any(ch.isalpha() for ch in alias):
        raise invalid("alias", "must contain letters")
    exists = tx.conn.execute(
        select(tables.neighbourhoods.c.pcode).where(tables.neighbourhoods.c.pcode == pcode)
    ).first()
    if exists is None:
        raise not_found(f"neighbourhood {pcode}")
    tx.append(actor, AliasAdded(alias=alias, pcode=pcode))
