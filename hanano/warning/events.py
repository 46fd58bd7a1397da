"""The events of early warning: posts, sightings, tracks, threat zones, alerts, sirens, feeds.

`AlertIssued` ("warning.alert_issued") is the contract other domains build on: dispatch reacts
to it to pull rescuers back from sites under threat. Its data always carries `alert_id`, `level`
("watch" | "warning" | "imminent" | "all_clear"), `zones` (each with its `pcode`) and
`references` (the alert ids it updates or ends); other fields may be added, never removed. From
version 2 a zone is named by its P-code alone: its names and outline are the city model's
(`hanano.city.model.alert_outline`), looked up when the alert is read; version 1 zones also
carried `name_en`, `name_ar` and `polygon` ([[lon, lat], ...]), which readers still use. A
cancel (`msg_type` "Cancel") carries level "all_clear": its zones stand at no alert afterwards,
like after an all-clear. `source` says whether the engine or an operator
issued it (older alerts lack it: the engine's).

An observation post is a target if the other side learns where it is, so its name and exact
position, and where a spotter stood, enter the log only as salted commitments.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from hanano.events import (
    ACCESS_RECORDS,
    EVERYONE,
    NOBODY,
    OPERATIONAL,
    OPERATIONS,
    OPERATORS,
    Audience,
    Event,
    readable_by,
    register,
)

Aircraft = Literal["helicopter", "fixed_wing", "drone", "unknown"]
Activity = Literal["took_off", "bearing", "over", "circling", "leaving"]
SightingSource = Literal["spotter", "sensor", "radio_log"]
Level = Literal["watch", "warning", "imminent", "all_clear"]
ThreatLevel = Literal["watch", "warning", "imminent"]
MsgType = Literal["Alert", "Update", "Cancel"]
AlertSource = Literal["engine", "operator"]

# A sighting's bearing, distance and the position derived from them lead back to the post it was
# made from: only the operators read them, and they enter the log as salted commitments. Nobody
# reads the idempotency fingerprint: it never leaves the server.
POST_REVEALING = frozenset(
    {
        "observer_lat",
        "observer_lon",
        "bearing_deg",
        "distance_km",
        "est_lat",
        "est_lon",
        "est_cov",
        "est_reason",
        "text",
    }
)
SIGHTING_AUDIENCE = readable_by(
    OPERATIONS,
    own=frozenset({"spotter"}),
    fields={**dict.fromkeys(POST_REVEALING, OPERATORS), "body_hash": NOBODY},
)
# A new track's covariance lies along the first sighting's bearing and grows with its distance,
# and its reason quotes both: together with its position they would place the post.
TRACK_REVEALING = frozenset({"cov", "reason"})
TRACK_AUDIENCE = readable_by(OPERATIONS, fields=dict.fromkeys(TRACK_REVEALING, OPERATORS))


@register
class ObservationPostRegistered(Event):
    type: ClassVar[str] = "warning.post_registered"
    # Spotters read the posts' ids, to report from theirs; only operators read where they are.
    audience: ClassVar[Audience] = readable_by(
        OPERATORS | {"auditor", "spotter"},
        fields=dict.fromkeys(("name", "lat", "lon"), OPERATORS),
    )
    sensitive: ClassVar[frozenset[str]] = frozenset({"name", "lat", "lon"})
    post_id: str
    name: str
    lat: float
    lon: float


@register
class AirBaseRegistered(Event):
    """A known air base: where sorties come from. Public knowledge, so nothing is sealed."""

    type: ClassVar[str] = "warning.air_base_registered"
    audience: ClassVar[Audience] = readable_by(OPERATIONS | {"spotter"})
    base_id: str
    name: str
    name_ar: str
    lat: float
    lon: float


@register
class SightingReported(Event):
    """What a spotter or sensor saw, as given, with the aircraft position derived from it.

    `est_*` is the position the sighting implies (from the base, the post and bearing, the
    neighbourhood named, or the observer's own place) and its uncertainty as a 2x2 covariance in
    metres² east/north; `est_reason` says which.
    """

    type: ClassVar[str] = "warning.sighting_reported"
    audience: ClassVar[Audience] = SIGHTING_AUDIENCE
    sensitive: ClassVar[frozenset[str]] = POST_REVEALING | {"body_hash"}
    sighting_id: str
    body_hash: str
    observed_at: str
    source: SightingSource
    confidence: float
    aircraft: Aircraft
    activity: Activity
    post_id: str | None
    base_id: str | None
    observer_lat: float | None
    observer_lon: float | None
    bearing_deg: float | None
    heading_deg: float | None
    pcode: str | None
    distance_km: float | None
    altitude_m: float | None
    text: str | None
    est_lat: float
    est_lon: float
    est_cov: list[float]
    est_reason: str


@register
class TrackStarted(Event):
    """Sightings of an aircraft not matching any live track start one. The state is the filter's:
    [lat, lon, v_east, v_north] (degrees, metres per second) and its 4x4 covariance in metres and
    metres per second east/north, row-major."""

    type: ClassVar[str] = "warning.track_started"
    audience: ClassVar[Audience] = TRACK_AUDIENCE
    sensitive: ClassVar[frozenset[str]] = TRACK_REVEALING
    track_id: str
    sighting_id: str
    aircraft: Aircraft
    at: str
    state: list[float]
    cov: list[float]
    lat: float
    lon: float
    circling: bool
    reason: str


@register
class TrackUpdated(Event):
    type: ClassVar[str] = "warning.track_updated"
    audience: ClassVar[Audience] = TRACK_AUDIENCE
    sensitive: ClassVar[frozenset[str]] = TRACK_REVEALING
    track_id: str
    sighting_id: str
    aircraft: Aircraft
    at: str
    state: list[float]
    cov: list[float]
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float | None
    position_sigma_m: float
    circling: bool
    reason: str


@register
class TrackEnded(Event):
    type: ClassVar[str] = "warning.track_ended"
    audience: ClassVar[Audience] = OPERATIONAL
    track_id: str
    reason: str


@register
class ThreatAssessed(Event):
    """Where a threat (a track, or a foreign agency's alert) may strike in the next minutes.

    Each zone: pcode, level, eta_min_s/eta_max_s (None when overhead), strikes (the incidents of
    kind strike logged there: the prior) and rank. An empty list means the threat is gone.
    """

    type: ClassVar[str] = "warning.threat_assessed"
    audience: ClassVar[Audience] = OPERATIONAL
    threat_id: str
    zones: list[dict[str, Any]]
    reason: str
    # The reason as a code and its values, for the reader's language (none on older events and
    # on foreign alerts' threats); it holds nothing the English reason does not.
    reason_parts: dict[str, Any] | None = None
    # A track's model (threat_model.SiteModel), from which a rescue site gets its own
    # probability; none on older events, on foreign alerts' threats and when a threat ends.
    model: dict[str, Any] | None = None


@register
class AlertIssued(Event):
    """An alert to the public and to rescuers, in Arabic and English. Its zones are named by
    P-code (version 1 zones also carried their names and outlines). See the module docstring for
    the fields other domains rely on."""

    type: ClassVar[str] = "warning.alert_issued"
    # 2: zones no longer carry the city's names and outlines, so that an alert over a whole city
    # stays a log entry a mirror's tile can carry.
    version: ClassVar[int] = 2
    audience: ClassVar[Audience] = readable_by(EVERYONE)
    alert_id: str
    level: Level
    msg_type: MsgType
    sent: str
    expires: str
    zones: list[dict[str, Any]]
    references: list[str]
    cap_references: list[str]
    threat_ids: list[str]
    headline_en: str
    headline_ar: str
    description_en: str
    description_ar: str
    instruction_en: str
    instruction_ar: str
    reason: str
    source: AlertSource = "engine"
    # The engine's reason as a code and its values, for the reader's language; nothing the
    # English reason does not hold (so every role that reads the reason may read it).
    reason_parts: dict[str, Any] | None = None


@register
class SirenRegistered(Event):
    """A siren and the zones it sounds for; registering it again replaces its zones."""

    type: ClassVar[str] = "warning.siren_registered"
    audience: ClassVar[Audience] = readable_by(OPERATIONS | {"spotter"})
    siren_id: str
    pcodes: list[str]


@register
class ForeignAlertReceived(Event):
    """Another agency's CAP alert, as parsed, kept whole so its threat can be explained."""

    type: ClassVar[str] = "warning.foreign_alert_received"
    audience: ClassVar[Audience] = OPERATIONAL
    foreign_id: str
    sender: str
    identifier: str
    sent: str | None
    expires: str | None
    msg_type: str
    urgency: str | None
    severity: str | None
    headline: str | None
    pcodes: list[str]
    raw_sha256: str
    # The SHA-256 of the certificate whose signature on the alert was verified; None when its
    # feed or partner has no certificate. Older entries lack it, so the version stays 1.
    signed_by: str | None = None
    # Each <info>'s headline by its CAP language tag, for the reader's language; older entries
    # lack it (then `headline`, the first info's, is all there is).
    headlines: dict[str, str] | None = None


RefusalSource = Literal["feed", "import-cap", "api"]


@register
class ForeignAlertRefused(Event):
    """A foreign CAP document from a feed or partner with a signing certificate, refused because
    its enveloped XML-DSig signature, digest or certificate did not check out. Nothing in it was
    acted on: no threat, no alert, no pull-back, no all-clear. `claimed_sender` and
    `claimed_identifier` are what the unverified document says, for the operators to recognise
    it; `url` is where a feed fetched it."""

    type: ClassVar[str] = "warning.foreign_alert_refused"
    audience: ClassVar[Audience] = readable_by(OPERATORS | {"auditor"})
    source: RefusalSource
    feed_id: str | None
    url: str | None
    document_sha256: str
    cert_sha256: str
    reason: str
    claimed_sender: str | None
    claimed_identifier: str | None


@register
class ForeignFeedAdded(Event):
    """An operator asked for another agency's CAP feed to be fetched and imported; with the
    agency's signing certificate (PEM, and its SHA-256 fingerprint), each of its alerts must be
    signed with it. Certificates are public. Older entries lack them, so the version stays 1."""

    type: ClassVar[str] = "warning.foreign_feed_added"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    feed_id: str
    url: str
    cert_pem: str | None = None
    cert_sha256: str | None = None


@register
class ForeignFeedRemoved(Event):
    type: ClassVar[str] = "warning.foreign_feed_removed"
    audience: ClassVar[Audience] = ACCESS_RECORDS
    feed_id: str
    reason: str
