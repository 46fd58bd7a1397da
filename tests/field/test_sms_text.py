"""Reading an SMS as people write them: counts in either digit system, kinds, steps, refusals."""

from __future__ import annotations

import pytest

from hanano.field import sms_text
from hanano.field.sms_text import Counts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قصف على الصاخور، ٣ عالقين تحت الأنقاض و٢ جرحى", Counts(3, 2)),
        ("strike in Hanano, trapped: 4, 2 dead and 5 injured", Counts(4, 7)),
        ("5 أشخاص عالقين", Counts(5, None)),
        ("عالقين ١٢ و 3 شهداء", Counts(12, 3)),
        ("عالقين ۷", Counts(7, None)),  # Persian digits, as some keyboards write them
        ("3 people trapped under the rubble", Counts(3, None)),
        ("casualties=6", Counts(None, 6)),
        # A date or a year is not a count.
        ("غارة على حي هنانو 12/4/2015 عالقين 7", Counts(7, None)),
        ("الصاخور 2015 عالقين", Counts(None, None)),
        ("no numbers 2015", Counts(None, None)),
        ("trapped 1000000", Counts(None, None)),
        # Nor is a part of a number written with separators: "2,000" read as 0 would be a
        # mass-casualty strike counted empty. Such a number is left unknown, not cut short.
        ("strike in Hanano 2,000 dead", Counts(None, None)),
        ("strike in Hanano 1,200 dead, trapped: 1,500", Counts(None, None)),
        ("غارة في هنانو ١٬٢٠٠ قتيل", Counts(None, None)),  # Arabic thousands separator
        ("عالقين ١٫٥ و ٢٫٥ جرحى", Counts(None, None)),  # Arabic decimal separator
        # A comma between counts still parts them.
        ("2 dead,3 trapped", Counts(3, 2)),
        ("trapped 2,3 dead", Counts(2, 3)),
        ("", Counts(None, None)),
    ],
)
def test_counts_are_read_beside_their_words(text: str, expected: Counts) -> None:
    assert sms_text.counts(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("حريق في بستان القصر", "fire"),
        ("انهيار مبنى في الشعار", "collapse"),
        ("road blocked near the roundabout", "blocked_road"),
        ("غارة على هنانو", "strike"),
    ],
)
def test_the_kind_of_report(text: str, kind: str) -> None:
    assert sms_text.kind(text) == kind


def test_steps_aircraft_and_check_ins() -> None:
    assert sms_text.match(sms_text.STEPS, "وصلنا الآن") == "on_scene"
    assert sms_text.match(sms_text.STEPS, "On scene") == "on_scene"
    assert sms_text.match(sms_text.STEPS, "انطلقنا") == "en_route"
    assert sms_text.match(sms_text.STEPS, "غارة") is None
    assert sms_text.match(sms_text.AIRCRAFT, "مسيرة فوق الميسر") == "drone"
    assert sms_text.match(sms_text.AIRCRAFT, "helicopter circling") == "helicopter"
    assert sms_text.says(sms_text.CIRCLING, "مروحية تحوم")
    assert sms_text.says(sms_text.CHECK_IN, "كلنا بخير")


def test_what_is_refused_and_what_is_cleaned() -> None:
    assert sms_text.refusal("غارة " * 2100) is not None
    assert sms_text.refusal("\x00abc") is not None
    assert sms_text.refusal("\ufffd\x01\x02" * 10 + "abc") is not None
    assert sms_text.refusal("\u200fقصف\u200f على الصاخور") is None
    assert sms_text.clean("\u200fقصف\u202e على\n\nالصاخور ٢") == "قصف على الصاخور ٢"
    assert sms_text.normal("قصف ٢") == "قصف 2"
