"""Place free-text reports in the neighbourhood they name.

Strike reports reach the dispatchers as Arabic or English text with no coordinates, written
in a hurry and spelled every way ("Sakhour", "al-Sakhur", "بالصاخور"). The gazetteer finds the
neighbourhood names and known landmarks in such a text and ranks the zones they point to.

How a text is read:

- Arabic is normalised (hamza forms, taa marbuta, alef maqsura, diacritics, tatweel, digits)
  and each word may lose its clitics (و ف ب ل ك and the article ال), but only when what is
  left is a known name, so a name that itself starts with one of those letters keeps it.
- Latin script is folded twice: a spelling key (case, accents, apostrophes, doubled letters,
  the -eh/-a ending) and a transliteration skeleton (kh/k, sh/ch, q/k, each vowel run one
  symbol for the vowels it can stand for), so Sakhour, Sakhur and Sakhoor are one word.
  Within a name of several words a word may also be one or two letters off (Bustan al-Qasr
  for Bustan Al-Qaser); a single word may not, since too many English words are one letter
  from a name. Arabic is never compared fuzzily: one letter turns a name into an everyday
  word (الصاخور, الصخور "the rocks").
- Names are matched as whole-word phrases inside the sentence; a longer phrase hides the
  shorter names inside it ("مخيم عين التل" is the camp, not the Ayn at-Tal quarter).
- A few neighbourhoods are named by ordinary words ("الشهداء" the martyrs, "تشرين" the
  month). Those count only when the text frames them as a place (see `_COMMON_WORDS`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

__all__ = [
    "Gazetteer",
    "Match",
    "aleppo_geojson",
    "load_aleppo_aliases",
    "normalize_arabic",
]

_PACKAGE: Final = "hanano.geo"
_GEOJSON_FILE: Final = "data/aleppo_neighbourhoods.geojson"
_ALIASES_FILE: Final = "data/aleppo_aliases.csv"

# Scores. An exact name outranks a spelling variant, which outranks a near miss.
_EXACT: Final = 1.0
_SKELETON: Final = 0.95  # same transliteration skeleton: Sakhur, Sakhour
_GLUED: Final = 0.95  # a two-word name written as one word: Salaheddine
_GLUED_ARTICLE: Final = 0.97  # an article run into the name: Alsakhour
_FUZZY_CEILING: Final = 0.95  # scaled down by the share of letters that differ
_MIN_SCORE: Final = 0.5  # below this a candidate is not worth showing
_BEST_SCORE: Final = 0.75  # best() answers only from here up
_BEST_MARGIN: Final = 0.05  # ...and not when another zone read from the same words is this close
_CONTAINER_SCORE: Final = 0.75  # a longer phrase hides the names inside it from this score up
_CACHE_LIMIT: Final = 20_000  # analysed words kept between calls
_MIN_GLUED: Final = 7  # letters in a generated one-word spelling of a two-word name

# A text naming a whole neighbourhood that is only part of a longer name (Ansari inside
# "Al-Ansari Mashhad") also hints at the longer one, more so the more of it it covers.
_PARTIAL_BASE: Final = 0.5
_PARTIAL_SPAN: Final = 0.3

_STRONG: Final = "strong"


# --- Arabic normalisation ---------------------------------------------------------------

_ARABIC_MARKS: Final = [
    *range(0x0610, 0x061B),
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x06D6, 0x06EE),
]
_ARABIC_TABLE: Final = str.maketrans(
    {
        **dict.fromkeys("أإآٱٲٳٵ", "ا"),
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ة": "ه",
        "ۀ": "ه",
        # Reports drop the final hamza as often as they write it (الشهداء, الشهدا).
        "ء": None,
        "ـ": None,
        **{chr(mark): None for mark in _ARABIC_MARKS},
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)


def normalize_arabic(text: str) -> str:
    """Fold the spelling variation of Arabic script that does not change a name.

    Hamza forms of alef (أ إ آ ٱ) become ا, ؤ becomes و and ئ becomes ي, taa marbuta ة becomes
    ه, alef maqsura ى becomes ي, a lone hamza ء is dropped, diacritics (harakat, shadda, sukun,
    tanween, superscript alef) and tatweel are removed, presentation forms and ligatures are
    unfolded, and Arabic-Indic digits become ASCII digits. Other characters are unchanged.
    """
    return unicodedata.normalize("NFKC", text).translate(_ARABIC_TABLE)


# --- words ---------------------------------------------------------------------------

_INVISIBLE: Final = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u061c\ufeff\u202a\u202b\u202c\u202d\u202e"),
    None,
)
_APOSTROPHES: Final = str.maketrans(dict.fromkeys("'’‘ʼʻʿʾ`´′", None))
_POSSESSIVE: Final = re.compile(r"(?<=[a-z])['’]s\b")
_TOKEN: Final = re.compile(r"[a-z0-9]+|[\u0621-\u064a\u066e-\u06d3]+")
_VOWELS: Final = frozenset("aeiou")
_DOUBLED: Final = re.compile(r"(.)\1+")


def _fold(text: str) -> str:
    text = normalize_arabic(text.translate(_INVISIBLE))
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _POSSESSIVE.sub("", text.casefold()).translate(_APOSTROPHES)


# Transliterated articles. al/el are dropped wherever they stand; the assimilated forms only
# before the letter they assimilate to (as-Sakhour, ad-Deen), so "at Sakhour" keeps its "at".
_ARTICLES: Final = frozenset({"al", "el", "ul", "il"})
_SUN_ARTICLES: Final = {
    "as": "s",
    "es": "s",
    "us": "s",
    "ash": "sh",
    "esh": "sh",
    "ush": "sh",
    "ad": "d",
    "ed": "d",
    "ud": "d",
    "adh": "dh",
    "ar": "r",
    "er": "r",
    "ur": "r",
    "az": "z",
    "ez": "z",
    "uz": "z",
    "at": "t",
    "et": "t",
    "ut": "t",
    "ath": "th",
    "an": "n",
    "en": "n",
    "un": "n",
}


def _is_article(token: str, following: str) -> bool:
    if not following.isascii() or not following.isalpha():
        return False
    if token in _ARTICLES:
        return True
    letter = _SUN_ARTICLES.get(token)
    return letter is not None and following.startswith(letter)


def _tokens(text: str) -> list[str]:
    raw = _TOKEN.findall(_fold(text))
    return [
        token
        for index, token in enumerate(raw)
        if not (index + 1 < len(raw) and _is_article(token, raw[index + 1]))
    ]


def _strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def _arabic_readings(word: str) -> Iterator[tuple[str, bool, bool]]:
    """Ways to read an Arabic word: (core, had ب-, had و-/ف-), the plain reading first."""
    yield _strip_article(word), False, False
    for conj in ("", "و", "ف"):
        if not word.startswith(conj):
            continue
        rest = word[len(conj) :]
        for prep in ("", "ب", "ل", "ك"):
            if not (conj or prep) or not rest.startswith(prep):
                continue
            core = rest[len(prep) :]
            if prep == "ل" and core.startswith("ل"):
                # ل before the article swallows its alef: للصاخور is ل + الصاخور.
                core = "ا" + core
            core = _strip_article(core)
            if len(core) >= 2:
                yield core, prep == "ب", bool(conj)


def _arabic_key(word: str) -> str:
    tokens = _TOKEN.findall(_fold(word))
    return " ".join(_strip_article(token) for token in tokens)


_LATIN_SYNONYMS: Final = {"bin": "ibn", "ben": "ibn", "bn": "ibn"}
_DIGRAPHS: Final = (
    ("kh", "k"),
    ("gh", "g"),
    ("sh", "$"),
    ("ch", "$"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("dj", "j"),
    ("q", "k"),
    ("c", "k"),
)


def _light(token: str) -> str:
    """Spelling key: doubled letters, the -eh/-ah ending and a silent final -e do not count."""
    light = _DOUBLED.sub(r"\1", _LATIN_SYNONYMS.get(token, token))
    if len(light) > 3 and light[-1] == "h" and light[-2] in "ae":
        return light[:-2] + "a"
    if len(light) > 3 and light[-1] == "e":
        return light[:-1]
    return light


# Vowels are not written in Arabic script, so transliterations disagree about them; they agree
# on the consonants. A run of vowel letters becomes one symbol for the set of Arabic vowels it
# can stand for: "e" is a or i (Sheikh, Shaykh; Jebrin, Jibreen), "o" and "ou" are u, "aw" is
# a or u (Dawla, Dauleh). Two runs are compatible when their sets meet; Sakhour (a-u) and
# Sukkari (u-a-i) share their consonants but not their vowels.
_VOWEL_SETS: Final = {"a": "A", "e": "AI", "i": "I", "y": "I", "o": "U", "u": "U", "w": "U"}
_RUN_SYMBOLS: Final = {
    frozenset("A"): "A",
    frozenset("I"): "I",
    frozenset("U"): "U",
    frozenset("AI"): "E",
    frozenset("AU"): "O",
    frozenset("IU"): "Y",
    frozenset("AIU"): "*",
}
_SYMBOL_SETS: Final = {symbol: vowels for vowels, symbol in _RUN_SYMBOLS.items()}
_COMPATIBLE: Final = frozenset(
    (x, y) for x, xs in _SYMBOL_SETS.items() for y, ys in _SYMBOL_SETS.items() if xs & ys
)
_COARSE: Final = str.maketrans(dict.fromkeys("AIUEOY*", "a"))


def _skeleton(light: str) -> str:
    """Transliteration key: consonants folded (kh/k, sh/ch, q/k), vowel runs as class symbols."""
    for digraph, letter in _DIGRAPHS:
        light = light.replace(digraph, letter)
    out: list[str] = []
    run: set[str] = set()
    for index, ch in enumerate(light):
        following = light[index + 1] if index + 1 < len(light) else ""
        vowel = (
            ch in _VOWELS
            or (ch == "y" and index > 0)
            or (ch == "w" and bool(run) and following not in _VOWELS)
        )
        if vowel:
            run.update(_VOWEL_SETS[ch])
            continue
        if run:
            out.append(_RUN_SYMBOLS[frozenset(run)])
            run = set()
        if not out or out[-1] != ch:
            out.append(ch)
    if run:
        out.append(_RUN_SYMBOLS[frozenset(run)])
    return "".join(out)


def _coarse(skeleton: str) -> str:
    """The skeleton with every vowel run alike: the key that finds candidates to compare."""
    return skeleton.translate(_COARSE)


def _compatible(a: str, b: str) -> bool:
    return len(a) == len(b) and all(
        x == y or (x, y) in _COMPATIBLE for x, y in zip(a, b, strict=True)
    )


def _distance(a: str, b: str, bound: int) -> int | None:
    """Edit distance of two skeletons (compatible vowels count as equal), None past bound."""
    if abs(len(a) - len(b)) > bound:
        return None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb or (ca, cb) in _COMPATIBLE else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        if min(current) > bound:
            return None
        previous = current
    return previous[-1] if previous[-1] <= bound else None


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 3}
        found |= frontier
    return found


def _fuzzy_quality(distance: int, a: str, b: str) -> float:
    return _FUZZY_CEILING * (1 - distance / max(len(a), len(b)))


def _allowed_distance(skeleton: str) -> int:
    return 1 if len(skeleton) < 8 else 2


# --- cues ----------------------------------------------------------------------------

# Words that frame the next name as a place. Strong cues say so outright ("حي", "district");
# weak ones ("في", "on", a ب- prefix) usually do, and are named so that a common word can
# refuse the ones it is idiomatic with ("في سبيل الله", "مصاب بالسكري").
_STRONG_BEFORE_AR: Final = frozenset(
    _arabic_key(w) for w in ("حي", "حيي", "أحياء", "منطقة", "حارة")
)
_WEAK_AR: Final = {
    _arabic_key("في"): "in",
    _arabic_key("داخل"): "in",
    _arabic_key("على"): "on",
    _arabic_key("إلى"): "to",
    _arabic_key("نحو"): "to",
    _arabic_key("عند"): "at",
    _arabic_key("قرب"): "at",
}
_STRONG_BEFORE_EN: Final = frozenset(
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
_STRONG_AFTER_EN: Final = frozenset(
    {"neighbourhood", "neighborhood", "district", "quarter", "area", "areas"}
)
_WEAK_EN: Final = {
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
_SKIPPED_BEFORE_NAME: Final = frozenset({"the", "of"})
_CONJUNCTIONS: Final = frozenset({"and", "or", "و", "او"})
_LEADING_CUES: Final = frozenset({"hay", "hayy", "hai", _arabic_key("حي")})

_ANY_WEAK: Final = frozenset({"in", "on", "to", "at", "b"})
_STRONG_ONLY: Final = frozenset[str]()
_NO_B: Final = frozenset({"in", "on", "to", "at"})


@dataclass(frozen=True)
class _CommonWord:
    meaning: str
    cues: frozenset[str]
    not_before: frozenset[str] = frozenset()
    not_before_latin: frozenset[str] = frozenset()


def _common(
    meaning: str,
    cues: frozenset[str],
    not_before: Iterable[str] = (),
    not_before_latin: Iterable[str] = (),
) -> _CommonWord:
    return _CommonWord(
        meaning,
        cues,
        frozenset(_arabic_key(w) for w in not_before),
        frozenset(_coarse(_skeleton(_light(w))) for w in not_before_latin),
    )


# Neighbourhoods whose name is also an everyday word. Such a name counts as a place only when
# a cue frames it (a strong cue always; only the weak cues listed here), or as part of a
# longer name or alias. The rule follows the zone to its transliterations ("Shuhada" is also
# a brigade's name), but the idioms that rule out weak cues are Arabic ones, so in Latin
# script any preposition will do ("in Fardos").
_COMMON_WORDS_SOURCE: Final = {
    "الشهداء": _common("'the martyrs': casualty counts (سقط ثلاثة شهداء)", _STRONG_ONLY),
    "الزهور": _common("'the flowers'", _STRONG_ONLY),
    "الميدان": _common("'the square', 'the field' (فرقنا في الميدان)", _STRONG_ONLY),
    "الباسل": _common("'the brave', an epithet and a given name", _ANY_WEAK),
    "عروبة": _common("'Arabism'", _ANY_WEAK),
    "تشرين": _common(
        "the months Tishreen I and II (October, November), a newspaper, a university",
        _STRONG_ONLY,
        not_before=("الأول", "الثاني", "أول", "ثاني"),
        not_before_latin=("awwal", "awal", "thani", "thaani", "tani", "sani"),
    ),
    "فردوس": _common("'paradise' (في الفردوس الأعلى)", _STRONG_ONLY),
    "السبيل": _common("'the way', a public fountain (في سبيل الله)", _STRONG_ONLY),
    "الجامعة": _common("'the university', 'the (Arab) League'", _ANY_WEAK, ("العربية",)),
    "المحافظة": _common("'the governorate', the authority", _STRONG_ONLY),
    "الشهباء": _common(
        "a name for Aleppo itself (حلب الشهباء) and for the region north", _STRONG_ONLY
    ),
    "السكري": _common("'diabetes', 'sugary' (مصاب بالسكري)", _NO_B),
    "أبراج": _common("'towers'", _STRONG_ONLY),
    "الفيض": _common("'flood', 'abundance'", _ANY_WEAK),
    "العقبة": _common("'obstacle'; Aqaba in Jordan", _STRONG_ONLY),
    "البلاط": _common("'tiles', 'the royal court'", _NO_B),
    "الأصيلة": _common("'authentic'", _NO_B),
    "الصالحين": _common("'the righteous', in prayers for the dead", _STRONG_ONLY),
    "المرجة": _common("'the meadow'; Marjeh Square in Damascus", _ANY_WEAK),
    "العجم": _common("'the Persians', 'non-Arabs'", _ANY_WEAK),
    "الزهراء": _common("Fatima al-Zahraa; the town of az-Zahraa north of the city", _ANY_WEAK),
    "الفرقان": _common("a name of the Quran, given to mosques across the city", _ANY_WEAK),
    "الغزالي": _common("the scholar al-Ghazali, schools named after him; a surname", _ANY_WEAK),
    "الجديدة": _common("'new' (feminine adjective)", _NO_B),
    "مشهد": _common("'a scene' (في مشهد مروع)", _STRONG_ONLY),
    "السريان": _common("'the Syriacs', the community", _ANY_WEAK),
    "الأميرية": _common("'state-run' (المدرسة الأميرية)", _ANY_WEAK),
}
_COMMON_WORDS: Final = {_arabic_key(w): c for w, c in _COMMON_WORDS_SOURCE.items()}

# Parts of a two-part official name that name nothing by themselves.
_GENERIC_NAME_PARTS: Final = frozenset({_arabic_key("المنطقة الصناعية")})

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
_STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())


# --- public data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A neighbourhood a text names: P-code, official English name, score and the name seen."""

    pcode: str
    name: str
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class _Entry:
    """One way of naming a zone: official name, alias, generated spelling or partial name."""

    pcode: str
    text: str
    vids: tuple[int, ...]
    factor: float
    source_pcode: str
    latin: bool
    common: str | None
    glued: bool = False


