"""Sightings from spotters and sensors: validated, placed, stored; the tracker reacts to them."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import rfc8785
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select

from hanano.city import tables as city_tables
from hanano.city.model import City, city_of
from hanano.clock import canonical_time, isoformat
from hanano.errors import FieldError, Problem, conflict
from hanano.geo.position import check_position
from hanano.settings import Settings
from hanano.store.fingerprint import fingerprint, same_body
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.timestamps import Timestamp, observed_error, require_observed
from hanano.warning.events import (
    Activity,
    Aircraft,
    AlertIssued,
    SightingReported,
    SightingSource,
    TrackStarted,
    TrackUpdated,
)
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import bearing_vector, from_plane
from hanano.warning.posts import get_place
from hanano.warning.tables import sightings

# A spotter who gives a bearing but no distance sees or hears an aircraft about this far away.
DEFAULT_SIGHT_KM = 4.0
# Closer than this, a bearing says little about where the aircraft is and much about where the
# observer stands: such a sighting is taken as seen near the observer.
MIN_BEARING_KM = 1.5
# Outside the city's zones, "near the observer" is placed in a cell of this size (degrees).
GRID_DEG = 0.03
BASE_SIGMA_M = 700.0
# Spotters' bearings are good to about ten degrees; their distances to about a third.
BEARING_SIGMA_DEG = 10.0
RANGE_SIGMA_SHARE = 0.3
MIN_SIGMA_M = 150.0


class SightingIn(BaseModel):
    """What a spotter saw, or what a sensor detected (then with its confidence)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[UUID, Field(description="The sender's own UUID; a retry reuses it.")]
    observed_at: Annotated[Timestamp, Field(description="When it was seen, with offset.")]
    aircraft: Aircraft
    activity: Annotated[
        Activity,
        Field(
            description="took_off (from base_id), bearing (from the post or position), "
            "over (a neighbourhood), circling, leaving"
        ),
    ]
    post_id: Annotated[str | None, Field(max_length=40)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90, description="Observer's position.")] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    base_id: Annotated[str | None, Field(max_length=40)] = None
    bearing_deg: Annotated[
        float | None, Field(ge=0, le=360, description="From the observer to the aircraft.")
    ] = None
    heading_deg: Annotated[
        float | None, Field(ge=0, le=360, description="Where the aircraft is flying to.")
    ] = None
    pcode: Annotated[str | None, Field(max_length=20, description="Neighbourhood below.")] = None
    distance_km: Annotated[float | None, Field(gt=0, le=200)] = None
    altitude_m: Annotated[float | None, Field(ge=0, le=20_000)] = None
    text: Annotated[str | None, Field(max_length=2000)] = None
    source: SightingSource = "spotter"
    confidence: Annotated[float | None, Field(gt=0, le=1)] = None

    def body(self) -> dict[str, Any]:
        """The sighting's content as fingerprinted, to tell a retry from a reused id."""
        body = self.model_dump(mode="json")
        body["observed_at"] = self.observed_at.isoformat()
        return body

    def legacy_hash(self) -> str:
        """The unkeyed hash that sightings received before fingerprints were keyed carry."""
        return hashlib.sha256(bytes(rfc8785.dumps(self.body()))).hexdigest()


@dataclass(frozen=True)
class Estimate:
    lat: float
    lon: float
    cov: list[float]  # 2x2 row-major, metres² east/north
    reason: str

    @property
    def sigma_m(self) -> float:
        return math.sqrt(max(self.cov[0], self.cov[3]))


@dataclass
class SightingResult:
    sighting_id: str
    track_id: str | None
    decision: str
    reason: str
    alerts: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False
    seq: int | None = None  # the log index of the sighting's own event


def _problem(errors: list[FieldError]) -> Problem:
    return Problem(
        422, "Invalid sighting", "; ".join(f"{e.field} {e.message}" for e in errors), errors
    )


def check_sighting(s: SightingIn, now: datetime, settings: Settings) -> None:
    """Refuse what the schema alone cannot."""
    errors: list[FieldError] = []
    late_or_early = observed_error("observed_at", s.observed_at, now, settings)
    if late_or_early is not None:
        errors.append(late_or_early)
    if (s.lat is None) != (s.lon is None):
        errors.append(FieldError("lat", "lat and lon must be given together"))
    if s.post_id is not None and s.lat is not None:
        errors.append(FieldError("post_id", "give either a post or a position, not both"))
    if s.source == "sensor" and s.confidence is None:
        errors.append(FieldError("confidence", "a sensor must state its confidence"))
    if s.activity == "took_off" and s.base_id is None:
        errors.append(FieldError("base_id", "a take-off names the base"))
    if s.activity == "bearing" and s.bearing_deg is None:
        errors.append(FieldError("bearing_deg", "a bearing sighting gives the bearing"))
    observer = s.post_id is not None or s.lat is not None
    if s.bearing_deg is not None and not observer:
        errors.append(FieldError("bearing_deg", "a bearing needs the post or the position"))
    placed = s.base_id is not None or s.pcode is not None or observer
    if not placed:
        errors.append(FieldError("pcode", "give a base, a neighbourhood, a post or a position"))
    if errors:
        raise _problem(errors)


