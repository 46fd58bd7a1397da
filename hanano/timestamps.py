"""The one timestamp type of every request, and the one bounds check of observed times.

Every time that comes in (a report's or a sighting's observed time, a team's position time, a
photo's capture time, a `since=` filter) is an ISO 8601 string with a four-digit year and a UTC
offset. It is normalised to UTC on the way in and written out by `hanano.clock.isoformat`, which
always writes four-digit years, so that times stored as text compare correctly as strings.

A time a client claims to have observed something at must also fall inside the store's window:
not before `earliest_observed_at`, and not more than `max_future_min` ahead of the server clock.
The window is checked by the domain commands, so the API and the CLI refuse the same times.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from hanano.clock import isoformat
from hanano.errors import FieldError, Problem

# Extended ISO 8601 (RFC 3339 profile): four-digit year, minutes at least, an offset always.
_ISO_8601 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d{1,9}))?(?P<offset>[Zz]|[+-]\d{2}:?\d{2})"
)
EXAMPLE = "2026-11-25T10:00:00Z"


class ObservedWindow(Protocol):
    """The store's window of observed times (`hanano.settings.Settings` holds it)."""

    @property
    def earliest_observed_at(self) -> datetime: ...

    @property
    def max_future_min(self) -> float: ...


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 time with a four-digit year and an offset, as an aware datetime in UTC.

    Raises ValueError (which pydantic reports against the field) for anything else: numbers
    (no epoch seconds), dates without a time, times without an offset, impossible dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"must carry a UTC offset, e.g. {EXAMPLE}")
        return _to_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 time string, e.g. {EXAMPLE}")
    match = _ISO_8601.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f"must be an ISO 8601 time with a four-digit year and a UTC offset, e.g. {EXAMPLE}"
        )
    offset = match["offset"].upper().replace("Z", "+00:00")
    # datetime keeps microseconds; finer digits some clients send are dropped, not refused.
    fraction = "." + match["fraction"][:6].ljust(6, "0") if match["fraction"] else ""
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{offset}")
    except ValueError as exc:
        raise ValueError(f"is not a valid time: {exc}") from None
    return _to_utc(parsed)


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is a valid string whose UTC instant lies before year 1.
        raise ValueError("lies outside the years 1 to 9999 in UTC") from None


# The type of every time field and parameter of the API. Strings only: pydantic's own datetime
# would also take epoch seconds ("0" is 1970) and would keep the sender's offset.
Timestamp = Annotated[
    datetime,
    PlainValidator(parse_timestamp),
    PlainSerializer(isoformat, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with a four-digit year and a UTC offset, e.g. "
            f"{EXAMPLE}; stored and returned in UTC",
        }
    ),
]


def observed_error(
    field: str, when: datetime, now: datetime, settings: ObservedWindow
) -> FieldError | None:
    """Why an observed time falls outside the store's window, or None when it does not."""
    earliest = settings.earliest_observed_at
    if when < earliest:
        return FieldError(field, f"is before {isoformat(earliest)}, the earliest time accepted")
    if when - now > timedelta(minutes=settings.max_future_min):
        return FieldError(
            field,
            f"is more than {settings.max_future_min:g} minutes ahead of the server clock "
            f"({isoformat(now)})",
        )
    return None


def require_observed(field: str, when: datetime, now: datetime, settings: ObservedWindow) -> None:
    """Refuse, as a 422 naming the field, an observed time outside the store's window."""
    error = observed_error(field, when, now, settings)
    if error is not None:
        raise Problem(422, "Invalid field", f"{error.field}: {error.message}", [error])
