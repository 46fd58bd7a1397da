"""Every setting in one registry, read from HANANO_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
        120.0, description="The public sees an incident this long after its first report."
    )
    city_margin_km: float = Field(
        25.0, description="Coordinates farther than this outside the city's zones are refused."
    )
    max_future_min: float = Field(
        10.0, description="An observed time this far ahead of the server clock is refused."
    )
    group_commit_max: int = Field(
        512, description="Most commands the sequencer commits in one transaction."
    )
    log_key_file: str | None = Field(
        None,
        description="The log's signing key (default: beside the SQLite file, or ./hanano-log.key).",
    )
    log_origin: str | None = Field(
        None, description="The log's name in its checkpoints (default hanano/<city>)."
    )
    require_token_for_alerts: bool = Field(
        False, description="Require a token for the public alert endpoints."
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
