"""Calibration of the threat model: is a zone given probability p struck about p of the time?

Each threat assessment in the log gives every zone it names a probability of a strike there
within the warning horizon. Sampled every minute of the day, each zone's probability is the
combination of the latest assessment of every live threat (1 − ∏(1 − p)), or 0 when none names
it; the outcome is whether a strike fell in that zone within the horizon after the sample. The
reliability table bins the samples by probability; the Brier score is their mean squared error.
Samples with probability 0 are counted too (a strike no threat foresaw is a miss of the model),
and the table says how many there were.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hanano.clock import parse_iso

BIN_EDGES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    samples: int
    mean_p: float
    observed: float


@dataclass(frozen=True)
class Calibration:
    samples: int
    positives: int
    brier: float
    # The Brier score of the samples some threat gave a probability above 0.
    brier_threatened: float
    threatened: int
    bins: list[Bin]

    @property
    def base_rate(self) -> float:
        return self.positives / self.samples if self.samples else math.nan

    @property
    def skill(self) -> float:
        """The Brier skill score against always saying the base rate (0: no better, 1: perfect):
        strikes are rare per zone and minute, so a Brier score alone looks good for any model."""
        reference = self.base_rate * (1 - self.base_rate)
        return 1 - self.brier / reference if reference > 0 else math.nan

    def table(self) -> str:
        lines = ["| p from | p to | samples | mean p | observed |", "|---:|---:|---:|---:|---:|"]
        for b in self.bins:
            lines.append(
                f"| {b.low:.2f} | {b.high:.2f} | {b.samples} | {b.mean_p:.3f} | {b.observed:.3f} |"
            )
        return "\n".join(lines)

    def line(self) -> str:
        return (
            f"brier={self.brier:.5f} skill={self.skill:.3f} base_rate={self.base_rate:.4f} "
            f"brier_threatened={self.brier_threatened:.5f} "
            f"samples={self.samples} threatened={self.threatened} positives={self.positives}"
        )


Assessment = tuple[datetime, str, dict[str, float]]


def assessments(events: Iterable[Any]) -> list[Assessment]:
    """(time, threat id, probability per zone) from the log's threat assessments."""
    found: list[Assessment] = []
    for event in events:
        if event.type != "warning.threat_assessed":
            continue
        zones = {
            z["pcode"]: float(z.get("probability", z.get("p_target", 0.0)))
            for z in event.data["zones"]
        }
        found.append((parse_iso(event.time), event.data["threat_id"], zones))
    return found


def zone_samples(
    found: list[Assessment], start: datetime, end: datetime, step: timedelta, pcodes: list[str]
) -> list[tuple[datetime, str, float]]:
    """Every zone's combined probability at each step from `start` to `end`."""
    samples: list[tuple[datetime, str, float]] = []
    live: dict[str, dict[str, float]] = {}
    index = 0
    at = start
    while at <= end:
        while index < len(found) and found[index][0] <= at:
            _, threat_id, zones = found[index]
            if zones:
                live[threat_id] = zones
            else:
                live.pop(threat_id, None)
            index += 1
        for pcode in pcodes:
            miss = 1.0
            for zones in live.values():
                miss *= 1.0 - zones.get(pcode, 0.0)
            samples.append((at, pcode, 1.0 - miss))
        at += step
    return samples


def calibrate(
    samples: list[tuple[datetime, str, float]],
    strikes: list[dict[str, Any]],
    horizon: timedelta,
    edges: tuple[float, ...] = BIN_EDGES,
) -> Calibration:
    """Each sample's probability against whether its zone was struck within `horizon`."""
    struck: dict[str, list[datetime]] = {}
    for s in strikes:
        if s.get("pcode"):
            struck.setdefault(s["pcode"], []).append(parse_iso(s["at"]))
    counts = [0 for _ in edges[:-1]]
    totals = [0.0 for _ in edges[:-1]]
    hits = [0 for _ in edges[:-1]]
    square = square_threatened = 0.0
    positives = threatened = 0
    for at, pcode, p in samples:
        hit = any(at < t <= at + horizon for t in struck.get(pcode, ()))
        positives += hit
        error = (p - hit) ** 2
        square += error
        if p > 0:
            threatened += 1
            square_threatened += error
        k = _bin(p, edges)
        counts[k] += 1
        totals[k] += p
        hits[k] += hit
    bins = [
        Bin(
            edges[k],
            edges[k + 1],
            n,
            totals[k] / n if n else math.nan,
            hits[k] / n if n else math.nan,
        )
        for k, n in enumerate(counts)
    ]
    return Calibration(
        samples=len(samples),
        positives=positives,
        brier=square / len(samples) if samples else math.nan,
        brier_threatened=square_threatened / threatened if threatened else math.nan,
        threatened=threatened,
        bins=bins,
    )


def _bin(p: float, edges: tuple[float, ...]) -> int:
    for k in range(len(edges) - 1):
        if p < edges[k + 1]:
            return k
    return len(edges) - 2


def of_replay(
    events: Iterable[Any],
    strikes: list[dict[str, Any]],
    pcodes: list[str],
    horizon: timedelta,
    step: timedelta = timedelta(minutes=1),
) -> Calibration:
    """The calibration of a replayed day: every zone sampled each `step` from the first threat
    assessment to the last, against the scenario's strikes."""
    found = assessments(events)
    if not found:
        return calibrate([], strikes, horizon)
    samples = zone_samples(found, found[0][0], found[-1][0], step, pcodes)
    return calibrate(samples, strikes, horizon)
