"""What a line of the radio log says: a dispatcher types what is heard on the radio, as it is
heard ("Team 3 on scene at Bustan al-Qasr", "الفريق ٢ وصلنا", "helicopter heading north over
Hanano", "strike Sakhour 4 trapped").

The words are those the SMS channel reads (`sms_text`: counts, kinds, steps, aircraft); this
module adds what a radio line carries and an SMS does not: which team speaks, where an aircraft
is heading, and whether the line tells of a strike at all. Reading decides nothing about the
store: `radio.py` turns what was read into a command and checks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hanano.errors import FieldError
from hanano.events import ReportKind
from hanano.field import sms_text
from hanano.field.sms_text import words

Heard = Literal["report", "step", "check_in", "sighting"]

# "Team 3", "team no. 3", "T-3", "الفريق ٣", "فريق رقم 3": a team by its number (its id T-N).
_TEAM_NUMBER = re.compile(
    r"(?<!\w)(?:team|(?:ال)?فريق|t-?)\s*(?:no\.?|number|#|رقم)?\s*(\d{1,4})(?!\d)",
    re.IGNORECASE,
)
# Words that tell of something that happened at a place, not of an aircraft in the sky.
_STRIKE = words(
    "strike", "airstrike", "air strike", "struck", "shelling", "shelled", "barrel", "bomb",
    "bombed", "explosion", "rocket", "missile", "غارة", "غارات", "قصف", "برميل",
    "براميل", "انفجار", "استهداف", "صاروخ", "قذيفة",
)  # fmt: skip
# A heading is read after a word that says where the aircraft goes, never from a place's name
# ("north of Hanano" is where it is, "heading north" where it goes).
_TOWARDS = words(
    "heading", "headed", "going", "flying", "moving", "towards", "toward", "to the",
    "باتجاه", "بإتجاه", "نحو", "متجهة", "متجه", "تتجه", "يتجه", "الى", "إلى",
)  # fmt: skip
_COMPASS: tuple[tuple[float, str], ...] = (
    (45.0, words("north-east", "northeast", "north east", "الشمال الشرقي", "شمال شرق")),
    (315.0, words("north-west", "northwest", "north west", "الشمال الغربي", "شمال غرب")),
    (135.0, words("south-east", "southeast", "south east", "الجنوب الشرقي", "جنوب شرق")),
    (225.0, words("south-west", "southwest", "south west", "الجنوب الغربي", "جنوب غرب")),
    (0.0, words("north", "الشمال", "شمالاً", "شمالا", "شمال")),
    (90.0, words("east", "الشرق", "شرقاً", "شرقا", "شرق")),
    (180.0, words("south", "الجنوب", "جنوباً", "جنوبا", "جنوب")),
    (270.0, words("west", "الغرب", "غرباً", "غربا", "غرب")),
)
_HEADING = re.compile(
    rf"(?:{_TOWARDS})\s+(?:the\s+)?(?:(\d{{1,3}})\s*(?:°|deg\w*|درجة)?(?!\d)|(\S+(?:\s\S+)?))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What a line says, before it meets the store: the kind of record it stands for and what
    was understood for it, or the parts that were not understood."""

    heard: Heard | None
    team_number: str | None
    team_named: str | None
    state: str | None
    report_kind: ReportKind
    trapped: int | None
    casualties: int | None
    # The numbers beside "trapped" or "dead" not taken for a count, each with why.
    not_counted: tuple[str, ...]
    aircraft: str | None
    circling: bool
    heading_deg: float | None
    missing: tuple[FieldError, ...]


def team_named(text: str, teams: Iterable[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """The team a line names: by number ("Team 3" is T-3) or by its name in either language.
    Returns (team id, the number read when no team has it)."""
    plain = sms_text.normal(text)
    number = _TEAM_NUMBER.search(plain)
    known = {t["id"]: t for t in teams}
    if number is not None:
        team_id = f"T-{int(number.group(1))}"
        return (team_id, None) if team_id in known else (None, team_id)
    folded = plain.casefold()
    for team in known.values():
        for name in (team.get("name"), team.get("name_ar")):
            if name and len(name) >= 3 and _whole(name.casefold(), folded):
                return team["id"], None
    return None, None


def _whole(name: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def heading(text: str) -> float | None:
    """Where an aircraft is flying to, in degrees from north, if the line says."""
    plain = sms_text.normal(text)
    for m in _HEADING.finditer(plain):
        if m.group(1) is not None:
            degrees = int(m.group(1))
            if degrees <= 360:
                return float(degrees % 360)
            continue
        words = m.group(2)
        for degrees_at, names in _COMPASS:
            if re.match(rf"(?:{names})(?!\w)", words, re.IGNORECASE):
                return degrees_at
    return None


def tells_of_incident(text: str, counts: sms_text.Counts) -> bool:
    """Whether a line tells of something that happened on the ground: a strike, a fire, a
    collapse, a blocked road, or people trapped or hurt."""
    if counts.trapped is not None or counts.casualties is not None or counts.not_counted:
        return True
    return sms_text.kind(text) != "strike" or sms_text.says(_STRIKE, text)


def read(text: str, team_id: str | None, unknown_team: str | None) -> Reading:
    """What kind of record a line stands for, by what it names: a team with a step is that
    team's step; a strike, a fire or a count is a report; an aircraft is a sighting."""
    counted = sms_text.counts(text)
    state = sms_text.match(sms_text.STEPS, text)
    check_in = sms_text.says(sms_text.CHECK_IN, text)
    aircraft = sms_text.match(sms_text.AIRCRAFT, text)
    missing: list[FieldError] = []
    heard: Heard | None = None
    if unknown_team is not None and (state is not None or check_in):
        missing.append(FieldError("team", f"no team {unknown_team} is registered"))
    elif team_id is not None and (state is not None or check_in):
        heard = "step" if state is not None else "check_in"
    elif tells_of_incident(text, counted):
        heard = "report"
    elif aircraft is not None:
        heard = "sighting"
    elif team_id is not None or unknown_team is not None:
        missing.append(
            FieldError("step", "a team is named but no step: on scene, en route, returning, ok")
        )
    else:
        missing.append(
            FieldError(
                "what",
                "neither a strike (strike, fire, trapped…), a team's step (Team 3 on scene) "
                "nor an aircraft (helicopter, jet, drone)",
            )
        )
    return Reading(
        heard=heard,
        team_number=team_id or unknown_team,
        team_named=team_id,
        state=state,
        report_kind=sms_text.kind(text),
        trapped=counted.trapped,
        casualties=counted.casualties,
        not_counted=counted.not_counted,
        aircraft=aircraft,
        circling=sms_text.says(sms_text.CIRCLING, text),
        heading_deg=heading(text),
        missing=tuple(missing),
    )
