"""Placing free-text strike reports in the Aleppo neighbourhood they name."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any

import pytest

from hanano.geo.gazetteer import (
    Gazetteer,
    Match,
    aleppo_geojson,
    load_aleppo_aliases,
    normalize_arabic,
)

HANANO = "N0129"
SAKHOUR = "N0139"
BUSTAN_QASR = "N0204"
SHUHADA = "N0172"
TISHRINE = "N0221"
SUKKARI = "N0219"
MIDAN = "N0138"
ANSARI = "N0195"
EAST_ANSARI = "N0215"
ANSARI_MASHHAD = "N0218"
OLD_SOUQ = "N0185"
SHAAR = "N0156"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_geojson(aleppo_geojson(), load_aleppo_aliases())


def best_pcode(gazetteer: Gazetteer, text: str) -> str | None:
    found = gazetteer.best(text)
    return found.pcode if found else None


def pcodes(gazetteer: Gazetteer, text: str) -> list[str]:
    return [m.pcode for m in gazetteer.match(text)]


# --- reports that name one neighbourhood -------------------------------------------------

PLACED = [
    # English reports, spelled as they come in
    ("Barrel bomb hit a building in Bustan al-Qasr near the crossing, 5 trapped", BUSTAN_QASR),
    ("Shelling reported in Boustan al Qasr this morning", BUSTAN_QASR),
    ("Airstrike on al-Sakhur, three families under the rubble", SAKHOUR),
    ("Sakhoor roundabout hit again, cars burning", SAKHOUR),
    ("Team 3 heading to Hananu, a building collapsed on a family", HANANO),
    ("Masaken Hanano: people trapped in a basement", HANANO),
    ("ALSAKHOUR MARKET HIT", SAKHOUR),
    ("Sakhour's main street is blocked by rubble", SAKHOUR),
    ("Sheik Maksoud: mortar rounds fell near the school", "N0123"),
    ("Shaykh Maqsud under fire since dawn", "N0123"),
    ("Vacuum missile on Salaheddine, civil defence searching the rubble", "N0214"),
    ("Salah el-Din: two killed", "N0214"),
    ("Helicopter dropped two barrels on Tariq ibn Ziyad", "N0136"),
    ("Fire after a strike in Saif ad-Dawla", "N0203"),
    ("Rockets on al-Ashrafieh overnight", "N0128"),
    ("Two killed in Hamdaniyah by shelling", "N0216"),
    ("Strike near the Citadel of Aleppo, no casualties reported", OLD_SOUQ),
    ("The minaret of the Umayyad Mosque was hit", OLD_SOUQ),
    ("Car bomb at Bab al-Hadid", "N0178"),
    ("Injured taken out of Bab al-Nairab", "N0205"),
    ("Bus station at Jisr al-Haj hit by a barrel, many burnt", "N0209"),
    ("Kadi Askar: building down, searching for survivors", "N0174"),
    ("Jebel Badro hit twice", "N0146"),
    ("Shuhada neighbourhood hit by cluster munitions", SHUHADA),
    ("People trapped in the Midan district", MIDAN),
    ("in al-Midan a house collapsed", MIDAN),
    ("Shelling in Sukkari, the bakery is gone", SUKKARI),
    ("Hayy al-Midan: rescue under way", MIDAN),
    ("The district of Sheikh Khodr was hit", "N0134"),
    # Arabic reports: article, hamza, taa marbuta, diacritics, tatweel, digits, clitics
    ("سقط برميل متفجر على بناء سكني في حي بستان القصر قرب المعبر وهناك خمسة عالقين", BUSTAN_QASR),
    ("غارة جوية بالصاخور والفرق تعمل على انتشال العالقين", SAKHOUR),
    ("توجه الفريق للصاخور بعد الغارة", SAKHOUR),
    ("الـصـاخـور: انهيار مبنى من ثلاثة طوابق", SAKHOUR),
    ("قصف مدفعي على مساكن هنانو", HANANO),
    ("وهنانو أيضا تعرضت للقصف", HANANO),
    ("سقط صاروخ ببستان القصر", BUSTAN_QASR),
    ("قذيفة على بستان الباشا", "N0130"),
    ("غارة على الأَشْرَفِيَّة", "N0128"),
    ("قذيفة على الانصاري الشرقي", EAST_ANSARI),
    ("الساعة ٣:٣٠ قصف على الكلاسة", "N0197"),
    ("ﺣﻠﺐ ﺍﻟﺠﺪﻳﺪﺓ: سقوط قذائف", "N0184"),
    ("وصل فريق الإنقاذ إلى حي الشهداء بعد الغارة", SHUHADA),
    ("قصف على حي الميدان وسقوط جرحى", MIDAN),
    ("غارة على حي المشهد", ANSARI_MASHHAD),
    ("انهيار مبنى في مخيم عين التل", "N0227"),
    ("قصف الجامع الأموي وقلعة حلب", OLD_SOUQ),
    ("اشتباكات عند باب قنسرين", "N0200"),
    ("تعرض دوار جسر الحج لقصف بالبراميل", "N0209"),
    ("غارة على دوار الشعار", SHAAR),
    ("في الزهراء سقطت قذيفة", "N0135"),
    ("قرب الجامعة سقط صاروخ", "N0153"),
    ("في تشرين الأول الماضي سقطت قذيفة على السكري", SUKKARI),
    ("حي تشرين تحت القصف", TISHRINE),
    ("قصف على حي الدلالين", "N0164"),
]


# The same name as different writers spell it.
SPELLINGS = [
    (SAKHOUR, ["Sakhour", "Sakhur", "Sakhoor", "as-Sakhour", "Al Sakhur", "el-Sakhoor"]),
    (HANANO, ["Hanano", "Hananu", "HANANO", "hanano"]),
    ("N0122", ["Haydariyeh", "Haydariyya", "Haidariyah", "al-Haydariye", "Haydariya"]),
    ("N0225", ["Sheikh Said", "Shaykh Said", "Shaikh Saeed", "Sheik Said", "Cheikh Said"]),
    ("N0159", ["Qarleq", "Qarliq", "Karlik"]),
    ("N0212", ["Jibreen", "Jibrin", "Jebrin"]),
    ("N0189", ["al-Jalloum", "Jallum", "Jaloum"]),
    ("N0150", ["Hameidiyyeh", "Hamidiyeh", "al-Hamidiya"]),
    ("N0197", ["Kallaseh", "Kalaseh", "al-Kalasa"]),
    (SHAAR, ["Sha'aar", "Shaʿār", "ash-Shaar", "al-Sha’ar", "Dawwar al-Shaar"]),
    ("N0125", ["Ba'aiedin", "Ba’aiedin", "Baidin", "Ba'idin"]),
    ("N0136", ["Tareq Ben Ziad", "Tariq ibn Ziyad", "Tareq bin Ziad"]),
    ("N0123", ["Ash-Sheikh Maqsoud", "Sheikh Maksoud", "Sheikh Maqsood", "hay Sheikh Maqsud"]),
    ("N0214", ["Salah Ad-Deen", "Salah al-Din", "Salaheddine", "Salahuddin", "Salah-eddin"]),
    (BUSTAN_QASR, ["Bustan Al-Qaser", "Bustan al-Qasr", "Boustan al Qasr", "Bostan el-Kasr"]),
    ("N0120", ["Ayn At-Tal", "Ain al-Tal", "Ein el-Tal"]),
    ("N0134", ["Sheikh Kheder", "Sheikh Khodr", "Sheikh Khider"]),
]


@pytest.mark.parametrize(("pcode", "spellings"), SPELLINGS)
def test_spellings_of_one_name_find_one_zone(
    gazetteer: Gazetteer, pcode: str, spellings: list[str]
) -> None:
    for spelling in spellings:
        assert best_pcode(gazetteer, f"Shelling on {spelling} this morning") == pcode, spelling


@pytest.mark.parametrize(("text", "pcode"), PLACED)
def test_report_is_placed_in_the_neighbourhood_it_names(
    gazetteer: Gazetteer, text: str, pcode: str
) -> None:
    assert best_pcode(gazetteer, text) == pcode
    assert gazetteer.match(text)[0].pcode == pcode


# --- words that look like names but are not places here ------------------------------------

NOT_PLACED: list[tuple[str, str | None]] = [
    # (text, the P-code it must not give; None: no zone at all)
    ("سقط ثلاثة شهداء وعدد من الجرحى", None),
    ("الرحمة للشهداء", None),
    ("في تشرين الأول", None),
    ("في تشرين الثاني سقط المطر", None),
    ("فرقنا في الميدان منذ الصباح", None),
    ("مريض مصاب بالسكري يحتاج إلى إسعاف", None),
    ("يعاني من السكري", None),
    ("نسأل الله أن يتقبلهم في الفردوس الأعلى", None),
    ("استشهدوا في سبيل الله", None),
    ("على سبيل المثال", None),
    ("في مشهد مروع انهار المبنى", None),
    ("حلب الشهباء", None),
    ("الجامعة العربية تدين القصف", None),
    ("باقة من الزهور على القبر", None),
    ("نبل والزهراء", None),
    ("الصخور تسد الطريق", None),
    ("bad news from the field", None),
    ("food distribution in the square", None),
    ("secure the area before the teams enter", None),
    ("the Syrian Arab Army advances", None),
    ("Liwa al-Shuhada fighters", None),
    ("intel says a strike is coming", None),
    # a longer name hides the shorter one inside it
    ("حلب الجديدة", "N0163"),
    ("انهيار مبنى في مخيم عين التل", "N0120"),
    ("East Ansari", ANSARI),
]


@pytest.mark.parametrize(("text", "not_pcode"), NOT_PLACED)
def test_common_words_and_inner_names_are_not_places(
    gazetteer: Gazetteer, text: str, not_pcode: str | None
) -> None:
    if not_pcode is None:
        assert gazetteer.match(text) == []
        assert gazetteer.best(text) is None
    else:
        assert not_pcode not in pcodes(gazetteer, text)


def test_the_martyrs_count_is_not_the_shuhada_neighbourhood(gazetteer: Gazetteer) -> None:
    text = "سقط ثلاثة شهداء جراء قصف على حي الصاخور"
    assert pcodes(gazetteer, text) == [SAKHOUR]


def test_a_cue_carries_over_a_list_of_names(gazetteer: Gazetteer) -> None:
    assert pcodes(gazetteer, "أحياء الصاخور والشهداء والزهور") == [SAKHOUR, SHUHADA, "N0137"]
    assert pcodes(gazetteer, "neighbourhoods of Hanano and Shuhada") == [HANANO, SHUHADA]
    assert pcodes(gazetteer, "هنانو والشهداء") == [HANANO]


def test_a_common_word_needs_the_right_cue(gazetteer: Gazetteer) -> None:
    assert best_pcode(gazetteer, "غارة على السكري") == SUKKARI
    assert best_pcode(gazetteer, "بالسكري") is None
    assert best_pcode(gazetteer, "الباسل") is None
    assert best_pcode(gazetteer, "في الباسل") == "N0162"
    assert best_pcode(gazetteer, "Tishreen") is None
    assert best_pcode(gazetteer, "in Tishreen al-Awwal") is None
    assert best_pcode(gazetteer, "Tishreen neighbourhood") == TISHRINE


# --- ranking -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Ansari", "al-Ansari", "الأنصاري", "بالأنصاري"])
def test_a_shared_name_ranks_the_plain_neighbourhood_first(gazetteer: Gazetteer, text: str) -> None:
    found = gazetteer.match(text)
    assert [m.pcode for m in found] == [ANSARI, EAST_ANSARI, ANSARI_MASHHAD]
    assert found[0].score == 1.0
    assert all(m.score < 0.75 for m in found[1:])
    assert best_pcode(gazetteer, text) == ANSARI


def test_the_full_name_wins_over_the_shared_part(gazetteer: Gazetteer) -> None:
    assert pcodes(gazetteer, "Ansari Mashhad") == [ANSARI_MASHHAD]
    assert pcodes(gazetteer, "الأنصاري مشهد") == [ANSARI_MASHHAD]
    assert pcodes(gazetteer, "Karm al-Jazmati hit") == ["N0187"]
    assert pcodes(gazetteer, "كرم الجبل") == ["N0152"]
    assert pcodes(gazetteer, "Karm") == []


def test_an_exact_name_outranks_a_variant_and_a_near_miss(gazetteer: Gazetteer) -> None:
    exact = gazetteer.match("Sakhour")[0]
    variant = gazetteer.match("Sakhur")[0]
    near_miss = gazetteer.match("Bustan al-Qazer")[0]
    assert (exact.pcode, variant.pcode, near_miss.pcode) == (SAKHOUR, SAKHOUR, BUSTAN_QASR)
    assert exact.score == 1.0
    assert 0.9 <= variant.score < exact.score
    assert near_miss.score < variant.score


def test_a_single_word_near_miss_is_not_a_name(gazetteer: Gazetteer) -> None:
    # One letter from Sakhour and Hanano, but it would also let "secure" in.
    assert gazetteer.match("Sakhoum") == []
    assert gazetteer.match("Hanamo") == []


def test_several_places_come_in_text_order(gazetteer: Gazetteer) -> None:
    text = "Barrels on Hanano and al-Sakhour, wounded taken to a field hospital in al-Shaar"
    assert pcodes(gazetteer, text) == [HANANO, SAKHOUR, SHAAR]
    assert best_pcode(gazetteer, text) == HANANO
    assert pcodes(gazetteer, "سقوط برميلين على حيي الشيخ مقصود والأشرفية") == ["N0123", "N0128"]


def test_a_name_two_zones_share_is_not_confident(gazetteer: Gazetteer) -> None:
    mine = Gazetteer.from_geojson(aleppo_geojson(), load_aleppo_aliases())
    mine.add_alias("Old Shared Market", HANANO)
    mine.add_alias("Old Shared Market", SAKHOUR)
    assert {m.pcode for m in mine.match("strike on the old shared market")} == {HANANO, SAKHOUR}
    assert mine.best("strike on the old shared market") is None


def test_the_youth_housing_name_prefers_the_zone_called_exactly_that(
    gazetteer: Gazetteer,
) -> None:
    assert pcodes(gazetteer, "Youth Housing") == ["N0119", "N0183"]
    assert pcodes(gazetteer, "السكن الشبابي") == ["N0119", "N0183"]
    assert pcodes(gazetteer, "Maasraniyeh Youth Housing") == ["N0183"]


def test_match_reports_the_official_name_and_the_name_seen(gazetteer: Gazetteer) -> None:
    assert gazetteer.match("Sakhour roundabout") == [
        Match(SAKHOUR, "Al-Sakhour", 1.0, "Sakhour roundabout")
    ]
    assert gazetteer.match("الدلالين")[0] == Match("N0164", "Ad-Dallain", 1.0, "الدلالين")


def test_match_limit(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.match("Ansari", limit=1)) == 1
    assert gazetteer.match("Ansari", limit=0) == []


# --- the data ------------------------------------------------------------------------------


def test_every_official_name_finds_its_own_zone(gazetteer: Gazetteer) -> None:
    features = aleppo_geojson()["features"]
    assert len(features) == 109
    for feature in features:
        props = feature["properties"]
        name_ar = props["NAME_AR"].splitlines()[0]
        assert best_pcode(gazetteer, f"the {props['NAME_EN']} district") == props["PCODE"]
        assert best_pcode(gazetteer, f"قصف على حي {name_ar}") == props["PCODE"]


def _alias_rows() -> list[dict[str, str]]:
    text = resources.files("hanano.geo").joinpath("data/aleppo_aliases.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_alias_file_is_complete_and_points_at_real_zones() -> None:
    rows = _alias_rows()
    known = {f["properties"]["PCODE"] for f in aleppo_geojson()["features"]}
    assert len(rows) >= 80
    assert load_aleppo_aliases() == [(r["alias"], r["pcode"]) for r in rows]
    assert len({(r["alias"], r["pcode"]) for r in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"alias", "pcode", "lang", "source"}
        assert row["pcode"] in known
        assert row["lang"] in {"ar", "en"}
        assert row["alias"].strip() and row["source"].strip()


def test_every_alias_finds_its_zone(gazetteer: Gazetteer) -> None:
    for alias, pcode in load_aleppo_aliases():
        assert best_pcode(gazetteer, f"قصف على حي {alias}") == pcode, alias
        assert best_pcode(gazetteer, f"strike on the {alias} area") == pcode, alias


def test_attribution_sits_beside_the_data() -> None:
    text = resources.files("hanano.geo").joinpath("data/ATTRIBUTION.md").read_text("utf-8")
    assert "OCHA" in text
    assert "CC BY-IGO" in text
    assert "aleppo_aliases.csv" in text


# --- the API -----------------------------------------------------------------------------


def _tiny_geojson() -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "PCODE": "X1",
                    "NAME_EN": "Bab al-Tajriba",
                    "NAME_AR": "باب التجربة\r\nباب التجربة",
                },
                "geometry": None,
            },
            {"type": "Feature", "properties": {"PCODE": "X2", "NAME_EN": "Qasr Tajrib"}},
        ],
    }


def test_from_geojson_reads_the_first_line_of_the_arabic_name() -> None:
    tiny = Gazetteer.from_geojson(_tiny_geojson())
    assert tiny.match("وصلنا إلى باب التجربة") == [
        Match("X1", "Bab al-Tajriba", 1.0, "باب التجربة")
    ]
    assert best_pcode(tiny, "Bab et-Tajriba") == "X1"
    assert best_pcode(tiny, "Qasr Tajreeb") == "X2"


def test_add_alias_teaches_a_new_name() -> None:
    tiny = Gazetteer.from_geojson(_tiny_geojson(), [("Test Roundabout", "X2")])
    assert best_pcode(tiny, "shelling at the test roundabout") == "X2"
    tiny.add_alias("دوار التجربة", "X1")
    assert best_pcode(tiny, "قصف على دوار التجربة") == "X1"


@pytest.mark.parametrize(("alias", "pcode"), [("Somewhere", "N9999"), ("", "X1"), ("  ", "X1")])
def test_add_alias_rejects_unknown_zones_and_empty_names(alias: str, pcode: str) -> None:
    tiny = Gazetteer.from_geojson(_tiny_geojson())
    with pytest.raises(ValueError, match=r"P-code|empty"):
        tiny.add_alias(alias, pcode)


def test_an_alias_without_letters_is_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        Gazetteer.from_geojson(_tiny_geojson(), [("--- ...", "X1")])


def test_from_geojson_rejects_what_is_not_a_feature_collection() -> None:
    with pytest.raises(ValueError, match="FeatureCollection"):
        Gazetteer.from_geojson({"type": "Feature"})
    with pytest.raises(ValueError, match="PCODE"):
        Gazetteer.from_geojson({"features": [{"properties": {"NAME_EN": "Nowhere"}}]})


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("أإآٱ", "اااا"),
        ("مدرسة", "مدرسه"),
        ("على", "علي"),
        ("الأَشْرَفِيَّةُ", "الاشرفيه"),
        ("مؤسسة شاطئ", "موسسه شاطي"),
        ("الـصـاخـور", "الصاخور"),
        ("شهداءً", "شهدا"),
        ("٣ قتلى و١٢ جريحا ۴", "3 قتلي و12 جريحا 4"),
        ("ﺣﻠﺐ", "حلب"),
        ("Hanano 5", "Hanano 5"),
    ],
)
def test_normalize_arabic(raw: str, normalised: str) -> None:
    assert normalize_arabic(raw) == normalised


def test_a_long_report_names_each_place_it_mentions() -> None:
    # How fast building and matching are is measured by bench/gazetteer.py.
    built = Gazetteer.from_geojson(aleppo_geojson(), load_aleppo_aliases())
    report = (
        "Civil defence teams report a barrel bomb dropped by a helicopter on a residential "
        "building in Bustan al-Qasr near the crossing, five people trapped under the rubble; "
        "another strike hit the vegetable market close to the Sakhour roundabout, ambulances "
        "heading to the field hospital in al-Shaar. "
    )
    assert [m.pcode for m in built.match(report)] == [BUSTAN_QASR, SAKHOUR, SHAAR]
