"""How much a base's learned routes can say of a sortie's target, at best.

Takes a scenario file (`hanano warn scenario`) and, for each base sorties flew from, gives the
routes model (hanano/warning/threat_model.py `flight_weights`) the bearings of every strike of
the day as seen from the base: what a learner would know after a perfect day of tracks. For a
take-off at the base it prints the mean likelihood the routes give the struck zones, the mean
over all the city's zones, and their ratio: how many times likelier the routes make a struck
zone than the average one (1: the routes single out nothing).

    .venv/bin/python bench/route_spread.py aleppo.json [--spread 5]
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from shapely.geometry import shape

from hanano.geo.gazetteer import aleppo_geojson
from hanano.warning.plane import compass, to_plane
from hanano.warning.posts import ALEPPO_AIR_BASES
from hanano.warning.sightings import BASE_SIGMA_M
from hanano.warning.threat_model import Fix, RouteSpread, flight_weights
from hanano.warning.zones import CityPlane


def city() -> CityPlane:
    rows = []
    for feature in aleppo_geojson()["features"]:
        centre = shape(feature["geometry"]).representative_point()
        rows.append(
            SimpleNamespace(
                pcode=feature["properties"]["PCODE"],
                name_en="",
                name_ar="",
                geometry=json.dumps(feature["geometry"]),
                centroid_lat=centre.y,
                centroid_lon=centre.x,
            )
        )
    return CityPlane(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("--spread", type=float, default=5.0, help="route_spread_deg")
    args = parser.parse_args()
    with open(args.scenario, encoding="utf-8") as handle:
        data = json.load(handle)
    plane = city()
    zones = list(plane.zones.values())
    struck = [s for s in data["strikes"] if s.get("pcode")]
    flown = {s["base_id"] for s in data["sorties"]}
    for base_id, _, _, lat, lon in ALEPPO_AIR_BASES:
        if base_id not in flown:
            continue
        ways = tuple(compass(*to_plane(lat, lon, s["lat"], s["lon"])) for s in struck)
        routes = RouteSpread(base_id, ways, args.spread)
        fix = Fix(plane.point(lat, lon), BASE_SIGMA_M, 0.0, None, 180.0, False, routes)
        like = flight_weights(fix, zones, 0.0)
        on_struck = sum(like[s["pcode"]] for s in struck) / len(struck)
        everywhere = sum(like.values()) / len(like)
        print(
            f"{base_id}: {len(ways)} routes, spread {args.spread:g}°; mean likelihood "
            f"struck zones {on_struck:.2f}, all zones {everywhere:.2f}, "
            f"ratio {on_struck / everywhere:.2f}"
        )


if __name__ == "__main__":
    main()
