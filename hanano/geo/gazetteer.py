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
  month). Those count only when the text frames them as a place (see `cues.COMMON_WORDS`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from hanano.geo import cues, spelling
from hanano.geo.reading import EXACT, Vocabulary, Word
from hanano.geo.spelling import normalize_arabic

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

# Scores of a whole name; hanano.geo.reading scores the words it is made of.
_GLUED: Final = 0.95  # a two-word name written as one word: Salaheddine
_MIN_SCORE: Final = 0.5  # below this a candidate is not worth showing
_BEST_SCORE: Final = 0.75  # best() answers only from here up
_BEST_MARGIN: Final = 0.05  # ...and not when another zone read from the same words is this close
_CONTAINER_SCORE: Final = 0.75  # a longer phrase hides the names inside it from this score up
_MIN_GLUED: Final = 7  # letters in a generated one-word spelling of a two-word name

# A text naming a whole neighbourhood that is only part of a longer name (Ansari inside
# "Al-Ansari Mashhad") also hints at the longer one, more so the more of it it covers.
_PARTIAL_BASE: Final = 0.5
_PARTIAL_SPAN: Final = 0.3


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
    return [p for p in parts if spelling.arabic_key(p) not in cues.GENERIC_NAME_PARTS]


def _heads_dated_title(words: list[Word], span: _Span) -> bool:
    """Whether a name opens a title and a date follows it: "الفردوس 19/9/2014".

    That is how reports are titled, so the name is a place even when it is also an everyday
    word. Only the city's name or the event ("مجزرة", "حريق") may come before it. A date is a
    day and a month, in digits or words (or a year and a month): "الشهداء 3" is not one.
    """
    head = words[: span.start]
    if len(head) > 2 or any(
        (w.raw if w.latin else w.key) not in cues.TITLE_HEAD_WORDS for w in head
    ):
        return False
    following = words[span.end + 1 : span.end + 3]
    if len(following) < 2 or not following[0].raw.isdigit():
        return False
    first, month = int(following[0].raw), following[1]
    if month.raw.isdigit():
        return 1 <= int(month.raw) <= 12 and (1 <= first <= 31 or 1900 <= first <= 2100)
    return 1 <= first <= 31 and (month.raw if month.latin else month.key) in cues.MONTHS


def _cores(word: Word) -> set[str]:
    """A word as it may be read without its prepositions: بحلب is حلب, بمدينة is مدينة.

    Not without a conjunction: "الشعار وريف حلب" names the countryside as another place.
    """
    if word.latin:
        return {word.raw}
    return {core for core, _, conj in spelling.arabic_readings(word.raw) if not conj}


def _place_after(words: list[Word], index: int) -> set[str]:
    """The word a name is said to be in, past "district in the", "بمدينة": "بمدينة حلب" is حلب."""
    for word in words[index : index + 4]:
        cores = _cores(word)
        if not cores & cues.BEFORE_CITY:
            return cores
    return set()


def _elsewhere(words: list[Word], span: _Span) -> bool:
    """Whether the text puts a name in a town, a village or another city (see cues)."""
    before = span.start - 1
    while before >= 0 and words[before].latin and words[before].raw in cues.SKIPPED_BEFORE_NAME:
        before -= 1
    if before >= 0 and _cores(words[before]) & cues.ELSEWHERE_BEFORE:
        return True
    return bool(_place_after(words, span.end + 1) & cues.ELSEWHERE_AFTER)


def _glued_spellings(name: str) -> list[tuple[bool, str, str]]:
    """One-word spellings of a two-word Latin name: Salaheddine for Salah ad-Deen."""
    raw = spelling.TOKEN.findall(spelling.fold(name))
    spellings = {"".join(spelling.tokens(name))}
    if len(raw) == 3:
        spellings.add("".join(raw))
    words = [
        (True, spelling.light(s), spelling.skeleton(spelling.light(s))) for s in sorted(spellings)
    ]
    # Short compounds (Ayn at-Tal, "aintal") are as likely to be an English word (entail).
    return [w for w in words if len(spelling.coarse(w[2])) >= _MIN_GLUED]


class Gazetteer:
    """Find the neighbourhoods a free text names, in Arabic or English.

    Build one with `from_geojson`; it holds every index it needs in memory, so `match` and
    `best` do no I/O. Matching is safe from several threads; `add_alias` is not.
    """

    def __init__(self) -> None:
        self._zones: dict[str, str] = {}
        self._vocabulary = Vocabulary()
        self._entries: list[_Entry] = []
        self._entry_keys: set[tuple[str, tuple[int, ...]]] = set()
        self._by_first: dict[int, list[int]] = {}
        self._zone_common: dict[str, cues.CommonWord] = {}

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
        self._add_entry(alias.strip(), pcode, words, EXACT)
        self._vocabulary.forget_readings()

    def _name_words(self, name: str) -> list[tuple[bool, str, str]]:
        tokens = spelling.tokens(name)
        while len(tokens) > 1 and spelling.strip_article(tokens[0]) in cues.LEADING_CUES:
            tokens = tokens[1:]
        words: list[tuple[bool, str, str]] = []
        for token in tokens:
            if token.isascii():
                light = spelling.light(token)
                words.append((True, light, spelling.skeleton(light)))
            else:
                words.append((False, spelling.strip_article(token), ""))
        return words

    def _index_name(self, name: str, pcode: str) -> int | None:
        words = self._name_words(name)
        if not words:
            return None
        index = self._add_entry(name, pcode, words, EXACT)
        if len(words) == 2 and all(latin for latin, _, _ in words):
            for glued in _glued_spellings(name):
                self._add_entry(name, pcode, [glued], _GLUED, glued=True)
        return index if index >= 0 else None

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
        vids = tuple(self._vocabulary.add(word) for word in words)
        if (pcode, vids) in self._entry_keys:
            return -1
        self._entry_keys.add((pcode, vids))
        latin = words[0][0]
        common = None if latin or len(words) != 1 or glued else words[0][1]
        if common not in cues.COMMON_WORDS:
            common = None
        if common is not None and source_pcode is None:
            self._zone_common.setdefault(pcode, cues.COMMON_WORDS[common])
        entry = _Entry(pcode, text, vids, factor, source_pcode or pcode, latin, common, glued)
        self._entries.append(entry)
        self._by_first.setdefault(vids[0], []).append(len(self._entries) - 1)
        return len(self._entries) - 1

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
                    all(
                        self._vocabulary.same(s, long.vids[k + j]) for j, s in enumerate(short.vids)
                    )
                    for k in range(m - n + 1)
                ):
                    words = [self._vocabulary.spelled(v) for v in short.vids]
                    factor = _PARTIAL_BASE + _PARTIAL_SPAN * n / m
                    self._add_entry(short.text, long.pcode, words, factor, source_pcode=short.pcode)

    # --- reading a text ------------------------------------------------------------

    # --- matching -------------------------------------------------------------------

    def _find(self, words: list[Word]) -> list[_Span]:
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
        self, words: list[Word], start: int, entry: _Entry, quality: float, alone: bool
    ) -> _Span | None:
        size = len(entry.vids)
        if size == 1:
            return _Span(start, start, entry, quality * entry.factor) if alone else None
        if start + size > len(words):
            return None
        total = quality
        for offset in range(1, size):
            next_quality = self._vocabulary.quality(words[start + offset], entry.vids[offset])
            if not next_quality:
                return None
            total += next_quality
        return _Span(start, start + size - 1, entry, total / size * entry.factor)

    def _common_word(self, entry: _Entry) -> cues.CommonWord | None:
        if len(entry.vids) != 1 or entry.glued:
            return None
        if entry.common is not None:
            return cues.COMMON_WORDS[entry.common]
        return self._zone_common.get(entry.source_pcode) if entry.latin else None

    @staticmethod
    def _framing(words: list[Word], span: _Span, framed: Mapping[int, str]) -> str | None:
        """What cue, if any, presents the words of a span as a place."""
        before = span.start - 1
        while before >= 0 and words[before].latin and words[before].raw in cues.SKIPPED_BEFORE_NAME:
            before -= 1
        cue = words[before].cue if before >= 0 else None
        after = span.end + 1
        if (
            cue == cues.STRONG
            or (after < len(words) and words[after].cue_after)
            or _heads_dated_title(words, span)
        ):
            return cues.STRONG
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
        return "in" if _place_after(words, span.end + 1) & cues.CITY else None

    @staticmethod
    def _vetoed(words: list[Word], span: _Span, common: cues.CommonWord) -> bool:
        after = span.end + 1
        if after >= len(words):
            return False
        following = words[after]
        if following.latin:
            return spelling.coarse(following.skeleton) in common.not_before_latin
        return following.key in common.not_before

    def _spans(self, text: str) -> list[_Span]:
        words = self._vocabulary.read(text)
        found = sorted(self._find(words), key=lambda s: (s.start, s.start - s.end))
        framed: dict[int, str] = {}
        accepted: list[_Span] = []
        for span in found:
            if _elsewhere(words, span):
                continue
            framing = self._framing(words, span, framed)
            common = self._common_word(span.entry)
            if common is not None and (
                self._vetoed(words, span, common)
                or not (
                    framing == cues.STRONG
                    or framing in (cues.NO_B if span.entry.latin else common.cues)
                )
            ):
                continue
            if span.score < _MIN_SCORE:
                continue
            accepted.append(span)
            if framing is not None and framed.get(span.end) != cues.STRONG:
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
