"""Tracks: sightings of one aircraft fused by a constant-velocity Kalman filter.

The state is position and velocity; its covariance is the uncertainty every later decision
widens by. A sighting joins the live track it is most consistent with: same aircraft type (or
one of them unknown), and within reach of the track's prediction given the type's top speed and
both uncertainties (a Mahalanobis gate). A take-off always starts a new track. A track that no
sighting has confirmed for `track_timeout_min` ends, with that reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from hanano.clock import canonical_time, isoformat, parse_iso
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.warning.events import SightingReported, TrackEnded, TrackStarted, TrackUpdated
from hanano.warning.handlers import HANDLERS
from hanano.warning.plane import compass, from_plane, logged_json, to_plane
from hanano.warning.tables import sightings, tracks

ACTOR = "hanano:warning"
Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Profile:
    """Speeds (m/s) of a type of aircraft over the city, and how hard it manoeuvres (m/s²)."""

    min_mps: float
    typical_mps: float
    max_mps: float
    accel: float


PROFILES: dict[str, Profile] = {
    "helicopter": Profile(25.0, 55.0, 80.0, 1.5),
    "fixed_wing": Profile(90.0, 160.0, 250.0, 5.0),
    "drone": Profile(10.0, 30.0, 60.0, 1.0),
    "unknown": Profile(10.0, 55.0, 250.0, 5.0),
}
# 99.9 % of a two-dimensional normal lies within this squared Mahalanobis distance.
GATE_CHI2 = 13.8
CIRCLING_SIGMA_MPS = 10.0


def profile(aircraft: str) -> Profile:
    return PROFILES.get(aircraft, PROFILES["unknown"])


@dataclass
class TrackState:
    """Position (lat, lon), velocity (east, north m/s), 4x4 covariance in metres, at a time."""

    lat: float
    lon: float
    vel: Matrix
    cov: Matrix

    @classmethod
    def start(cls, lat: float, lon: float, pos_cov: list[float], aircraft: str) -> TrackState:
        speed = profile(aircraft).typical_mps
        cov = np.zeros((4, 4))
        cov[:2, :2] = np.array(pos_cov, dtype=float).reshape(2, 2)
        cov[2, 2] = cov[3, 3] = speed**2
        return cls(lat, lon, np.zeros(2), cov)

    @classmethod
    def load(cls, state: list[float], cov: list[float]) -> TrackState:
        return cls(
            state[0], state[1], np.array(state[2:4], dtype=float), np.array(cov).reshape(4, 4)
        )

    def dump(self) -> tuple[list[float], list[float]]:
        state = [self.lat, self.lon, float(self.vel[0]), float(self.vel[1])]
        return [round(v, 9) for v in state], [round(float(v), 6) for v in self.cov.flatten()]

    def predict(self, dt: float, accel: float, max_speed: float = 250.0) -> TrackState:
        """Where the aircraft is expected `dt` seconds on, with grown uncertainty."""
        if dt <= 0:
            return TrackState(self.lat, self.lon, self.vel.copy(), self.cov.copy())
        f = np.eye(4)
        f[0, 2] = f[1, 3] = dt
        q1 = np.array([[dt**4 / 4, dt**3 / 2], [dt**3 / 2, dt**2]]) * accel**2
        q = np.zeros((4, 4))
        q[np.ix_([0, 2], [0, 2])] = q1
        q[np.ix_([1, 3], [1, 3])] = q1
        lat, lon = from_plane(self.lat, self.lon, float(self.vel[0]) * dt, float(self.vel[1]) * dt)
        return TrackState(lat, lon, self.vel.copy(), f @ self.cov @ f.T + q).bounded(
            self.position_sigma + max_speed * dt, max_speed
        )

    def bounded(self, max_position_sigma: float, max_speed: float) -> TrackState:
        """No wider than physics allows: over a long gap the white-noise model would let the
        aircraft be farther than its top speed can carry it."""
        cov = self.cov.copy()
        for block, limit in ((slice(0, 2), max_position_sigma), (slice(2, 4), max_speed)):
            worst = float(np.linalg.eigvalsh(cov[block, block]).max())
            if worst > limit**2:
                scale = math.sqrt(limit**2 / worst)
                cov[block, :] *= scale
                cov[:, block] *= scale
        return TrackState(self.lat, self.lon, self.vel, cov)

    def innovation(self, lat: float, lon: float, pos_cov: list[float]) -> tuple[Matrix, Matrix]:
        y = np.array(to_plane(self.lat, self.lon, lat, lon))
        s = self.cov[:2, :2] + np.array(pos_cov, dtype=float).reshape(2, 2)
        return y, s

    def mahalanobis2(self, lat: float, lon: float, pos_cov: list[float]) -> float:
        y, s = self.innovation(lat, lon, pos_cov)
        return float(y @ np.linalg.solve(s, y))

    def update_position(self, lat: float, lon: float, pos_cov: list[float]) -> TrackState:
        y, s = self.innovation(lat, lon, pos_cov)
        h = np.zeros((2, 4))
        h[0, 0] = h[1, 1] = 1.0
        return self._update(h, y, s)

    def update_velocity(self, vel: Matrix, vel_cov: Matrix) -> TrackState:
        h = np.zeros((2, 4))
        h[0, 2] = h[1, 3] = 1.0
        y = vel - self.vel
        s = self.cov[2:, 2:] + vel_cov
        return self._update(h, y, s)

    def _update(self, h: Matrix, y: Matrix, s: Matrix) -> TrackState:
        gain = self.cov @ h.T @ np.linalg.inv(s)
        dx = gain @ y
        lat, lon = from_plane(self.lat, self.lon, float(dx[0]), float(dx[1]))
        cov = (np.eye(4) - gain @ h) @ self.cov
        return TrackState(lat, lon, self.vel + dx[2:], (cov + cov.T) / 2)

    def clamp_speed(self, max_mps: float) -> TrackState:
        speed = self.speed
        if speed <= max_mps:
            return self
        return TrackState(self.lat, self.lon, self.vel * (max_mps / speed), self.cov)

    @property
    def speed(self) -> float:
        return float(np.hypot(self.vel[0], self.vel[1]))

    @property
    def position_sigma(self) -> float:
        """Radius of one standard deviation along the worst axis (metres)."""
        return math.sqrt(float(np.linalg.eigvalsh(self.cov[:2, :2]).max()))

    @property
    def speed_sigma(self) -> float:
        return math.sqrt(float(np.linalg.eigvalsh(self.cov[2:, 2:]).max()))

    @property
    def heading(self) -> float | None:
        """Compass heading, or None while the velocity is no better known than its own size."""
        if self.speed < 1.0 or self.speed_sigma > self.speed:
            return None
        return compass(float(self.vel[0]), float(self.vel[1]))

    @property
    def heading_sigma_deg(self) -> float:
        if self.speed < 1.0:
            return 180.0
        return min(180.0, math.degrees(math.atan2(self.speed_sigma, self.speed)))


def heading_measurement(heading_deg: float, aircraft: str) -> tuple[Matrix, Matrix]:
    """A stated heading as a velocity: the typical speed along it, the speed range as its
    along-track spread and about fifteen degrees across."""
    p = profile(aircraft)
    ue, un = math.sin(math.radians(heading_deg)), math.cos(math.radians(heading_deg))
    along = (p.max_mps - p.min_mps) / 2
    across = p.typical_mps * math.sin(math.radians(15))
    u = np.array([[ue, -un], [un, ue]])
    cov = u @ np.diag([along**2, across**2]) @ u.T
    return np.array([ue, un]) * p.typical_mps, cov


@dataclass(frozen=True)
class LiveTrack:
    track_id: str
    aircraft: str
    at: str
    state: TrackState
    activity: str
    overhead_pcode: str | None
    circling: bool


def live_tracks(conn: Connection) -> list[LiveTrack]:
    rows = conn.execute(
        select(tracks).where(tracks.c.status == "live").order_by(tracks.c.number)
    ).all()
    return [
        LiveTrack(
            r.track_id,
            r.aircraft,
            r.at,
            TrackState.load(json.loads(r.state), json.loads(r.cov)),
            r.activity,
            r.overhead_pcode,
            bool(r.circling),
        )
        for r in rows
    ]


def compatible(a: str, b: str) -> bool:
    return a == b or "unknown" in (a, b)


def _next_track_id(conn: Connection) -> str:
    number = (conn.execute(select(func.max(tracks.c.number))).scalar() or 0) + 1
    return f"TRK-{number}"


def _number(track_id: str) -> int:
    return int(track_id.split("-", 1)[1])


@HANDLERS.reacts_to(SightingReported.type)
def fuse_sighting(tx: Tx, event: RecordedEvent) -> None:
    """Fuse the sighting into the most consistent live track, or start one."""
    d = event.data
    at = parse_iso(d["observed_at"])
    cfg = tx.settings
    if tx.now() - at > timedelta(minutes=cfg.track_timeout_min):
        # Seen longer ago than a track lives: kept in the log as evidence, but it places no
        # aircraft now, and must not raise a fresh alert (a captured token replaying old
        # sightings would otherwise sound alarms at will).
        return
    best: tuple[float, LiveTrack, TrackState] | None = None
    if d["activity"] != "took_off":
        for track in live_tracks(tx.conn):
            if not compatible(track.aircraft, d["aircraft"]):
                continue
            last = parse_iso(track.at)
            if (at - last) > timedelta(minutes=cfg.track_timeout_min):
                continue
            p = profile(d["aircraft"] if track.aircraft == "unknown" else track.aircraft)
            predicted = track.state.predict((at - last).total_seconds(), p.accel, p.max_mps)
            d2 = predicted.mahalanobis2(d["est_lat"], d["est_lon"], d["est_cov"])
            reach = p.max_mps * max(0.0, (at - last).total_seconds())
            gap = math.hypot(
                *to_plane(track.state.lat, track.state.lon, d["est_lat"], d["est_lon"])
            )
            slack = 3 * math.sqrt(
                track.state.position_sigma**2 + max(d["est_cov"][0], d["est_cov"][3])
            )
            if d2 > GATE_CHI2 or gap > reach + slack:
                continue
            if best is None or d2 < best[0]:
                best = (d2, track, predicted)
    if best is None:
        _start(tx, d, at)
    else:
        _fuse(tx, d, at, best[1], best[2], best[0])


def _start(tx: Tx, d: dict[str, Any], at: datetime) -> None:
    data = dict(d)
    track_id = _next_track_id(tx.conn)
    aircraft = str(data["aircraft"])
    state = TrackState.start(
        float(data["est_lat"]),
        float(data["est_lon"]),
        list(data["est_cov"]),
        aircraft,
    )
    state = _apply_activity(state, data, aircraft)
    dumped, cov = state.dump()
    why = (
        "took off: a new aircraft airborne"
        if data["activity"] == "took_off"
        else "no live track of a compatible type within reach"
    )
    tx.append(
        ACTOR,
        TrackStarted(
            track_id=track_id,
            sighting_id=str(data["sighting_id"]),
            aircraft=aircraft,
            at=str(data["observed_at"]),
            state=dumped,
            cov=cov,
            lat=state.lat,
            lon=state.lon,
            circling=data["activity"] == "circling",
            reason=f"Started: {why} ({data['est_reason']})",
        ),
    )
    if data["activity"] == "leaving":
        tx.append(ACTOR, TrackEnded(track_id=track_id, reason="seen leaving"))


def _apply_activity(state: TrackState, d: dict[str, Any], aircraft: str) -> TrackState:
    heading = d.get("heading_deg")
    if d["activity"] == "circling":
        return state.update_velocity(np.zeros(2), np.eye(2) * CIRCLING_SIGMA_MPS**2)
    if isinstance(heading, int | float):
        vel, vel_cov = heading_measurement(float(heading), aircraft)
        state = state.update_velocity(vel, vel_cov)
    return state.clamp_speed(profile(aircraft).max_mps)


def _fuse(
    tx: Tx, d: dict[str, Any], at: datetime, track: LiveTrack, predicted: TrackState, d2: float
) -> None:
    aircraft = track.aircraft if d["aircraft"] == "unknown" else str(d["aircraft"])
    state = predicted.update_position(
        float(d["est_lat"]),
        float(d["est_lon"]),
        list(d["est_cov"]),
    )
    state = _apply_activity(state, d, aircraft)
    dumped, cov = state.dump()
    observed = str(d["observed_at"])
    at_text = max(observed, track.at)
    tx.append(
        ACTOR,
        TrackUpdated(
            track_id=track.track_id,
            sighting_id=str(d["sighting_id"]),
            aircraft=aircraft,
            at=at_text,
            state=dumped,
            cov=cov,
            lat=state.lat,
            lon=state.lon,
            speed_mps=round(state.speed, 2),
            heading_deg=None if state.heading is None else round(state.heading, 1),
            position_sigma_m=round(state.position_sigma, 1),
            circling=d["activity"] == "circling",
            reason=(
                f"Fused into {track.track_id}: {d['aircraft']} consistent with its "
                f"{track.aircraft} track (Mahalanobis² {d2:.1f}, gate {GATE_CHI2:g}); "
                f"{d['est_reason']}"
            ),
        ),
    )
    if d["activity"] == "leaving":
        tx.append(ACTOR, TrackEnded(track_id=track.track_id, reason="seen leaving"))


@HANDLERS.on_tick
def end_silent_tracks(tx: Tx) -> None:
    """End every live track no sighting has confirmed for the configured time."""
    limit = tx.settings.track_timeout_min
    cutoff = isoformat(tx.now() - timedelta(minutes=limit))
    stale = tx.conn.execute(
        select(tracks.c.track_id, tracks.c.at)
        .where(tracks.c.status == "live", tracks.c.at < cutoff)
        .order_by(tracks.c.number)
    ).all()
    for row in stale:
        tx.append(
            ACTOR,
            TrackEnded(
                track_id=row.track_id,
                reason=f"no sighting since {row.at} ({limit:g} min without one)",
            ),
        )


# --- projections --------------------------------------------------------------------------


def _activity(conn: Connection, sighting_id: str) -> tuple[str, str | None]:
    row = conn.execute(
        select(sightings.c.activity, sightings.c.pcode).where(
            sightings.c.sighting_id == sighting_id
        )
    ).first()
    if row is None:
        return "unknown", None
    return row.activity, row.pcode if row.activity in ("over", "circling") else None


@HANDLERS.projects(TrackStarted.type)
def _track_started(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    state = TrackState.load(d["state"], d["cov"])
    activity, overhead = _activity(conn, d["sighting_id"])
    conn.execute(
        tracks.insert().values(
            track_id=d["track_id"],
            number=_number(d["track_id"]),
            aircraft=d["aircraft"],
            status="live",
            started_at=canonical_time(d["at"]),
            at=canonical_time(d["at"]),
            state=logged_json(event, "state"),
            cov=logged_json(event, "cov"),
            lat=d["lat"],
            lon=d["lon"],
            speed_mps=round(state.speed, 2),
            heading_deg=None,
            sigma_m=round(state.position_sigma, 1),
            circling=int(d["circling"]),
            activity=activity,
            overhead_pcode=overhead,
            sighting_count=1,
        )
    )
    _link(conn, d["sighting_id"], d["track_id"], d["reason"])


@HANDLERS.projects(TrackUpdated.type)
def _track_updated(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    activity, overhead = _activity(conn, d["sighting_id"])
    conn.execute(
        tracks.update()
        .where(tracks.c.track_id == d["track_id"])
        .values(
            aircraft=d["aircraft"],
            at=canonical_time(d["at"]),
            state=logged_json(event, "state"),
            cov=logged_json(event, "cov"),
            lat=d["lat"],
            lon=d["lon"],
            speed_mps=d["speed_mps"],
            heading_deg=d["heading_deg"],
            sigma_m=d["position_sigma_m"],
            circling=int(d["circling"]),
            activity=activity,
            overhead_pcode=overhead,
            sighting_count=tracks.c.sighting_count + 1,
        )
    )
    _link(conn, d["sighting_id"], d["track_id"], d["reason"])


@HANDLERS.projects(TrackEnded.type)
def _track_ended(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        tracks.update()
        .where(tracks.c.track_id == d["track_id"])
        .values(status="ended", ended_at=event.time, end_reason=d["reason"])
    )


def _link(conn: Connection, sighting_id: str, track_id: str, reason: str) -> None:
    conn.execute(
        sightings.update()
        .where(sightings.c.sighting_id == sighting_id)
        .values(track_id=track_id, track_reason=reason)
    )
