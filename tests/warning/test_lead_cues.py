"""Where the lead time was won: each warned strike is put down to the first cue of the earliest
track its alert names; an alert no track raised counts as "other"."""

from typing import Any

import pytest

from hanano.sim.lead_cues import cue_line, lead_by_cue
from hanano.store.records import RecordedEvent


def event(seq: int, kind: str, **data: Any) -> RecordedEvent:
    return RecordedEvent(seq, "2014-02-13T10:00:00Z", "test", kind, 1, data, b"", b"")


EVENTS = [
    event(1, "warning.sighting_reported", sighting_id="s1", activity="took_off"),
    event(2, "warning.track_started", track_id="TRK-1", sighting_id="s1"),
    event(3, "warning.sighting_reported", sighting_id="s2", activity="circling"),
    event(4, "warning.track_started", track_id="TRK-2", sighting_id="s2"),
    event(5, "warning.alert_issued", alert_id="AL-1", threat_ids=["TRK-1"]),
    event(6, "warning.alert_issued", alert_id="AL-2", threat_ids=["TRK-2", "TRK-1"]),
    event(7, "warning.alert_issued", alert_id="AL-3", threat_ids=["TRK-2"]),
    event(8, "warning.alert_issued", alert_id="AL-4", threat_ids=["FOREIGN-9"]),
]


def row(alert_id: str | None, lead: float | None) -> dict[str, Any]:
    return {"warned": alert_id is not None, "lead_s": lead, "alert_id": alert_id}


def test_strikes_are_put_down_to_the_first_cue_of_the_earliest_track() -> None:
    rows = [
        row("AL-1", 900.0),
        row("AL-2", 700.0),  # names both: TRK-1 started first, from a take-off
        row("AL-3", 60.0),
        row("AL-4", 300.0),
        row(None, None),  # missed: counts nowhere
    ]
    by_cue = lead_by_cue(rows, EVENTS)
    assert by_cue == {
        "circling": {"strikes": 1, "median_lead_s": 60.0, "mean_lead_s": 60.0},
        "other": {"strikes": 1, "median_lead_s": 300.0, "mean_lead_s": 300.0},
        "took_off": {"strikes": 2, "median_lead_s": 800.0, "mean_lead_s": pytest.approx(800.0)},
    }
    line = cue_line(by_cue)
    assert line.startswith("lead won by first cue: circling 1 strikes (median lead 60s)")
    assert "took_off 2 strikes (median lead 800s)" in line


def test_with_nothing_warned_the_line_says_so() -> None:
    assert lead_by_cue([row(None, None)], EVENTS) == {}
    assert cue_line({}) == "lead won by first cue: no strike warned"


def assessed(seq: int, track_id: str, shape: str, raised: list[str] | None = None) -> RecordedEvent:
    parts = {"code": "track", "shape": {"code": shape, "raised": raised or []}}
    return event(seq, "warning.threat_assessed", threat_id=track_id, reason_parts=parts)


def test_a_strike_whose_zone_learned_routes_lifted_is_put_down_to_them() -> None:
    events = [
        event(1, "warning.sighting_reported", sighting_id="s1", activity="took_off"),
        event(2, "warning.track_started", track_id="TRK-1", sighting_id="s1"),
        # On its base's routes, which lifted N0129 to warning (not N0122: its history did).
        assessed(3, "TRK-1", "route", ["N0129"]),
        event(4, "warning.alert_issued", alert_id="AL-1", threat_ids=["TRK-1"]),
        # Seen in the city: a heading of its own now, no longer the routes.
        assessed(5, "TRK-1", "heading"),
        event(6, "warning.alert_issued", alert_id="AL-2", threat_ids=["TRK-1"]),
    ]
    rows = [
        {"warned": True, "lead_s": 600.0, "alert_id": "AL-1", "pcode": "N0129"},
        {"warned": True, "lead_s": 500.0, "alert_id": "AL-1", "pcode": "N0122"},
        {"warned": True, "lead_s": 120.0, "alert_id": "AL-2", "pcode": "N0129"},
    ]
    assert lead_by_cue(rows, events) == {
        "learned_route": {"strikes": 1, "median_lead_s": 600.0, "mean_lead_s": 600.0},
        "took_off": {"strikes": 2, "median_lead_s": 310.0, "mean_lead_s": 310.0},
    }
