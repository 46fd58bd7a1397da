"""Calibration of threat probabilities: samples per zone and minute against strikes."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hanano.sim.calibration import assessments, calibrate, of_replay, zone_samples

T0 = datetime(2014, 2, 13, 10, 0, tzinfo=UTC)


def assessed(minute: int, threat_id: str, zones: dict[str, float]) -> SimpleNamespace:
    return SimpleNamespace(
        type="warning.threat_assessed",
        time=(T0 + timedelta(minutes=minute)).isoformat(),
        data={
            "threat_id": threat_id,
            "zones": [{"pcode": p, "probability": v} for p, v in zones.items()],
        },
    )


def test_threats_combine_and_end_and_each_sample_meets_its_outcome() -> None:
    log = [
        assessed(0, "T-1", {"A": 0.5}),
        assessed(1, "T-2", {"A": 0.5, "B": 0.2}),
        assessed(3, "T-1", {}),  # ended
        SimpleNamespace(type="warning.alert_issued", time=T0.isoformat(), data={}),
    ]
    found = assessments(log)
    assert len(found) == 3
    samples = zone_samples(found, T0, T0 + timedelta(minutes=4), timedelta(minutes=1), ["A", "B"])
    by = {(int((at - T0).total_seconds() // 60), p): round(v, 9) for at, p, v in samples}
    assert by[(0, "A")] == 0.5 and by[(0, "B")] == 0.0
    assert by[(1, "A")] == 0.75 and by[(1, "B")] == 0.2  # 1 − (1 − 0.5)(1 − 0.5)
    assert by[(3, "A")] == 0.5  # T-1 gone, T-2 stands
    strike = {"at": (T0 + timedelta(minutes=2, seconds=30)).isoformat(), "pcode": "A"}
    result = calibrate(samples, [strike], timedelta(minutes=2), edges=(0.0, 0.1, 0.6, 1.0))
    # A is struck within 2 min after the samples of minutes 1 and 2, not 0 (2.5 min on) or 3.
    assert result.samples == 10 and result.positives == 2
    top = result.bins[2]
    assert top.samples == 2 and abs(top.mean_p - 0.75) < 1e-9 and top.observed == 1.0
    # A: 0.5 missed, 0.75 and 0.75 struck, 0.5 and 0.5 missed; B: 0, then 0.2 four times missed.
    expected = (3 * 0.5**2 + 2 * 0.25**2 + 4 * 0.2**2) / 10
    assert abs(result.brier - expected) < 1e-9
    assert result.threatened == 9
    assert result.base_rate == 0.2
    assert abs(result.skill - (1 - expected / (0.2 * 0.8))) < 1e-9
    assert "| 0.60 | 1.00 | 2 |" in result.table()


def test_a_replay_without_threats_has_no_samples() -> None:
    result = of_replay([], [], ["A"], timedelta(minutes=12))
    assert result.samples == 0 and result.threatened == 0
    whole = of_replay(
        [assessed(0, "T-1", {"A": 0.1}), assessed(2, "T-1", {})], [], ["A"], timedelta(minutes=12)
    )
    assert whole.samples == 3 and whole.threatened == 2 and whole.positives == 0