def estimate(
    conn: Connection, s: SightingIn, city: City, margin_km: float
) -> tuple[Estimate, float | None, float | None]:
    """Where the sighting puts the aircraft, and where the observer stood."""
    observer: tuple[float, float] | None = None
    if s.post_id is not None:
        post = get_place(conn, s.post_id)
        if post is None or post.kind != "post":
            raise _problem([FieldError("post_id", f"no observation post {s.post_id}")])
        observer = (post.lat, post.lon)
    elif s.lat is not None and s.lon is not None:
        # Spotters watch air bases far outside the city: only a position that is no place at
        # all (0,0, off the globe) is refused.
        check_position(city, math.inf, s.lat, s.lon)
        observer = (s.lat, s.lon)
    base = None
    if s.base_id is not None:
        base = get_place(conn, s.base_id)
        if base is None or base.kind != "base":
            raise _problem([FieldError("base_id", f"no air base {s.base_id}")])
    zone = None
    if s.pcode is not None:
        zone = conn.execute(
            select(city_tables.neighbourhoods).where(city_tables.neighbourhoods.c.pcode == s.pcode)
        ).first()
        if zone is None:
            raise _problem([FieldError("pcode", f"no neighbourhood {s.pcode}")])
    olat, olon = observer if observer else (None, None)
    return _aircraft_position(s, observer, base, zone, city), olat, olon


def _disc(lat: float, lon: float, sigma_m: float, reason: str) -> Estimate:
    var = sigma_m**2
    return Estimate(lat, lon, [var, 0.0, 0.0, var], reason)


def _aircraft_position(
    s: SightingIn, observer: tuple[float, float] | None, base: Any, zone: Any, city: City
) -> Estimate:
    """The best the sighting says: the base at take-off, the neighbourhood named, the post's
    bearing (and distance), the observer's own surroundings, or near the base."""
    if s.activity == "took_off" and base is not None:
        return _disc(base.lat, base.lon, BASE_SIGMA_M, f"took off from {base.name}")
    if zone is not None:
        reason = f"over {zone.name_en} ({zone.pcode})"
        return _disc(zone.centroid_lat, zone.centroid_lon, zone.radius_m, reason)
    far_enough = s.distance_km is None or s.distance_km >= MIN_BEARING_KM
    if observer is not None and s.bearing_deg is not None and far_enough:
        return _along_bearing(observer, s.bearing_deg, s.distance_km)
    if observer is not None:
        return _near_observer(observer, (s.distance_km or DEFAULT_SIGHT_KM) * 1000, city)
    return _disc(base.lat, base.lon, BASE_SIGMA_M * 4, f"near {base.name}")


def _near_observer(observer: tuple[float, float], radius_m: float, city: City) -> Estimate:
    """An aircraft seen close to the observer, without a bearing worth the name. Its estimate is
    centred on the observer's neighbourhood (or a coarse grid cell outside the city), never on
    the observer: the alerts it raises are public, and would place the post."""
    pcode = city.locate(observer[0], observer[1])
    if pcode is not None:
        zone = city.neighbourhoods[pcode]
        centre, spread = (zone.centroid_lat, zone.centroid_lon), zone.radius_m
    else:
        centre = (
            (math.floor(observer[0] / GRID_DEG) + 0.5) * GRID_DEG,
            (math.floor(observer[1] / GRID_DEG) + 0.5) * GRID_DEG,
        )
        spread = GRID_DEG * 111_320.0
    return _disc(centre[0], centre[1], math.hypot(radius_m, spread), "near the observer")


