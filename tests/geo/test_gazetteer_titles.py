"""Report titles as people write them: a bare name before a date, names with or without the
article, slips of the thumb, sub-areas and hospitals; and the real titles they are checked on."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from hanano.geo.gazetteer import Gazetteer, aleppo_geojson, load_aleppo_aliases

TITLES = Path(__file__).parent / "data" / "scd_titles.csv"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_geojson(aleppo_geojson(), load_aleppo_aliases())


def best_pcode(gazetteer: Gazetteer, text: str) -> str | None:
    found = gazetteer.best(text)
    return found.pcode if found else None


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        # A name that is also an everyday word, at the head of a title before a date.
        ("الفردوس 19/9/2014", "N0209"),
        ("الشهداء 12/4/2015", "N0172"),
        ("السكري 24-5-2015", "N0219"),
        ("المشهد 18/9/2014", "N0218"),
        ("حلب الميدان ١-٢-٢٠١٦", "N0138"),
        ("Fardous 19/9/2014", "N0209"),
        ("Sukkari 2016-1-16", "N0219"),
        # A plain name before a date, written with or without the article.
        ("الكلاسه 5/5/2015", "N0197"),
        ("صاخور 12 4 2015", "N0139"),
        ("الجميلية 3/4/2015", "N0161"),
        ("Al-Kallaseh 12/4/2015", "N0197"),
        # The event the title reports, or the city, may come first.
        ("مجزرة الفردوس 20/9/2014", "N0209"),
        ("حريق المشهد 18/9/2014", "N0218"),
        ("Aleppo - Fardous 12 4 2015", "N0209"),
        ("الشهداء 12 نيسان 2015", "N0172"),
        ("Fardous 19 September 2014", "N0209"),
    ],
)
def test_a_name_heading_a_dated_title_is_a_place(
    gazetteer: Gazetteer, text: str, pcode: str
) -> None:
    assert best_pcode(gazetteer, text) == pcode


@pytest.mark.parametrize(
    "text",
    [
        "الشهداء 3 بينهم طفل",  # a count follows, not a date
        "سقوط شهداء 12/4/2015",  # the word is not at the head of the title
        "مقتل 5 الشهداء 12/4/2015",
        "تشرين 2 2015",  # the month and a year: no day and month follow
        "الشهداء 40 نيسان",  # not a day of the month
        "الشهداء 3 أطفال",  # a count of children, not a date
        "الفردوس الأعلى",  # no date at all
        "الدفاع المدني الفردوس 19/9/2014",  # other words come before the name
        "مجزرة في حلب الشهداء 12/4/2015",  # more than the event and the city come first
        "قصف الطيران المعادي 12 4 2015",  # 'hostile', not al-Maadi: not the name that heads
    ],
)
def test_an_everyday_word_is_not_framed_by_a_number_alone(gazetteer: Gazetteer, text: str) -> None:
    assert best_pcode(gazetteer, text) is None


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("بستن القصر 24 9", "N0204"),  # a letter left out
        ("سبف الدولة 20-11-2016", "N0203"),  # a neighbouring key
        ("قصف على صلاح الديم", None),  # the last word is off: not the first
        ("بستن القسر", None),  # two words off
        ("الصخور", None),  # one word alone is never read one letter off
        ("الكسارة 30/05/2016", None),
    ],
)
def test_only_the_first_word_of_an_arabic_name_may_be_a_letter_off(
    gazetteer: Gazetteer, text: str, pcode: str | None
) -> None:
    assert best_pcode(gazetteer, text) == pcode


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("المعادي 27 8 2016", "N0207"),
        ("برميل متفجر على المعادي", "N0207"),
        ("Barrel bombs on the Maadi district", "N0207"),
        ("اللحظات الاولى من مجزرة مشفى القدس 27/4/2016", "N0219"),
        ("Airstrike destroyed al-Quds hospital", "N0219"),
        ("M10 hospital out of service", "N0139"),
        ("قصف على القاطرجي", "N0177"),
        ("شركة القاطرجي للنفط", None),  # the family's business, not the quarter
        ("قصف الطيران المعادي على حلب", None),  # 'hostile', not the quarter
        ("مظاهرة نصرة القدس", None),  # Jerusalem, not the hospital
    ],
)
def test_sub_areas_and_hospitals_place_their_neighbourhood(
    gazetteer: Gazetteer, text: str, pcode: str | None
) -> None:
    assert best_pcode(gazetteer, text) == pcode


# --- the labelled real titles ------------------------------------------------------------


def labelled_titles() -> tuple[str, list[dict[str, str]]]:
    with TITLES.open(encoding="utf-8", newline="") as handle:
        attribution = handle.readline()
        return attribution, list(csv.DictReader(handle))


def test_the_title_set_is_labelled_sourced_and_attributed() -> None:
    attribution, rows = labelled_titles()
    assert attribution.startswith("#") and "Syrian Civil Defence" in attribution
    assert "OCHA" in attribution
    zones = {f["properties"]["PCODE"] for f in aleppo_geojson()["features"]}
    assert len(rows) >= 300
    for row in rows:
        assert row["text"].strip(), row
        assert row["label"] == "none" or row["label"] in zones, row
        assert re.fullmatch(r"https://youtu\.be/[\w-]{11}", row["source"]), row
    labels = [row["label"] for row in rows]
    assert labels.count("none") >= 100
    assert len(set(labels) - {"none"}) >= 8
    assert any(row["text"].isascii() for row in rows)


def test_real_titles_are_placed_right_and_rarely_wrong(gazetteer: Gazetteer) -> None:
    _, rows = labelled_titles()
    right = wrong = 0
    for row in rows:
        placed = best_pcode(gazetteer, row["text"]) or "none"
        right += placed == row["label"]
        wrong += placed not in (row["label"], "none")
    assert right / len(rows) >= 0.9
    assert wrong / len(rows) < 0.05
