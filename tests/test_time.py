"""One spelling of a time: four-digit years, UTC, an offset always; read back what was stored."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from hanano.clock import canonical_time, isoformat, parse_iso
from hanano.timestamps import Timestamp


class Stamped(BaseModel):
    at: Timestamp


@pytest.mark.parametrize("year", [1, 500, 999, 2000])
def test_isoformat_round_trips_every_year_with_four_digits(year: int) -> None:
    when = datetime(year, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    text = isoformat(when)
    assert text == f"{year:04d}-03-04T05:06:07.890123Z"
    assert parse_iso(text) == when
    assert Stamped.model_validate({"at": text}).at == when


def test_times_sort_as_strings_in_time_order() -> None:
    times = [datetime(y, 1, 1, tzinfo=UTC) for y in (39, 500, 999, 1000, 2026)]
    assert sorted(isoformat(t) for t in times) == [isoformat(t) for t in times]


def test_years_stored_without_padding_before_the_fix_are_read() -> None:
    # What the old strftime("%Y...") wrote for year 500.
    assert parse_iso("500-01-01T00:00:00.000000Z") == datetime(500, 1, 1, tzinfo=UTC)
    assert canonical_time("39-06-01T12:00:00.000000Z") == "0039-06-01T12:00:00.000000Z"
    assert canonical_time("2026-11-25T10:00:00.000000Z") == "2026-11-25T10:00:00.000000Z"


def test_timestamp_normalises_to_utc_and_writes_the_one_spelling() -> None:
    parsed = Stamped.model_validate_json('{"at": "2026-11-25T13:00:00+03:00"}')
    assert parsed.at == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert parsed.at.utcoffset() == timedelta(0)
    assert parsed.model_dump(mode="json") == {"at": "2026-11-25T10:00:00.000000Z"}
    # Nanoseconds some clients send are cut to microseconds, not refused.
    fine = Stamped.model_validate({"at": "2026-11-25T10:00:00.123456789Z"})
    assert fine.at.microsecond == 123456
    aware = datetime(2026, 11, 25, 12, tzinfo=timezone(timedelta(hours=2)))
    assert Stamped.model_validate({"at": aware}).at == datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-25T10:00:00",  # no offset
        "2026-11-25",  # no time
        "500-01-01T00:00:00Z",  # three-digit year
        "+02026-11-25T10:00:00Z",  # expanded year
        "0",  # epoch seconds, which pydantic's own datetime takes for 1970
        "1700000000",
        0,
        1700000000.0,
        "2026-02-30T10:00:00Z",  # no such day
        "2026-11-25T24:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "yesterday",
        None,
    ],
)
def test_timestamp_refuses_anything_but_iso_8601_with_an_offset(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Stamped.model_validate({"at": value})
    assert caught.value.errors()[0]["loc"] == ("at",)
    with pytest.raises(ValidationError):
        Stamped.model_validate({"at": datetime(2026, 11, 25, 10)})  # naive


def test_timestamp_is_a_date_time_string_in_the_json_schema() -> None:
    schema = Stamped.model_json_schema()["properties"]["at"]
    assert schema["type"] == "string" and schema["format"] == "date-time"
