"""The words around a name that say it is a place, and the names that are everyday words.

A few neighbourhoods are named by ordinary words ("الشهداء" the martyrs, "تشرين" the month).
Those count only when the text frames them as a place: a strong cue ("حي", "district") always
does, a weak one ("في", "on", a ب- prefix) only when the word is not idiomatic with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from hanano.geo import spelling

STRONG: Final = "strong"

# Words that frame the next name as a place. Strong cues say so outright ("حي", "district");
# weak ones ("في", "on", a ب- prefix) usually do, and are named so that a common word can
# refuse the ones it is idiomatic with ("في سبيل الله", "مصاب بالسكري").
STRONG_BEFORE_AR: Final = frozenset(
    spelling.arabic_key(w) for w in ("حي", "حيي", "أحياء", "منطقة", "حارة")
)
WEAK_AR: Final = {
    spelling.arabic_key("في"): "in",
    spelling.arabic_key("داخل"): "in",
    spelling.arabic_key("على"): "on",
    spelling.arabic_key("إلى"): "to",
    spelling.arabic_key("نحو"): "to",
    spelling.arabic_key("عند"): "at",
    spelling.arabic_key("قرب"): "at",
}
STRONG_BEFORE_EN: Final = frozenset(
    {
        "hay",
        "hayy",
        "hai",
        "neighbourhood",
        "neighborhood",
        "neighbourhoods",
        "neighborhoods",
        "district",
        "districts",
        "quarter",
        "area",
        "areas",
    }
)
STRONG_AFTER_EN: Final = frozenset(
    {"neighbourhood", "neighborhood", "district", "quarter", "area", "areas"}
)
WEAK_EN: Final = {
    "in": "in",
    "inside": "in",
    "within": "in",
    "on": "on",
    "over": "on",
    "to": "to",
    "into": "to",
    "toward": "to",
    "towards": "to",
    "at": "at",
    "near": "at",
    "around": "at",
}
# Words that may come before a neighbourhood's name at the head of a dated title: the city's
# own name, and the event the title reports ("مجزرة الفردوس 19/9/2014", "حريق المشهد ...").
TITLE_HEAD_WORDS: Final = frozenset(
    {"aleppo", "halab"}
    | {
        spelling.arabic_key(w)
        for w in ("حلب", "مجزرة", "حريق", "قصف", "غارة", "غارات", "استهداف", "برميل", "براميل")
    }
)
# Month names as dates are written in titles: Syrian, Egyptian-style and English.
_MONTH_TEXT: Final = """
    كانون شباط آذار اذار نيسان أيار ايار حزيران تموز آب اب أيلول ايلول تشرين
    يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر ديسمبر
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
"""
MONTHS: Final = frozenset(
    word if word.isascii() else spelling.arabic_key(word) for word in _MONTH_TEXT.split()
)
SKIPPED_BEFORE_NAME: Final = frozenset({"the", "of"})
CONJUNCTIONS: Final = frozenset({"and", "or", "و", "او"})
LEADING_CUES: Final = frozenset({"hay", "hayy", "hai", spelling.arabic_key("حي")})

# A name is not the city's neighbourhood when the text puts it somewhere else: a town or a
# village of the same name before it ("بلدة الخالدية", "the town of al-Zahraa"), or another
# city or the countryside just after it ("حي تشرين في دمشق", "الزهراء بريفها").
ELSEWHERE_BEFORE: Final = frozenset(
    {"town", "towns", "village", "villages"}
    | {spelling.arabic_key(w) for w in ("بلدة", "بلدتي", "بلدات", "قرية", "قريتي", "قرى")}
)
ELSEWHERE_AFTER: Final = frozenset(
    {"damascus", "homs", "hama", "idlib", "daraa", "raqqa", "latakia", "countryside"}
    | {
        spelling.arabic_key(w)
        for w in ("دمشق", "حمص", "حماة", "إدلب", "درعا", "الرقة", "اللاذقية", "ريف", "ريفها")
    }
)
# The city's name just after a name frames it as a place, as a weak "in" would: the way
# incident lists write a location ("Al Qaterji, Aleppo"), and "الصاخور بحلب".
CITY: Final = frozenset({"aleppo", "halab", spelling.arabic_key("حلب")})
# Words that may stand between a name and the city or place named after it.
BEFORE_CITY: Final = frozenset(
    {"in", "of", "the"} | STRONG_AFTER_EN | {spelling.arabic_key(w) for w in ("في", "مدينة")}
)

ANY_WEAK: Final = frozenset({"in", "on", "to", "at", "b"})
STRONG_ONLY: Final = frozenset[str]()
NO_B: Final = frozenset({"in", "on", "to", "at"})


@dataclass(frozen=True)
class CommonWord:
    meaning: str
    cues: frozenset[str]
    not_before: frozenset[str] = frozenset()
    not_before_latin: frozenset[str] = frozenset()


def _common(
    meaning: str,
    cues: frozenset[str],
    not_before: Iterable[str] = (),
    not_before_latin: Iterable[str] = (),
) -> CommonWord:
    return CommonWord(
        meaning,
        cues,
        frozenset(spelling.arabic_key(w) for w in not_before),
        frozenset(spelling.coarse(spelling.skeleton(spelling.light(w))) for w in not_before_latin),
    )


# Neighbourhoods whose name is also an everyday word. Such a name counts as a place only when
# a cue frames it (a strong cue always; only the weak cues listed here), or as part of a
# longer name or alias. The rule follows the zone to its transliterations ("Shuhada" is also
# a brigade's name), but the idioms that rule out weak cues are Arabic ones, so in Latin
# script any preposition will do ("in Fardos").
_COMMON_WORDS_SOURCE: Final = {
    "الشهداء": _common("'the martyrs': casualty counts (سقط ثلاثة شهداء)", STRONG_ONLY),
    "الزهور": _common("'the flowers'", STRONG_ONLY),
    "الميدان": _common("'the square', 'the field' (فرقنا في الميدان)", STRONG_ONLY),
    "الباسل": _common("'the brave', an epithet and a given name", ANY_WEAK),
    "عروبة": _common("'Arabism'", ANY_WEAK),
    "تشرين": _common(
        "the months Tishreen I and II (October, November), a newspaper, a university",
        STRONG_ONLY,
        not_before=("الأول", "الثاني", "أول", "ثاني"),
        not_before_latin=("awwal", "awal", "thani", "thaani", "tani", "sani"),
    ),
    "فردوس": _common("'paradise' (في الفردوس الأعلى)", STRONG_ONLY),
    "السبيل": _common("'the way', a public fountain (في سبيل الله)", STRONG_ONLY),
    "الجامعة": _common("'the university', 'the (Arab) League'", ANY_WEAK, ("العربية",)),
    "المحافظة": _common("'the governorate', the authority", STRONG_ONLY),
    "الشهباء": _common(
        "a name for Aleppo itself (حلب الشهباء) and for the region north", STRONG_ONLY
    ),
    "السكري": _common("'diabetes', 'sugary' (مصاب بالسكري)", NO_B),
    "أبراج": _common("'towers'", STRONG_ONLY),
    "الفيض": _common("'flood', 'abundance'", ANY_WEAK),
    "العقبة": _common("'obstacle'; Aqaba in Jordan", STRONG_ONLY),
    "البلاط": _common("'tiles', 'the royal court'", NO_B),
    "الأصيلة": _common("'authentic'", NO_B),
    "الصالحين": _common("'the righteous', in prayers for the dead", STRONG_ONLY),
    "المرجة": _common("'the meadow'; Marjeh Square in Damascus", ANY_WEAK),
    "العجم": _common("'the Persians', 'non-Arabs'", ANY_WEAK),
    "الزهراء": _common("Fatima al-Zahraa; the town of az-Zahraa north of the city", ANY_WEAK),
    "الفرقان": _common("a name of the Quran, given to mosques across the city", ANY_WEAK),
    "الغزالي": _common("the scholar al-Ghazali, schools named after him; a surname", ANY_WEAK),
    "الجديدة": _common("'new' (feminine adjective)", NO_B),
    "مشهد": _common("'a scene' (في مشهد مروع)", STRONG_ONLY),
    "السريان": _common("'the Syriacs', the community", ANY_WEAK),
    "الأميرية": _common("'state-run' (المدرسة الأميرية)", ANY_WEAK),
    "القاطرجي": _common("a family name (the Qaterji business group)", ANY_WEAK),
    "المعادي": _common("'hostile' (القصف المعادي), a quarter of Bab al-Maqam", ANY_WEAK),
    "الميسر": _common("'gambling' (الخمر والميسر); short for Karm Myassar", ANY_WEAK),
}
COMMON_WORDS: Final = {spelling.arabic_key(w): c for w, c in _COMMON_WORDS_SOURCE.items()}

# Parts of a two-part official name that name nothing by themselves.
GENERIC_NAME_PARTS: Final = frozenset({spelling.arabic_key("المنطقة الصناعية")})

# English words that must not match a name by skeleton or edit distance: function words,
# the vocabulary of reports, and the dictionary words whose skeleton equals a name's
# (secure ~ Sakhour, hillock ~ Hellok, equal ~ Aghyol, share ~ Sha'aar).
_STOPWORD_TEXT: Final = """
    a about above across after again against airstrike airstrikes all also am an and any
    are arab arabic area areas around as at away back bad barrel barrels be because been
    before behind being below between blast body bodies bomb bombed bombing bombs both
    building buildings but by call called came can car cars casualties child children city
    civil civilian civilians class collapsed come could dead death deaths defence defense
    did do does down during each east eastern eight every fade fed feed feet few field
    fire five floor floors flowers food for four from full further garden gas had has have
    he her here him his hit hits home hospital house houses how however i if in injured
    injuries into is it its killed last left main maiden man many market martyrs may me
    median men missile missiles more morning most much must my near neighbourhood
    neighborhood new next night nine no none nor north northern not now of off old on
    once one only or other our out over palace paradise people plane planes reported
    rescue road rocket rockets roof rubble said same say says school see seven several
    share she shelling shells shore should since six so some south southern square still
    street strike strikes such sugar team teams ten than that the their them then there
    these they this those three through to today too toward towards two under until up
    us very was water we were west western what when where which while white who why
    will with within without woman women would wounded yesterday you
    agile ballet basal basil bidden dodo emery equal hillock mashed meshed secure
"""
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
