"""What an SMS says, read as people write them in Arabic and English.

Counts are read from a number beside a word for the trapped or the casualties, in Western or
Arabic-Indic digits ("٣ عالقين", "trapped: 3", "2 قتلى و5 جرحى"). A team leader's "وصلنا" /
"on scene" is a step of their task; a spotter's "مروحية تحوم فوق الصاخور" a sighting.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hanano.events import ReportKind

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Longest message read: ten concatenated SMS. Anything longer is not a message from a phone.
MAX_CHARS = 1600
# A larger number beside those words is a year, a date or a phone number, not people at one site.
_MAX_COUNT = 999


def words(*words: str) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_TRAPPED = words(
    "عالق", "عالقين", "عالقون", "محاصر", "محاصرين", "محاصرون", "تحت الأنقاض", "تحت الانقاض",
    "trapped", "under rubble", "under the rubble", "stuck",
)  # fmt: skip
_CASUALTIES = words(
    "جريح", "جرحى", "مصاب", "مصابين", "مصابون", "إصابة", "إصابات", "اصابة", "اصابات", "قتيل",
    "قتلى", "شهيد", "شهداء", "وفاة", "وفيات", "injured", "wounded", "casualties", "casualty",
    "dead", "killed",
)  # fmt: skip
# A number, then at most one word (أشخاص, people), then the word; or the word, then the number.
_PREFIX = r"(?:و|ب)?(?:ال)?"


# A sign written on a number ("-5 trapped", "trapped: +3"): a count of people has none, so the
# number is not taken for one (a typo, or a difference from an earlier count, not a count).
_SIGN = "-+\u2212"


# Digits joined by a separator are one number ("2,000", "١٬٢٠٠", "1.5", "١٫٥", a date): no
# run of its digits is a count by itself, or "2,000 dead" would be read as none. A comma joins
# only a group of three digits to the digits before it; "trapped 2,3 dead" is two counts.
_NOT_AFTER = r"(?<![\d./\u066b\u066c])(?!(?<=\d,)\d{3}(?!\d))"
_NOT_BEFORE = r"(?![\d./\u066b\u066c])(?!,\d{3}(?!\d))"


def _count_pattern(words: str) -> re.Pattern[str]:
    return re.compile(
        rf"{_NOT_AFTER}([{_SIGN}]?)(\d+)\s*(?:\w+\s+)?{_PREFIX}(?:{words})"
        rf"|(?:{words})\w*\s*[:=]?\s*([{_SIGN}]?)(\d+){_NOT_BEFORE}",
        re.IGNORECASE,
    )


_TRAPPED_AT = _count_pattern(_TRAPPED)
_CASUALTIES_AT = _count_pattern(_CASUALTIES)

_KINDS: tuple[tuple[ReportKind, str], ...] = (
    ("fire", words("حريق", "حرائق", "نار", "fire", "burning")),
    ("collapse", words("انهيار", "انهار", "collapse", "collapsed")),
    ("blocked_road", words("طريق مغلق", "الطريق مقطوع", "road blocked", "blocked road")),
)
STEPS: tuple[tuple[str, str], ...] = (
    ("on_scene", words("وصلنا", "وصلت", "على الموقع", "on scene", "onscene", "arrived")),
    ("en_route", words("انطلقنا", "في الطريق", "en route", "on our way", "on the way")),
    ("returning", words("عائدون", "راجعين", "returning", "heading back")),
)
CHECK_IN = words("تفقد", "بخير", "check in", "checkin", "check-in", "all ok", "we are ok")
AIRCRAFT: tuple[tuple[str, str], ...] = (
    ("helicopter", words("مروحية", "هليكوبتر", "طوافة", "helicopter", "heli", "chopper")),
    ("drone", words("مسيرة", "مسيّرة", "درون", "استطلاع", "drone", "uav")),
    ("fixed_wing", words("حربي", "حربية", "ميغ", "سوخوي", "طيران", "jet", "plane", "mig")),
)
CIRCLING = words("تحوم", "يحوم", "تحلق", "يحلق", "circling", "circles", "hovering")


@dataclass(frozen=True)
class Counts:
    trapped: int | None
    casualties: int | None
    # Each number beside those words that was not taken for a count, and why.
    not_counted: tuple[str, ...] = ()


def refusal(text: str) -> str | None:
    """Why a message cannot be read as one from a person, or None."""
    if len(text) > MAX_CHARS:
        return f"{len(text)} characters, more than the {MAX_CHARS} of ten SMS"
    # Direction and joining marks (category Cf) are ordinary in Arabic text and are taken out;
    # control characters, unassigned or private code points and U+FFFD (bytes that were not
    # text) are not written by people.
    odd = sum(1 for c in text if c == "\ufffd" or _unwritten(c))
    if "\x00" in text or odd > len(text) // 10:
        return "not text: control or undecodable characters"
    return None


def _unwritten(c: str) -> bool:
    return c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Co", "Cs", "Cn")


def clean(text: str) -> str:
    """The text as written, without control or direction characters, its spaces folded."""
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


def normal(text: str) -> str:
    """The text cleaned, with Arabic-Indic digits as Western ones, for reading."""
    return clean(text).translate(_DIGITS)


def counts(text: str) -> Counts:
    """The trapped and casualties a text states; casualties add up (dead and injured)."""
    plain = normal(text)
    refused: list[tuple[int, str]] = []
    trapped = _numbers(_TRAPPED_AT, plain, set(), refused)
    # A number read for the trapped is not read again for the casualties after it.
    taken = {at for at, _ in trapped[:1]} | {at for at, _ in refused}
    casualties = _numbers(_CASUALTIES_AT, plain, taken, refused)
    return Counts(
        trapped[0][1] if trapped else None,
        sum(n for _, n in casualties) if casualties else None,
        tuple(why for _, why in refused),
    )


def kind(text: str) -> ReportKind:
    plain = normal(text)
    for name, words in _KINDS:
        if re.search(words, plain, re.IGNORECASE):
            return name
    return "strike"


def match(options: tuple[tuple[str, str], ...], text: str) -> str | None:
    """The first option whose words the text contains."""
    plain = normal(text)
    return next((n for n, words in options if re.search(words, plain, re.IGNORECASE)), None)


def says(words: str, text: str) -> bool:
    return re.search(words, normal(text), re.IGNORECASE) is not None


def _numbers(
    pattern: re.Pattern[str], text: str, taken: set[int], refused: list[tuple[int, str]]
) -> list[tuple[int, int]]:
    """Each count the pattern finds, as (where its number starts, the number); a signed number
    is added to `refused` with the words it was read in, and why it is not a count."""
    found = []
    for m in pattern.finditer(text):
        group = 2 if m.group(2) is not None else 4
        at, number = m.start(group), int(m.group(group))
        if at in taken or number > _MAX_COUNT:
            continue
        if m.group(group - 1):
            said = m.group(0).strip()
            refused.append((at, f"“{said}”: a count of people has no sign; left unknown"))
            continue
        found.append((at, number))
    return found