def _along_bearing(
    observer: tuple[float, float], bearing: float, distance_km: float | None
) -> Estimate:
    distance = (distance_km or DEFAULT_SIGHT_KM) * 1000
    along = max(MIN_SIGMA_M, distance * (RANGE_SIGMA_SHARE if distance_km else 0.6))
    across = max(MIN_SIGMA_M, distance * math.tan(math.radians(BEARING_SIGMA_DEG)))
    ue, un = bearing_vector(bearing)
    lat, lon = from_plane(observer[0], observer[1], ue * distance, un * distance)
    # Covariance with `along` on the bearing and `across` perpendicular to it.
    a2, c2 = along**2, across**2
    cov = [
        a2 * ue * ue + c2 * un * un,
        (a2 - c2) * ue * un,
        (a2 - c2) * ue * un,
        a2 * un * un + c2 * ue * ue,
    ]
    given = f"{distance_km:g} km" if distance_km else f"about {DEFAULT_SIGHT_KM:g} km (assumed)"
    return Estimate(lat, lon, cov, f"bearing {bearing:.0f}° at {given} from the observer")


def _replayed(
    tx: Tx, s: SightingIn, sighting_id: str, body: dict[str, Any]
) -> SightingResult | None:
    """The first result when this sighting was already received; None when it is new."""
    row = tx.conn.execute(
        select(
            sightings.c.seq, sightings.c.body_hash, sightings.c.track_id, sightings.c.track_reason
        ).where(sightings.c.sighting_id == sighting_id)
    ).first()
    if row is None:
        return None
    if not same_body(row.body_hash, tx.fingerprint_key, body, s.legacy_hash()):
        raise conflict(f"sighting {sighting_id} was already received with a different body")
    return SightingResult(
        sighting_id, row.track_id, "replayed", row.track_reason or "", replayed=True, seq=row.seq
    )


def report_sighting(tx: Tx, actor: str, s: SightingIn) -> SightingResult:
    """Store a sighting; the tracker reacts within the same transaction. Retries are answered
    with the first result."""
    require_observed("observed_at", s.observed_at, tx.now(), tx.settings)
    sighting_id = str(s.id)
    body = s.body()
    replayed = _replayed(tx, s, sighting_id, body)
    if replayed is not None:
        return replayed
    est, olat, olon = estimate(tx.conn, s, city_of(tx), tx.settings.city_margin_km)
    confidence = s.confidence if s.confidence is not None else 1.0
    # A less confident sensor says less: its position counts for less in the track.
    cov = [v / confidence for v in est.cov]
    first = len(tx.events)
    seq = tx.append(
        actor,
        SightingReported(
            sighting_id=sighting_id,
            body_hash=fingerprint(tx.fingerprint_key, body),
            observed_at=isoformat(s.observed_at),
            source=s.source,
            confidence=confidence,
            aircraft=s.aircraft,
            activity=s.activity,
            post_id=s.post_id,
            base_id=s.base_id,
            observer_lat=olat if s.post_id is None else None,
            observer_lon=olon if s.post_id is None else None,
            bearing_deg=s.bearing_deg,
            heading_deg=s.heading_deg,
            pcode=s.pcode,
            distance_km=s.distance_km,
            altitude_m=s.altitude_m,
            text=s.text,
            est_lat=est.lat,
            est_lon=est.lon,
            est_cov=cov,
            est_reason=est.reason,
        ),
    ).seq
    result = SightingResult(sighting_id, None, "stored", est.reason, seq=seq)
    return _outcome(result, tx.events[first:])


def _outcome(result: SightingResult, events: list[RecordedEvent]) -> SightingResult:
    """What the tracker and the alert engine made of the sighting, from the events it caused."""
    for event in events:
        if event.type in (TrackStarted.type, TrackUpdated.type):
            result.track_id = event.data["track_id"]
            result.decision = "started" if event.type == TrackStarted.type else "fused"
            result.reason = event.data["reason"]
        elif event.type == AlertIssued.type:
            result.alerts.append(
                {
                    "alert_id": event.data["alert_id"],
                    "level": event.data["level"],
                    "zones": [z["pcode"] for z in event.data["zones"]],
                }
            )
    return result


@HANDLERS.projects(SightingReported.type)
def _sighting_reported(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    cov = d["est_cov"]
    conn.execute(
        sightings.insert().values(
            sighting_id=d["sighting_id"],
            seq=event.seq,
            body_hash=d["body_hash"],
            observed_at=canonical_time(d["observed_at"]),
            received_at=event.time,
            source=d["source"],
            confidence=d["confidence"],
            aircraft=d["aircraft"],
            activity=d["activity"],
            post_id=d["post_id"],
            base_id=d["base_id"],
            pcode=d["pcode"],
            bearing_deg=d["bearing_deg"],
            heading_deg=d["heading_deg"],
            distance_km=d["distance_km"],
            altitude_m=d["altitude_m"],
            est_lat=d["est_lat"],
            est_lon=d["est_lon"],
            est_sigma_m=math.sqrt(max(cov[0], cov[3])),
            est_reason=d["est_reason"],
            actor=event.actor,
        )
    )
