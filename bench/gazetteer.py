"""How long the gazetteer takes to build from Aleppo's zones and aliases and to read one long
report, and how often it places real report texts in the right neighbourhood. Every report
without a position is read by it, inside the single writer.

    .venv/bin/python bench/gazetteer.py [--runs N] [--set PATH ...] [--misses]

The accuracy sets (first line: attribution) are real texts labelled by hand with a P-code or
"none": tests/geo/data/scd_titles.csv, titles of Syrian Civil Defence videos, mostly naming no
quarter; and tests/geo/data/report_texts.csv, sentences and headlines of monitors and news
sites, mostly naming one. Both are read unless --set names others. top1 counts a line placed
in its neighbourhood, or left unplaced when labelled none; none counts a labelled line left
unplaced; wrong counts a line placed in another neighbourhood, or placed at all when labelled
none.
Lines: `build_ms=N match_ms=N`, `title_ms=N` (a text read for the first time), one
`<set>: top1=N% none=N% wrong=N%` line per set, and last the same figures over all sets,
`top1=N% none=N% wrong=N%`.
"""

import argparse
import csv
import statistics
import time
from pathlib import Path

from hanano.geo.gazetteer import Gazetteer, aleppo_geojson, load_aleppo_aliases

REPORT = (
    "Civil defence teams report a barrel bomb dropped by a helicopter on a residential "
    "building in Bustan al-Qasr near the crossing, five people trapped under the rubble; "
    "another strike hit the vegetable market close to the Sakhour roundabout, ambulances "
    "heading to the field hospital in al-Shaar. "
)
DATA = Path(__file__).resolve().parent.parent / "tests" / "geo" / "data"
SETS = (DATA / "scd_titles.csv", DATA / "report_texts.csv")


def labelled(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs of an evaluation set whose first line is its attribution."""
    with path.open(encoding="utf-8", newline="") as handle:
        handle.readline()
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def tally(gazetteer: Gazetteer, rows: list[tuple[str, str]], *, show: bool) -> tuple[int, ...]:
    """(right, unplaced, wrong) over labelled rows; with show, each row not placed right."""
    right = unplaced = wrong = 0
    for text, label in rows:
        found = gazetteer.best(text)
        placed = found.pcode if found else "none"
        if placed == label:
            right += 1
        elif placed == "none":
            unplaced += 1
        else:
            wrong += 1
        if show and placed != label:
            print(f"  {label:>5} got {placed:>5}: {text}")
    return right, unplaced, wrong


def figures(right: int, unplaced: int, wrong: int) -> str:
    total = right + unplaced + wrong
    return (
        f"top1={100 * right / total:.1f}% none={100 * unplaced / total:.1f}% "
        f"wrong={100 * wrong / total:.1f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--set", type=Path, action="append", dest="sets", help="default: both")
    parser.add_argument("--misses", action="store_true", help="print each line not placed right")
    args = parser.parse_args()
    geojson, aliases = aleppo_geojson(), load_aleppo_aliases()
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        built = Gazetteer.from_geojson(geojson, aliases)
        builds.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(args.runs):
        built.match(REPORT)
    per_match = (time.perf_counter() - started) / args.runs
    build_ms = statistics.median(builds) * 1000
    print(
        f"build: median of 5 {build_ms:.1f} ms; match: {per_match * 1000:.3f} ms over {args.runs}"
    )
    print(f"build_ms={build_ms:.1f} match_ms={per_match * 1000:.3f}")
    sets = {path: labelled(path) for path in (args.sets or SETS)}
    rows = [row for labelled_rows in sets.values() for row in labelled_rows]
    # Each text read once by a fresh gazetteer: words not yet seen, as in a live stream.
    fresh = Gazetteer.from_geojson(geojson, aliases)
    started = time.perf_counter()
    for text, _ in rows:
        fresh.best(text)
    per_title = (time.perf_counter() - started) / len(rows)
    print(f"title_ms={per_title * 1000:.3f} (each of {len(rows)} texts read once)")
    totals = [0, 0, 0]
    for path, labelled_rows in sets.items():
        counts = tally(built, labelled_rows, show=args.misses)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        print(f"{path.name} ({len(labelled_rows)} lines): {figures(*counts)}")
    print(figures(*totals))


if __name__ == "__main__":
    main()
