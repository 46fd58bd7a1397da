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
        "sqlite:///hanano.db", description="SQLAlchemy URL of the store (SQLite or PostgreSQL)."
    )
    city: str = Field("aleppo", description="City name used in topics and the public view.")
    link_distance_m: float = Field(
        150.0, description="A located report joins an open incident this close (metres)."
    )
    link_window_min: float = Field(
        30.0, description="A report joins an incident whose reports are this recent (minutes)."
    )
    public_delay_min: float = Field(
        120.0,
        description="The public sees an incident this long after the server received its first "
        "report (minutes; never counted from a time a report claims).",
    )
    city_margin_km: float = Field(
        25.0, description="Coordinates farther than this outside the city's zones are refused."
    )
    max_future_min: float = Field(
        10.0, description="An observed time this far ahead of the server clock is refused."
    )
    earliest_observed_at: Timestamp = Field(
        datetime(2000, 1, 1, tzinfo=UTC),
        description="An observed or capture time before this is refused (ISO 8601 with offset).",
    )
    group_commit_max: int = Field(
        512, description="Most commands the sequencer commits in one transaction."
    )
    log_key_file: str | None = Field(
        None,
        description="The log's signing key file. Default: the path the store recorded when its "
        "log began (for SQLite, else the file beside the database); a new store makes its key "
        "beside the SQLite file, or at ./hanano-log.key. A missing file, or one holding another "
        "key than the store's log, stops hanano: a new key is never made for an existing log.",
    )
    log_origin: str | None = Field(
        None, description="The log's name in its checkpoints (default hanano/<city>)."
    )
    tsa_url: str | None = Field(
        None, description="RFC 3161 time-stamping authority that timestamps each checkpoint."
    )
    tsa_cert: str | None = Field(
        None, description="PEM file: the authority's certificate chain, to check its timestamps."
    )
    blob_dir: str | None = Field(
        None,
        description="Media files (default: beside the SQLite file, else ./hanano-blobs).",
    )
    media_max_bytes: int = Field(
        100 * 1024 * 1024, description="Largest photo or video POST /api/v1/media accepts (bytes)."
    )
    require_token_for_alerts: bool = Field(
        False, description="Require a token for the public alert endpoints."
    )
    track_timeout_min: float = Field(
        10.0, description="A track with no sighting for this long ends (minutes)."
    )
    warning_horizon_min: float = Field(
        12.0, description="A zone an aircraft may reach within this is warned (minutes)."
    )
    watch_horizon_min: float = Field(
        25.0, description="A zone an airborne aircraft may reach within this is watched (minutes)."
    )
    circling_radius_m: float = Field(
        1000.0, description="Zones this close below a circling aircraft are imminent (metres)."
    )
    warning_min_probability: float = Field(
        0.0023,
        description="A zone in an aircraft's corridor is warned only if its probability of "
        "being the target (heading likelihood times its strike history) is at least this; "
        "below it, watch. 0: every zone in the corridor is warned.",
    )
    strike_prior_smoothing: float = Field(
        1.0,
        description="Strikes added to every zone's logged count before the counts are used as "
        "the prior for an aircraft's target, so a zone never struck keeps some chance.",
    )
    all_clear_min: float = Field(
        10.0, description="A zone without threat for this long gets an all-clear (minutes)."
    )
    alert_expiry_min: float = Field(
        30.0, description="How long an alert stands in CAP `expires` unless renewed (minutes)."
    )
    cap_sender: str = Field(
        "hanano@aleppo.hanano.invalid", description="The CAP `sender` of hanano's alerts."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL of this server in links of feeds."
    )
    mqtt_url: str | None = Field(
        "mqtt://127.0.0.1:1883",
        description="MQTT broker for alert topics hanano/<city>/alerts/<pcode>; empty: none.",
    )
    webhook_urls: str = Field(
        "", description="Comma-separated URLs that receive each alert as signed JSON."
    )
    webhook_secret: str = Field(
        "", description="HMAC-SHA256 key signing webhook bodies (X-Hanano-Signature)."
    )
    webhook_attempts: int = Field(6, description="Attempts per webhook before giving up.")
    webhook_backoff_s: float = Field(
        1.0, description="Wait after a failed alert delivery, doubled after each (seconds)."
    )
    webhook_max_backoff_s: float = Field(
        300.0, description="Longest wait between two attempts at one alert delivery (seconds)."
    )
    delivery_poll_s: float = Field(
        5.0, description="How often undelivered webhook and MQTT alerts are looked for (seconds)."
    )
    feed_poll_s: float = Field(
        60.0, description="How often each registered foreign CAP feed is fetched (seconds)."
    )
    feed_timeout_s: float = Field(
        10.0, description="Time allowed to connect to and read a foreign CAP feed (seconds)."
    )
    feed_max_bytes: int = Field(
        5_000_000,
        description="Largest foreign CAP document or feed accepted (bytes): fetched by the feed "
        "poller, read by `hanano warn import-cap`, or posted to /api/v1/alerts/foreign.",
    )
    double_tap_watch_min: float = Field(
        60.0, description="A strike site stays under double-tap watch this long (minutes)."
    )
    checkin_interval_min: float = Field(
        10.0, description="A team on scene silent this long raises a check-in alarm (minutes)."
    )
    pullback_escalate_min: float = Field(
        2.0, description="A pull-back order unacknowledged this long escalates (minutes)."
    )
    position_stale_min: float = Field(
        30.0, description="A team position older than this is stale (minutes)."
    )
    road_speed_kmh: float = Field(
        30.0, description="Speed for travel times without a road graph (km/h)."
    )
    detour_factor: float = Field(
        1.4, description="Straight-line distance times this is the road distance without a graph."
    )
    road_snap_m: float = Field(
        30.0, description="A strike this close to a road segment closes it (metres)."
    )
    field_threat_max_radius_m: float = Field(
        2000.0,
        description="Widest threat a spotter or team leader may report around a point (metres); "
        "wider areas and zones are for dispatchers and admins.",
    )
    coverage_threshold_min: float = Field(
        8.0,
        description="A zone whose nearest available team is farther than this is uncovered "
        "(minutes).",
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
