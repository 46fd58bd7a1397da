"""Reading a radio log line as it is heard: teams by number in either digit system, headings,
and which kind of record a line stands for."""

from __future__ import annotations

import pytest

from hanano.field import radio_text

TEAMS = [
    {"id": "T-2", "name": "Bab al-Nairab", "name_ar": "باب النيرب"},
    {"id": "T-3", "name": "Sakhour crew", "name_ar": None},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Team 3 on scene at Bustan al-Qasr", ("T-3", None)),
        ("الفريق ٢ وصلنا", ("T-2", None)),
        ("فريق رقم ۳ في الطريق", ("T-3", None)),  # Persian digits, as some keyboards write them
        ("T-2 returning", ("T-2", None)),
        ("team no. 9 on scene", (None, "T-9")),  # read, but no such team
        ("باب النيرب وصلنا", ("T-2", None)),  # by its Arabic name
        ("sakhour crew on scene", ("T-3", None)),
        ("strike Sakhour 4 trapped", (None, None)),
        ("helicopter over Hanano 2", (None, None)),
    ],
)
def test_the_team_a_line_names(text: str, expected: tuple[str | None, str | None]) -> None:
    assert radio_text.team_named(text, TEAMS) == expected


@pytest.mark.parametrize(
    ("text", "degrees"),
    [
        ("helicopter heading north over Hanano 2", 0.0),
        ("jet heading south-west", 225.0),
        ("مروحية باتجاه الشمال الشرقي", 45.0),
        ("طيران حربي متجه غرباً", 270.0),
        ("drone heading ٢٧٠", 270.0),
        ("helicopter north of Hanano", None),  # where it is, not where it goes
        ("helicopter heading 400", None),
        ("helicopter circling", None),
    ],
)
def test_headings_are_read_after_a_word_of_going(text: str, degrees: float | None) -> None:
    assert radio_text.heading(text) == degrees


@pytest.mark.parametrize(
    ("text", "team", "heard", "missing"),
    [
        ("Team 3 on scene at Bustan al-Qasr", "T-3", "step", ()),
        ("الفريق ٢ وصلنا", "T-2", "step", ()),
        ("Team 3 all ok", "T-3", "check_in", ()),
        ("strike Sakhour 4 trapped", None, "report", ()),
        ("غارة على الصاخور ٣ عالقين و٢ جرحى", None, "report", ()),
        ("حريق في بستان القصر", None, "report", ()),
        # An aircraft that struck is a strike to answer, not only a sighting.
        ("helicopter strike on Hanano", None, "report", ()),
        ("helicopter heading north over Hanano 2", None, "sighting", ()),
        ("مروحية تحوم فوق هنانو", None, "sighting", ()),
        ("Team 3 at Hanano", "T-3", None, ("step",)),
        ("the weather is fine", None, None, ("what",)),
    ],
)
def test_what_kind_of_record_a_line_is(
    text: str, team: str | None, heard: str | None, missing: tuple[str, ...]
) -> None:
    reading = radio_text.read(text, team, None)
    assert reading.heard == heard
    assert tuple(e.field for e in reading.missing) == missing


def test_what_a_line_counts_and_flies() -> None:
    report = radio_text.read("strike Sakhour ٤ trapped, 2 dead 3 injured", None, None)
    assert (report.report_kind, report.trapped, report.casualties) == ("strike", 4, 5)
    seen = radio_text.read("مروحية تحوم فوق هنانو باتجاه الشرق", None, None)
    assert (seen.aircraft, seen.circling, seen.heading_deg) == ("helicopter", True, 90.0)


def test_a_step_for_a_team_that_does_not_exist_names_the_team() -> None:
    reading = radio_text.read("Team 9 on scene", None, "T-9")
    assert reading.heard is None
    (missing,) = reading.missing
    assert missing.field == "team" and "T-9" in missing.message


@pytest.mark.parametrize(
    ("text", "trapped", "casualties", "refused"),
    [
        ("strike Sakhour -5 trapped", None, None, "-5 trapped"),
        ("strike Sakhour +5 trapped", None, None, "+5 trapped"),
        ("strike Sakhour \u22125 trapped, 2 dead", None, 2, "\u22125 trapped"),
        ("strike Sakhour trapped: -3, 4 injured", None, 4, "trapped: -3"),
        ("Sakhour -5 trapped", None, None, "-5 trapped"),  # still a strike heard, uncounted
        ("strike Hanano 3 trapped -2 dead", 3, None, "-2 dead"),
        ("غارة على الصاخور -٥ عالقين", None, None, "-5 عالقين"),
    ],
)
def test_a_signed_number_is_not_taken_for_a_count_and_the_line_says_so(
    text: str, trapped: int | None, casualties: int | None, refused: str
) -> None:
    reading = radio_text.read(text, None, None)
    assert reading.heard == "report" and reading.missing == ()
    assert (reading.trapped, reading.casualties) == (trapped, casualties)
    (why,) = reading.not_counted
    assert f"“{refused}”" in why and "no sign" in why
