"""How the gazetteer spells a word: Arabic normalised, Latin folded to transliteration keys.

Arabic is normalised (hamza forms, taa marbuta, alef maqsura, diacritics, tatweel, digits) and
each word may be read without its clitics. Latin script is folded twice: a spelling key (case,
accents, apostrophes, doubled letters, the -eh/-a ending) and a transliteration skeleton
(kh/k, sh/ch, q/k, each vowel run one symbol for the vowels it can stand for), so Sakhour,
Sakhur and Sakhoor are one word. Two skeletons are compared with an edit distance in which
compatible vowel runs count as equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Final

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
TOKEN: Final = re.compile(r"[a-z0-9]+|[\u0621-\u064a\u066e-\u06d3]+")
VOWELS: Final = frozenset("aeiou")
_DOUBLED: Final = re.compile(r"(.)\1+")


def fold(text: str) -> str:
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


def tokens(text: str) -> list[str]:
    raw = TOKEN.findall(fold(text))
    return [
        token
        for index, token in enumerate(raw)
        if not (index + 1 < len(raw) and _is_article(token, raw[index + 1]))
    ]


def strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def arabic_readings(word: str) -> Iterator[tuple[str, bool, bool]]:
    """Ways to read an Arabic word: (core, had ب-, had و-/ف-), the plain reading first."""
    yield strip_article(word), False, False
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
            core = strip_article(core)
            if len(core) >= 2:
                yield core, prep == "ب", bool(conj)


def arabic_key(word: str) -> str:
    tokens = TOKEN.findall(fold(word))
    return " ".join(strip_article(token) for token in tokens)


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


def light(token: str) -> str:
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


def skeleton(light: str) -> str:
    """Transliteration key: consonants folded (kh/k, sh/ch, q/k), vowel runs as class symbols."""
    for digraph, letter in _DIGRAPHS:
        light = light.replace(digraph, letter)
    out: list[str] = []
    run: set[str] = set()
    for index, ch in enumerate(light):
        following = light[index + 1] if index + 1 < len(light) else ""
        vowel = (
            ch in VOWELS
            or (ch == "y" and index > 0)
            or (ch == "w" and bool(run) and following not in VOWELS)
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


def coarse(skeleton: str) -> str:
    """The skeleton with every vowel run alike: the key that finds candidates to compare."""
    return skeleton.translate(_COARSE)


def compatible(a: str, b: str) -> bool:
    return len(a) == len(b) and all(
        x == y or (x, y) in _COMPATIBLE for x, y in zip(a, b, strict=True)
    )


def distance(a: str, b: str, bound: int) -> int | None:
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


def deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 3}
        found |= frontier
    return found


def allowed_distance(skeleton: str) -> int:
    return 1 if len(skeleton) < 8 else 2
