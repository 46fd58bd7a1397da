"""The rules for values from outside, and the log refusing what breaks them whatever the caller."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from hanano.dispatch.safety import report_threat
from hanano.dispatch.teams import register_team, report_position
from hanano.errors import Problem
from hanano.inputs import faults, printable, text_fault
from hanano.service import Service
from hanano.store import schema
from tests.helpers import HANANO


def test_text_rules() -> None:
    assert text_fault("Hanano 1-B") is None
    assert text_fault("\u200fحي هنانو\u200e \u061c") is None
    assert text_fault("a\x00b") == "contains a NUL character"
    assert text_fault("a\ud800") == "contains an unpaired surrogate"
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert text_fault(f"T-1{char}") == (
            f"contains the bidirectional control character U+{ord(char):04X}"
        )
    assert printable("a\u202eb\x00") == "a\\u202eb\\u0000"


def test_faults_name_each_by_its_path_in_document_order() -> None:
    value = {"polygon": [[1.0, math.nan], [math.inf, 2.0]], "reason": "x\x00", "k\u2066": 1}
    found = [(f.field, f.message) for f in faults(value)]
    assert found == [
        ("polygon.0.1", "must be a finite number"),
        ("polygon.1.0", "must be a finite number"),
        ("reason", "contains a NUL character"),
        ("k\\u2066", "its name contains the bidirectional control character U+2066"),
    ]


def nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_nesting_counts_from_the_outermost_container() -> None:
    assert list(faults(nested(32), max_depth=32)) == []
    [deep] = faults(nested(33), max_depth=32)
    assert deep.field == ".".join(["0"] * 32)
    assert deep.message == "is nested deeper than 32 levels"
    assert list(faults(nested(33))) == []


def events(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)


@pytest.mark.parametrize("reason", ["drone\x00", "drone\u202e", "\u2068drone"])
def test_the_log_refuses_bad_text_from_any_caller(aleppo: Service, reason: str) -> None:
    """A command from the CLI, a feed or code passes Tx.append as the API's do."""
    before = events(aleppo)
    with pytest.raises(Problem) as refused:
        aleppo.execute(
            lambda tx: report_threat(
                tx, "test", lat=HANANO[0], lon=HANANO[1], radius_m=200, polygons=[], reason=reason
            )
        )
    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors] == ["reason"]
    assert events(aleppo) == before


def test_the_log_refuses_numbers_that_are_not_finite(aleppo: Service) -> None:
    team_id = aleppo.execute(
        lambda tx: register_team(
            tx,
            "test",
            name="Hanano-1",
            base_name="centre",
            base_lat=HANANO[0],
            base_lon=HANANO[1],
            sector="A",
            crew=6,
            min_crew=4,
            capabilities=["medical"],
            vehicle="",
        )
    )
    before = events(aleppo)
    with pytest.raises(Problem) as refused:
        aleppo.execute(
            lambda tx: report_position(tx, "test", team_id, HANANO[0], HANANO[1], math.nan, None)
        )
    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors] == ["accuracy_m"]
    assert events(aleppo) == before
