"""The city over HTTP: its zones."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from hanano.access.tokens import Principal
from hanano.city import api as city_api
from hanano.web.deps import ALL, ServiceDep, allow

router = APIRouter(prefix="/api/v1", tags=["city"])


@router.get("/neighbourhoods", tags=["city"])
def neighbourhoods(
    service: ServiceDep, _: Annotated[Principal, Depends(allow(*ALL))]
) -> dict[str, Any]:
    """The city's zones as a GeoJSON FeatureCollection."""
    return city_api.neighbourhoods(service)
