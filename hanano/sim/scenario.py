"""A bombardment day built from real impact sites, as the reports that would have come in.

Human Rights Watch dates each site only by the window between two satellite images, so a
scenario picks air-strike sites from one window and spreads them over a single day. Each strike
draws one to several reports, as in the field: a crew that heard it, bystanders, a spotter, a
hospital counting the wounded, some by name of the neighbourhood alone, some repeating earlier
ones with higher counts.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

AIR_STRIKE = "Air Strike / Missile (SSM)"
ARABIC_TEMPLATES = (
    "برميل متفجر على {name}، {trapped} عالقون تحت الأنقاض",
    "غارة جوية في حي {name}",
    "قصف على {name} ودمار كبير",
    "انهيار بناء في {name} بعد البرميل",
)
ENGLISH_TEMPLATES = (
    "Barrel bomb hit {name}, building down",
    "Airstrike in {name}, people under the rubble",
    "Strike near {name}, {trapped} trapped",
)


@dataclass(frozen=True)
class ImpactSite:
    lat: float
    lon: float
    window_start: date
    window_end: date
    cause: str


@dataclass(frozen=True)
class ScheduledReport:
    at: datetime
    body: dict[str, Any]


def load_impact_sites() -> list[ImpactSite]:
    text = resources.files("hanano.sim").joinpath("data/hrw_impact_sites.csv").read_text("utf-8")
    sites = []
    for row in csv.DictReader(io.StringIO(text)):
        sites.append(
            ImpactSite(
                lat=float(row["Lat"]),
                lon=float(row["Long"]),
                window_start=datetime.strptime(row["DatePeriodStart"], "%m/%d/%y").date(),
                window_end=datetime.strptime(row["DatePeriodEnd"], "%m/%d/%y").date(),
                cause=row["DamageCause"],
            )
        )
    return sites


def bombardment_day(
    sites: list[ImpactSite],
    names: dict[str, str],
    locate: Any,
    day: date = date(2014, 2, 13),
    strikes: int = 60,
    seed: int = 2014,
) -> list[ScheduledReport]:
    """Reports for `strikes` air strikes on sites whose window holds `day`, in time order.

    `names` maps P-code to an Arabic name and `locate(lat, lon)` gives a point's P-code, so
    text-only reports name the right neighbourhood.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible scenario, not a secret
    pool = [s for s in sites if s.cause == AIR_STRIKE and s.window_start <= day <= s.window_end]
    chosen = rng.sample(pool, min(strikes, len(pool)))
    start = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 06:00 in Aleppo
    plan: list[ScheduledReport] = []
    for site in chosen:
        strike_at = start + timedelta(seconds=rng.uniform(0, 15 * 3600))
        plan.extend(_reports_for(site, strike_at, names, locate, rng))
    plan.sort(key=lambda r: r.at)
    return plan


def _reports_for(
    site: ImpactSite, strike_at: datetime, names: dict[str, str], locate: Any, rng: random.Random
) -> list[ScheduledReport]:
    pcode = locate(site.lat, site.lon)
    name = names.get(pcode, "")
    trapped = rng.choice([0, 0, 1, 2, 3, 5, 8])
    casualties = rng.choice([0, 1, 2, 4, 7, 12])
    out: list[ScheduledReport] = []
    count = rng.choice([1, 2, 2, 3, 3, 4, 5])
    for n in range(count):
        delay = timedelta(seconds=rng.uniform(20, 180) + n * rng.uniform(60, 400))
        observed = strike_at + timedelta(seconds=rng.uniform(0, 30))
        body: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "kind": "strike" if n == 0 else rng.choice(["strike", "collapse", "trapped"]),
            "observed_at": observed.isoformat(),
            "source": rng.choice(["team", "citizen", "citizen", "spotter", "radio_log"]),
        }
        if name and rng.random() < 0.3:
            template = rng.choice(ARABIC_TEMPLATES)
            body["text"] = template.format(name=name, trapped=max(trapped, 1))
        else:
            # Phone fixes scatter around the site by tens of metres.
            body["lat"] = round(site.lat + rng.gauss(0, 0.0003), 6)
            body["lon"] = round(site.lon + rng.gauss(0, 0.0003), 6)
            body["accuracy_m"] = float(rng.choice([10, 20, 35, 50]))
            if rng.random() < 0.3:
                body["text"] = rng.choice(ENGLISH_TEMPLATES).format(
                    name=name or "the market", trapped=max(trapped, 1)
                )
        # Later reports often carry higher counts: the escalation that must not be suppressed.
        if trapped and rng.random() < 0.6:
            body["trapped"] = trapped + n
        if casualties and rng.random() < 0.5:
            body["casualties"] = casualties + 2 * n
        if n > 0 and rng.random() < 0.3:
            body["source"] = "hospital"
        out.append(ScheduledReport(at=strike_at + delay, body=body))
    return out
