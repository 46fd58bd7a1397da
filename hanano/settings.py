"""Every setting in one registry, read from HANANO_* environment variables."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hanano.timestamps import Timestamp


class Settings(BaseSettings):
    """hanano's settings; each field is read from the environment as HANANO_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="HANANO_", extra="ignore")

    database_url: str = Field(
        "sqlite:///hanano.db",
        description=(
            "SQLAlchemy URL of the store: sqlite:///PATH (WAL, synchronous=FULL) or "
            "postgresql://...; `hanano --db URL` overrides it."
        ),
    )
    city: str = Field(
        "aleppo",
        description=(
            "The city's name: in MQTT topics (hanano/<city>/alerts/<pcode>, "
            "hanano/<city>/sirens/<siren>), the log's origin (hanano/<city>, unless "
            "`log_origin` is set), the CAP sender name and the alert feed's title, and the "
            "feed reader's User-Agent. \"aleppo\" also loads Aleppo's built-in place aliases."
        ),
    )
    link_distance_m: float = Field(
        150.0,
        description=(
            "A located report joins a live incident located within this distance of it, "
            "stretched by the report's stated accuracy up to twice this (metres)."
        ),
    )
    link_window_min: float = Field(
        30.0,
        description=(
            "A report joins an incident only if its observed time lies within this long of "
            "the incident's reports, before or after (minutes)."
        ),
    )
    public_delay_min: float = Field(
        120.0,
        description=(
            "The public (reporter and public roles, and spotters) sees an incident this long "
            "after the server received its first report, or once it is cleared; public alerts "
            "count only strikes this old (minutes; never counted from a time a report "
            "claims)."
        ),
    )
    city_margin_km: float = Field(
        25.0,
        description=(
            "A team's base or position, or a hospital, observation post or worksite, placed "
            "farther than this outside the city's zones is refused (kilometres)."
        ),
    )
    max_future_min: float = Field(
        10.0,
        description=(
            "An observed, position or capture time more than this ahead of the server clock "
            "is refused (minutes)."
        ),
    )
    earliest_observed_at: Timestamp = Field(
        datetime(2000, 1, 1, tzinfo=UTC),
        description=(
            "An observed, position or capture time before this is refused (ISO 8601 with offset)."
        ),
    )
    group_commit_max: int = Field(
        512,
        description=(
            "Most commands the single writer commits in one transaction; more waiting "
            "commands wait for the next (commands)."
        ),
    )
    log_key_file: str | None = Field(
        None,
        description=(
            "The log's signing key file. Default: the path the store recorded when its log "
            "began (if that file is gone, the one beside the SQLite file), else for a new "
            "store a file beside the SQLite file, or ./hanano-log.key for PostgreSQL. A "
            "missing file, or one holding another key than the store's log, stops hanano: a "
            "new key is never made for an existing log."
        ),
    )
    log_origin: str | None = Field(
        None,
        description=(
            "The log's name in its signed checkpoints (default hanano/<city>), fixed when the "
            "log begins: a store whose log has another refuses to start. For tlog-tiles "
            "clients, the address the log is served at without the scheme, then /tlog "
            "(evidence.example.org/tlog)."
        ),
    )
    tsa_url: str | None = Field(
        None,
        description=(
            "URL of an RFC 3161 time-stamping authority asked to timestamp each checkpoint; "
            "unset: no timestamps (`hanano log timestamp` gets those missing)."
        ),
    )
    tsa_cert: str | None = Field(
        None,
        description=(
            "PEM file holding the time-stamping authority's certificate chain, against which "
            "`hanano log verify` checks stored timestamps (its `--tsa-cert` overrides it)."
        ),
    )
    blob_dir: str | None = Field(
        None,
        description=(
            "Directory of media files, kept by SHA-256 (default: the SQLite file's path with "
            ".blobs appended, else ./hanano-blobs)."
        ),
    )
    media_max_bytes: int = Field(
        100 * 1024 * 1024, description="Largest photo or video POST /api/v1/media accepts (bytes)."
    )
    openrosa_max_bytes: int = Field(
        10 * 1024 * 1024,
        description=(
            "Largest OpenRosa submission (a form with its attachments) ODK Collect may send in "
            "one request (bytes); Collect splits larger ones."
        ),
    )
    require_token_for_alerts: bool = Field(
        False,
        description=(
            "Require a token for the alert endpoints anyone may otherwise read (GET "
            "/api/v1/alerts, /alerts/{id}.cap, /alerts.atom); true or false."
        ),
    )
    track_timeout_min: float = Field(
        10.0,
        description=(
            "A track no sighting has confirmed for this long ends, a sighting this long after "
            "a track's last fix starts a new track, and a track's position is predicted at "
            "most this far ahead (minutes)."
        ),
    )
    warning_horizon_min: float = Field(
        12.0,
        description=(
            "Each live threat gives each zone it can reach within this its probability of a "
            "strike there within this (minutes)."
        ),
    )
    watch_horizon_min: float = Field(
        25.0,
        description=(
            "Zones an airborne aircraft could reach within this at its type's top speed (plus "
            "twice its position's uncertainty) are watched (minutes)."
        ),
    )
    circling_radius_m: float = Field(
        1000.0,
        description=(
            "Where a circling or hovering aircraft drops is spread about it by this: a normal "
            "of half this as standard deviation, widened by its position's uncertainty up to "
            "a cap (metres)."
        ),
    )
    warning_probability: float = Field(
        0.015,
        description=(
            "A zone is warned when a live threat's probability of a strike there within "
            "`warning_horizon_min` is at least this (0 to 1); below it, a zone the aircraft "
            "could reach stays at watch. Several threats combine as 1 - prod(1 - p)."
        ),
    )
    imminent_probability: float = Field(
        0.2,
        description=(
            "A zone is at imminent when a threat's probability of a strike there within "
            "`warning_horizon_min` is at least this (0 to 1)."
        ),
    )
    strike_prior_smoothing: float = Field(
        1.0,
        description=(
            "Strikes added to every zone's logged count before the counts are used as the "
            "prior for an aircraft's target, so a zone never struck keeps some chance "
            "(strikes)."
        ),
    )
    strike_recent_hours: float = Field(
        24.0,
        description=(
            "Strikes logged this recently weigh `strike_recent_weight` times as much in the "
            "prior for an aircraft's target: zones struck lately are struck again (hours)."
        ),
    )
    strike_recent_weight: float = Field(
        5.0,
        description=(
            "How many times a recent strike counts in the prior for an aircraft's target "
            "(see `strike_recent_hours`; 1: no more than any other)."
        ),
    )
    route_min_tracks: int = Field(
        5,
        ge=1,
        description=(
            "An aircraft seen taking off, before any heading is known, is given its base's "
            "usual routes (the bearings its past tracks flew from the base) once at least "
            "this many tracks logged in the store teach them; with fewer, every direction "
            "stays alike (tracks)."
        ),
    )
    route_spread_deg: float = Field(
        5.0,
        gt=0,
        description=(
            "How far about each learned route's bearing a sortie may fly: the standard "
            "deviation of the normal in the angle about each (degrees)."
        ),
    )
    route_history_days: float = Field(
        30.0,
        gt=0,
        description=(
            "Only tracks that ended within this are learned from: a base's habits change (days)."
        ),
    )
    all_clear_min: float = Field(
        10.0,
        description=(
            "An alerted zone with no threat for this long since its alert peaked gets an "
            "all-clear, or is lowered to the level a threat elsewhere still gives it "
            "(minutes)."
        ),
    )
    alert_expiry_min: float = Field(
        30.0,
        description=(
            "How long an alert stands (its CAP `expires`) unless renewed; an operator's alert "
            "may give its own (minutes)."
        ),
    )
    cap_sender: str = Field(
        "hanano@aleppo.hanano.invalid",
        description=(
            "The CAP `sender` of hanano's alerts, and the sender its Update and Cancel "
            "messages cite."
        ),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description=(
            "Base URL of this server as others reach it, in the alert feed's links and each "
            "CAP alert's web link; when https, a phone that asks for this host's form list "
            "over http (through a proxy ending TLS) is sent to https for its forms."
        ),
    )
    mqtt_url: str | None = Field(
        "mqtt://127.0.0.1:1883",
        description=(
            "MQTT broker that alerts (hanano/<city>/alerts/<pcode>) and siren commands "
            "(hanano/<city>/sirens/<siren>) are published to; empty: no MQTT."
        ),
    )
    webhook_urls: str = Field(
        "",
        description=(
            "Comma-separated URLs that receive each alert as signed JSON (POST); empty: no "
            "webhooks."
        ),
    )
    webhook_secret: str = Field(
        "",
        description=(
            "HMAC-SHA256 key signing webhook bodies (X-Hanano-Signature: "
            'sha256=HMAC(timestamp "." body)).'
        ),
    )
    webhook_attempts: int = Field(
        6,
        description=(
            "Attempts at one webhook delivery before giving up (MQTT deliveries are retried "
            "until they succeed)."
        ),
    )
    webhook_backoff_s: float = Field(
        1.0,
        description=(
            "Wait after a failed alert delivery (webhook or MQTT), doubled after each further "
            "failure (seconds)."
        ),
    )
    webhook_max_backoff_s: float = Field(
        300.0, description="Longest wait between two attempts at one alert delivery (seconds)."
    )
    witness_backoff_s: float = Field(
        1.0,
        gt=0,
        description=(
            "Wait after a failed push of a checkpoint to a witness, doubled after each further "
            "failure (seconds)."
        ),
    )
    witness_max_backoff_s: float = Field(
        300.0, gt=0, description="Longest wait between two pushes to a failing witness (seconds)."
    )
    delivery_poll_s: float = Field(
        5.0,
        description=(
            "How often the outbox looks for webhook and MQTT deliveries that are due (seconds)."
        ),
    )
    feed_poll_s: float = Field(
        60.0, description="How often each registered foreign CAP feed is fetched (seconds)."
    )
    feed_timeout_s: float = Field(
        10.0, description="Time allowed to connect to and read a foreign CAP feed (seconds)."
    )
    feed_max_bytes: int = Field(
        5_000_000,
        description=(
            "Largest foreign CAP document or feed accepted (bytes): fetched by the feed "
            "poller, read by `hanano warn import-cap`, or posted to /api/v1/alerts/foreign."
        ),
    )
    pullback_probability: float = Field(
        0.3,
        description=(
            "A team on a site is ordered back when the live threats' combined probability of "
            "a strike within `site_radius_m` of the site within `warning_horizon_min` reaches "
            "this (0 to 1)."
        ),
    )
    pullback_watched_probability: float = Field(
        0.1,
        description=(
            "The same for a site under the double-tap watch (struck, or a team arrived, within "
            "`double_tap_watch_min`): lower, since struck sites are struck again (0 to 1)."
        ),
    )
    site_radius_m: float = Field(
        250.0,
        description=(
            "A strike this close to a rescue site puts its crew at risk: a site's probability "
            "counts the strikes its neighbourhood may see that land this near (metres)."
        ),
    )
    double_tap_weight: float = Field(
        5.0,
        description=(
            "How much a site under the double-tap watch draws a new sortie: each live aircraft "
            "weighs it as this many neighbourhoods of the city's mean strike history, placed at "
            "the site (0: struck sites draw no more than any place)."
        ),
    )
    pullback_end_probability: float = Field(
        0.05,
        description=(
            "A pull-back the engine ordered by its site's probability ends once that "
            "probability has stayed below this for `pullback_end_min`, and the team may return "
            "(0 to 1; below both ordering thresholds, so an order does not flap)."
        ),
    )
    pullback_end_min: float = Field(
        3.0,
        description=(
            "How long a pulled-back site's probability must stay below "
            "`pullback_end_probability` before its order ends (minutes)."
        ),
    )
    double_tap_watch_min: float = Field(
        60.0,
        description=(
            "A strike site stays under double-tap watch this long after its last strike "
            "report and after a team last arrived there (minutes)."
        ),
    )
    checkin_interval_min: float = Field(
        10.0,
        description=(
            "A team on scene that has not checked in for this long raises a check-in alarm "
            "(minutes)."
        ),
    )
    pullback_escalate_min: float = Field(
        2.0,
        description=(
            "A pull-back order unacknowledged for this long escalates on the board (minutes)."
        ),
    )
    position_stale_min: float = Field(
        30.0,
        description=(
            "A team position older than this is stale: shown as such, and recommendations "
            "measure from the team's base instead (minutes)."
        ),
    )
    road_speed_kmh: float = Field(
        30.0,
        description=(
            "Speed for travel times without a road graph, and for a team that no open road "
            "connects (km/h)."
        ),
    )
    detour_factor: float = Field(
        1.4,
        description=(
            "Straight-line distance times this is the road distance without a road graph, or "
            "for a team no open road connects (a ratio)."
        ),
    )
    road_snap_m: float = Field(
        30.0,
        description="A strike report within this distance of a road segment closes it (metres).",
    )
    field_threat_max_radius_m: float = Field(
        2000.0,
        description=(
            "Widest threat a spotter or team leader may report around a point (metres); wider "
            "areas and zones are for dispatchers and admins."
        ),
    )
    coverage_threshold_min: float = Field(
        8.0,
        description=(
            "A zone whose nearest available team is farther than this by travel time is "
            "uncovered (minutes)."
        ),
    )
    auth_cache_s: float = Field(
        2.0,
        ge=0.0,
        le=5.0,
        description="A token or login session found valid is believed from memory this long "
        "before the store is asked again (seconds); a revocation or logout made by another "
        "process (the CLI, a second server on the same store) takes effect within it. "
        "0: every request asks the store.",
    )
    login_delay_s: float = Field(
        1.0,
        gt=0.0,
        description="After a second failed login in a row of the same username from the same "
        "address, that pair is refused (429 with Retry-After) this long, doubled by each "
        "further failure; a first failure costs nothing and a good password clears the pair. "
        "The username is not held back at other addresses (seconds).",
    )
    login_max_delay_s: float = Field(
        900.0,
        gt=0.0,
        description="The longest a (username, address) pair is held back after failures (seconds).",
    )
    login_max_failures_per_address: int = Field(
        20,
        ge=1,
        description="Failed logins from one address, whatever the usernames, within "
        "`login_window_s` before that address alone is refused for `login_lock_s`.",
    )
    login_window_s: float = Field(
        900.0,
        gt=0.0,
        description="An address's failed logins are counted over this long, and a (username, "
        "address) pair's failures are forgotten this long after its last one (seconds).",
    )
    login_lock_s: float = Field(
        900.0,
        gt=0.0,
        description="An address that spent its failed-login budget is refused (429) this long "
        "(seconds).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IP addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For (the right-most address not itself a trusted proxy) and "
        "X-Forwarded-Proto are believed. Empty: the socket peer is the client, whatever the "
        "headers say (also from 127.0.0.1).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        # Refused when the settings load, not at the first request behind the proxy.
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{part.strip()!r} is not an IP address or CIDR") from None
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
