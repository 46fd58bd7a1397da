"""How long the gazetteer takes to build from Aleppo's zones and aliases, and to read one long
report. Every report without a position is read by it, inside the single writer.

    .venv/bin/python bench/gazetteer.py [--runs N]

Last line: `build_ms=N match_ms=N`.
"""

import argparse
import statistics
import time

from hanano.geo.gazetteer import Gazetteer, aleppo_geojson, load_aleppo_aliases

REPORT = (
    "Civil defence teams report a barrel bomb dropped by a helicopter on a residential "
    "building in Bustan al-Qasr near the crossing, five people trapped under the rubble; "
    "another strike hit the vegetable market close to the Sakhour roundabout, ambulances "
    "heading to the field hospital in al-Shaar. "
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    geojson, aliases = aleppo_geojson(), load_aleppo_aliases()
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        built = Gazetteer.from_geojson(geojson, aliases)
        builds.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(runs):
        built.match(REPORT)
    per_match = (time.perf_counter() - started) / runs
    build_ms = statistics.median(builds) * 1000
    print(f"build: median of 5 {build_ms:.1f} ms; match: {per_match * 1000:.3f} ms over {runs}")
    print(f"build_ms={build_ms:.1f} match_ms={per_match * 1000:.3f}")


if __name__ == "__main__":
    main()