@dataclass(frozen=True, slots=True)
class _Word:
    """A word of a report with what the matcher needs to know about it."""

    latin: bool
    key: str
    skeleton: str
    raw: str
    by: bool = False
    conj: bool = False
    cue: str | None = None
    cue_after: bool = False
    is_conj: bool = False
    stop: bool = False
    cands: Mapping[int, tuple[float, bool]] = field(default_factory=dict)


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    entry: _Entry
    score: float


def _first_line(value: object) -> str:
    # Some official Arabic names repeat themselves on several lines.
    for line in str(value or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _name_parts(name: str) -> list[str]:
    if not name:
        return []
    parts = [name]
    if "/" in name:
        parts += [p.strip() for p in name.split("/") if p.strip()]
    return [p for p in parts if _arabic_key(p) not in _GENERIC_NAME_PARTS]


def _glued_spellings(name: str) -> list[tuple[bool, str, str]]:
    """One-word spellings of a two-word Latin name: Salaheddine for Salah ad-Deen."""
    raw = _TOKEN.findall(_fold(name))
    spellings = {"".join(_tokens(name))}
    if len(raw) == 3:
        spellings.add("".join(raw))
    words = [(True, _light(s), _skeleton(_light(s))) for s in sorted(spellings)]
    # Short compounds (Ayn at-Tal, "aintal") are as likely to be an English word (entail).
    return [w for w in words if len(_coarse(w[2])) >= _MIN_GLUED]


class Gazetteer:
    """Find the neighbourhoods a free text names, in Arabic or English.

    Build one with `from_geojson`; it holds every index it needs in memory, so `match` and
    `best` do no I/O. Matching is safe from several threads; `add_alias` is not.
    """

    def __init__(self) -> None:
        self._zones: dict[str, str] = {}
        self._vocab: list[tuple[bool, str, str]] = []
        self._arabic_ids: dict[str, int] = {}
        self._light_ids: dict[str, int] = {}
        self._skeleton_ids: dict[str, list[int]] = {}
        self._deletion_ids: dict[str, set[int]] = {}
        self._entries: list[_Entry] = []
        self._entry_keys: set[tuple[str, tuple[int, ...]]] = set()
        self._by_first: dict[int, list[int]] = {}
        self._zone_common: dict[str, _CommonWord] = {}
        self._cache: dict[str, _Word] = {}

    # --- building ----------------------------------------------------------------

    @classmethod
    def from_geojson(
        cls, geojson: Mapping[str, Any], aliases: Iterable[tuple[str, str]] = ()
    ) -> Gazetteer:
        """Index the zones of a GeoJSON FeatureCollection and the given (alias, P-code) pairs.

        Each feature needs a PCODE property and should have NAME_EN and NAME_AR; only the
        first line of NAME_AR is read. Both parts of a two-part name ("Beit Meheb / Jdeydeh")
        are indexed as well as the whole. Raises ValueError on a feature without a P-code and,
        as `add_alias` does, on a bad alias.
        """
        features = geojson.get("features")
        if not isinstance(features, list):
            raise ValueError("geojson must be a FeatureCollection with a list of features")
        gazetteer = cls()
        official: list[int] = []
        for number, feature in enumerate(features):
            if not isinstance(feature, Mapping):
                raise ValueError(f"features[{number}] is not a GeoJSON feature")
            props = feature.get("properties") or {}
            pcode = str(props.get("PCODE") or "").strip()
            if not pcode:
                raise ValueError(f"features[{number}] has no PCODE")
            name_en = str(props.get("NAME_EN") or "").strip()
            name_ar = _first_line(props.get("NAME_AR"))
            gazetteer._zones[pcode] = name_en or name_ar or pcode
            for name in (*_name_parts(name_en), *_name_parts(name_ar)):
                index = gazetteer._index_name(name, pcode)
                if index is not None:
                    official.append(index)
        gazetteer._index_partials(official)
        for alias, pcode in aliases:
            gazetteer.add_alias(alias, pcode)
        return gazetteer

    def add_alias(self, alias: str, pcode: str) -> None:
        """Teach the gazetteer another name for a zone.

        Raises ValueError when the P-code is unknown or the alias is empty (has no letters).
        """
        if pcode not in self._zones:
            raise ValueError(f"unknown P-code {pcode!r}")
        words = self._name_words(alias)
        if not words:
            raise ValueError("alias must not be empty")
        self._add_entry(alias.strip(), pcode, words, _EXACT)
        self._cache.clear()

    def _name_words(self, name: str) -> list[tuple[bool, str, str]]:
        tokens = _tokens(name)
        while len(tokens) > 1 and _strip_article(tokens[0]) in _LEADING_CUES:
            tokens = tokens[1:]
        words: list[tuple[bool, str, str]] = []
        for token in tokens:
            if token.isascii():
                light = _light(token)
                words.append((True, light, _skeleton(light)))
            else:
                words.append((False, _strip_article(token), ""))
        return words

    def _index_name(self, name: str, pcode: str) -> int | None:
        words = self._name_words(name)
        if not words:
            return None
        index = self._add_entry(name, pcode, words, _EXACT)
        if len(words) == 2 and all(latin for latin, _, _ in words):
            for glued in _glued_spellings(name):
                self._add_entry(name, pcode, [glued], _GLUED, glued=True)
        return index if index >= 0 else None

    def _intern(self, word: tuple[bool, str, str]) -> int:
        latin, key, skeleton = word
        ids = self._light_ids if latin else self._arabic_ids
        vid = ids.get(key)
        if vid is not None:
            return vid
        vid = len(self._vocab)
        self._vocab.append(word)
        ids[key] = vid
        if latin:
            coarse = _coarse(skeleton)
            self._skeleton_ids.setdefault(coarse, []).append(vid)
            if len(coarse) >= 5:
                for deletion in _deletions(coarse, 2):
                    self._deletion_ids.setdefault(deletion, set()).add(vid)
        return vid

    def _add_entry(
        self,
        text: str,
        pcode: str,
        words: list[tuple[bool, str, str]],
        factor: float,
        *,
        source_pcode: str | None = None,
        glued: bool = False,
    ) -> int:
        vids = tuple(self._intern(word) for word in words)
        if (pcode, vids) in self._entry_keys:
            return -1
        self._entry_keys.add((pcode, vids))
        latin = words[0][0]
        common = None if latin or len(words) != 1 or glued else words[0][1]
        if common not in _COMMON_WORDS:
            common = None
        if common is not None and source_pcode is None:
            self._zone_common.setdefault(pcode, _COMMON_WORDS[common])
        entry = _Entry(pcode, text, vids, factor, source_pcode or pcode, latin, common, glued)
        self._entries.append(entry)
        self._by_first.setdefault(vids[0], []).append(len(self._entries) - 1)
        return len(self._entries) - 1

    def _same_word(self, a: int, b: int) -> bool:
        if a == b:
            return True
        latin_a, _, skeleton_a = self._vocab[a]
        latin_b, _, skeleton_b = self._vocab[b]
        return latin_a and latin_b and _compatible(skeleton_a, skeleton_b)

    def _index_partials(self, official: list[int]) -> None:
        """Let a zone's full name also hint at the longer names that contain it."""
        entries = [self._entries[i] for i in official]
        for short in entries:
            if self._common_word(short) is not None:
                continue  # "الجديدة" in "حلب الجديدة" is the adjective, not Jdeydeh
            for long in entries:
                n, m = len(short.vids), len(long.vids)
                if long.pcode == short.pcode or n >= m or short.latin != long.latin:
                    continue
                if any(
                    all(self._same_word(s, long.vids[k + j]) for j, s in enumerate(short.vids))
                    for k in range(m - n + 1)
                ):
                    words = [self._vocab[v] for v in short.vids]
                    factor = _PARTIAL_BASE + _PARTIAL_SPAN * n / m
                    self._add_entry(short.text, long.pcode, words, factor, source_pcode=short.pcode)

    # --- reading a text ------------------------------------------------------------

    def _words(self, text: str) -> list[_Word]:
        words = []
        for token in _tokens(text):
            word = self._cache.get(token)
            if word is None:
                word = self._analyse(token)
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[token] = word
            words.append(word)
        return words

    def _analyse(self, token: str) -> _Word:
        return self._analyse_latin(token) if token.isascii() else self._analyse_arabic(token)

    def _analyse_arabic(self, token: str) -> _Word:
        # A word may be both a cue and part of a name: منطقة opens "منطقة صناعية جبرين".
        name: tuple[str, bool, bool] | None = None
        cue: str | None = None
        for reading in _arabic_readings(token):
            core = reading[0]
            if name is None and core in self._arabic_ids:
                name = reading
            if cue is None:
                cue = _STRONG if core in _STRONG_BEFORE_AR else _WEAK_AR.get(core)
            if name is not None and cue is not None:
                break
        if name is None:
            return _Word(
                False, _strip_article(token), "", token, cue=cue, is_conj=token in _CONJUNCTIONS
            )
        core, by, conj = name
        cands = {self._arabic_ids[core]: (_EXACT, True)}
        return _Word(False, core, "", token, by=by, conj=conj, cue=cue, cands=cands)

    def _analyse_latin(self, token: str) -> _Word:
        light = _light(token)
        skeleton = _skeleton(light)
        stop = token in _STOPWORDS or token.isdigit()
        cands: dict[int, tuple[float, bool]] = {}
        vid = self._light_ids.get(light)
        if vid is not None:
            # An everyday word may be part of a name (New Aleppo) but is never one alone.
            cands[vid] = (_EXACT, not stop)
        if not stop:
            self._add_skeleton_cands(cands, skeleton, _SKELETON)
            if not cands:
                self._add_glued_article_cands(cands, token)
            if len(_coarse(skeleton)) >= 5:
                for vid, near in self._near(skeleton).items():
                    cands.setdefault(vid, near)
        cue = _STRONG if token in _STRONG_BEFORE_EN else _WEAK_EN.get(token)
        return _Word(
            True,
            light,
            skeleton,
            token,
            cue=cue,
            cue_after=token in _STRONG_AFTER_EN,
            is_conj=token in _CONJUNCTIONS,
            stop=stop,
            cands=cands,
        )

    def _add_glued_article_cands(self, cands: dict[int, tuple[float, bool]], token: str) -> None:
        """Read a name with its article run in: Alsakhour, and ad-Din written as eddin."""
        if len(token) > 4 and token[:2] in ("al", "el"):
            alone = True
            rest = token[2:]
        elif len(token) > 4 and token[0] in _VOWELS and token[1] == token[2] not in _VOWELS:
            # English has words like this too (attack, effect): only inside a longer name.
            alone = False
            rest = token[2:]
        else:
            return
        light = _light(rest)
        if (vid := self._light_ids.get(light)) is not None:
            cands[vid] = (_GLUED_ARTICLE, alone)
        skeleton = _skeleton(light)
        for vid in self._skeleton_ids.get(_coarse(skeleton), ()):
            if _compatible(skeleton, self._vocab[vid][2]):
                quality = _SKELETON * _GLUED_ARTICLE
                cands.setdefault(vid, (quality, alone and len(skeleton) >= 4))

    def _add_skeleton_cands(
        self, cands: dict[int, tuple[float, bool]], skeleton: str, quality: float
    ) -> None:
        # A short skeleton says too little alone; it may still start a longer name.
        alone = len(skeleton) >= 4
        for vid in self._skeleton_ids.get(_coarse(skeleton), ()):
            if _compatible(skeleton, self._vocab[vid][2]):
                cands.setdefault(vid, (quality, alone))

    def _near(self, skeleton: str) -> dict[int, tuple[float, bool]]:
        depth = 1 if len(skeleton) < 7 else 2
        seen: set[int] = set()
        for deletion in _deletions(_coarse(skeleton), depth):
            seen |= self._deletion_ids.get(deletion, set())
        near: dict[int, tuple[float, bool]] = {}
        for vid in seen:
            target = self._vocab[vid][2]
            if not _compatible(target[0], skeleton[0]):
                continue
            distance = _distance(skeleton, target, _allowed_distance(target))
            if distance:
                # Too many English words are one letter from a name (sector, Sakhour) for a
                # near miss to stand alone; it may still start a longer name.
                near[vid] = (_fuzzy_quality(distance, skeleton, target), False)
        return near

    def _quality(self, word: _Word, vid: int) -> float:
        """How well a word stands for a later word of a name, once its first word matched."""
        hit = word.cands.get(vid)
        if hit is not None:
            return hit[0]
        latin, _, target = self._vocab[vid]
        if not (latin and word.latin) or word.stop or not word.skeleton:
            return 0.0
        if _compatible(word.skeleton, target):
            return _SKELETON
        if min(len(word.skeleton), len(target)) < 3 or not _compatible(word.skeleton[0], target[0]):
            return 0.0
        distance = _distance(word.skeleton, target, _allowed_distance(target))
        return _fuzzy_quality(distance, word.skeleton, target) if distance else 0.0

    # --- matching -------------------------------------------------------------------

    def _find(self, words: list[_Word]) -> list[_Span]:
        spans: list[_Span] = []
        for start, word in enumerate(words):
            for vid, (quality, alone) in word.cands.items():
                for index in self._by_first.get(vid, ()):
                    entry = self._entries[index]
                    span = self._extend(words, start, entry, quality, alone)
                    if span is not None:
                        spans.append(span)
        return spans

    def _extend(
        self, words: list[_Word], start: int, entry: _Entry, quality: float, alone: bool
    ) -> _Span | None:
        size = len(entry.vids)
        if size == 1:
            return _Span(start, start, entry, quality * entry.factor) if alone else None
        if start + size > len(words):
            return None
        total = quality
        for offset in range(1, size):
            next_quality = self._quality(words[start + offset], entry.vids[offset])
            if not next_quality:
                return None
            total += next_quality
        return _Span(start, start + size - 1, entry, total / size * entry.factor)

    def _common_word(self, entry: _Entry) -> _CommonWord | None:
        if len(entry.vids) != 1 or entry.glued:
            return None
        if entry.common is not None:
            return _COMMON_WORDS[entry.common]
        return self._zone_common.get(entry.source_pcode) if entry.latin else None

    @staticmethod
    def _framing(words: list[_Word], span: _Span, framed: Mapping[int, str]) -> str | None:
        """What cue, if any, presents the words of a span as a place."""
        before = span.start - 1
        while before >= 0 and words[before].latin and words[before].raw in _SKIPPED_BEFORE_NAME:
            before -= 1
        cue = words[before].cue if before >= 0 else None
        after = span.end + 1
        if cue == _STRONG or (after < len(words) and words[after].cue_after):
            return _STRONG
        if cue is not None:
            return cue
        first = words[span.start]
        if first.by:
            return "b"
        # A name joined to an already framed one shares its cue: "حي هنانو والشهداء".
        if first.conj and span.start - 1 in framed:
            return framed[span.start - 1]
        if span.start >= 2 and words[span.start - 1].is_conj and span.start - 2 in framed:
            return framed[span.start - 2]
        return None

    @staticmethod
    def _vetoed(words: list[_Word], span: _Span, common: _CommonWord) -> bool:
        after = span.end + 1
        if after >= len(words):
            return False
        following = words[after]
        if following.latin:
            return _coarse(following.skeleton) in common.not_before_latin
        return following.key in common.not_before

    def _spans(self, text: str) -> list[_Span]:
        words = self._words(text)
        found = sorted(self._find(words), key=lambda s: (s.start, s.start - s.end))
        framed: dict[int, str] = {}
        accepted: list[_Span] = []
        for span in found:
            framing = self._framing(words, span, framed)
            common = self._common_word(span.entry)
            if common is not None and (
                self._vetoed(words, span, common)
                or not (
                    framing == _STRONG or framing in (_NO_B if span.entry.latin else common.cues)
                )
            ):
                continue
            if span.score < _MIN_SCORE:
                continue
            accepted.append(span)
            if framing is not None and framed.get(span.end) != _STRONG:
                framed[span.end] = framing
        return [
            span
            for span in accepted
            if not any(
                other.start <= span.start
                and other.end >= span.end
                and other.end - other.start > span.end - span.start
                and other.score >= _CONTAINER_SCORE
                for other in accepted
            )
        ]

    def _to_match(self, span: _Span) -> Match:
        entry = span.entry
        return Match(
            entry.pcode, self._zones[entry.pcode], round(min(span.score, 1.0), 4), entry.text
        )

    @staticmethod
    def _rank(spans: list[_Span]) -> list[_Span]:
        best: dict[str, _Span] = {}
        for span in spans:
            current = best.get(span.entry.pcode)
            if current is None or (span.score, -span.start) > (current.score, -current.start):
                best[span.entry.pcode] = span
        return sorted(best.values(), key=lambda s: (-s.score, s.start, s.entry.pcode))

    def match(self, text: str, limit: int = 5) -> list[Match]:
        """The zones a text names, best first; [] when it names none plausibly.

        Scores run from 0 to 1: 1 for an exact name or alias after normalisation, 0.95 for a
        transliteration variant, less for a near miss, and about 0.6 for a zone whose longer
        name merely contains the name found. Zones named equally well come in text order.
        """
        if limit <= 0:
            return []
        return [self._to_match(span) for span in self._rank(self._spans(text))[:limit]]

    def best(self, text: str) -> Match | None:
        """The zone a text names if the gazetteer is confident, else None.

        Confident means a score of at least 0.75 and no other zone read from the same words
        within 0.05 of it (an alias shared by two zones). When a text names several zones
        equally well, the first named wins: reports name the place hit before the hospital.
        """
        spans = self._spans(text)
        ranked = self._rank(spans)
        if not ranked or ranked[0].score < _BEST_SCORE:
            return None
        top = ranked[0]
        for span in spans:
            if (
                span.entry.pcode != top.entry.pcode
                and (span.start, span.end) == (top.start, top.end)
                and span.score >= top.score - _BEST_MARGIN
            ):
                return None
        return self._to_match(top)


# --- packaged Aleppo data ---------------------------------------------------------------


def aleppo_geojson() -> dict[str, Any]:
    """The OCHA 2016 Aleppo neighbourhoods (109 zones) shipped with the package."""
    text = resources.files(_PACKAGE).joinpath(_GEOJSON_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_aleppo_aliases() -> list[tuple[str, str]]:
    """The (alias, P-code) pairs shipped in data/aleppo_aliases.csv: landmarks and spellings."""
    text = resources.files(_PACKAGE).joinpath(_ALIASES_FILE).read_text(encoding="utf-8")
    return [(row["alias"], row["pcode"]) for row in csv.DictReader(io.StringIO(text))]
