"""The words of every indexed name, and how a word of a report reads against them.

Each distinct word of a name is kept once with an id. A word of a report is analysed once
(and cached): which name words it may stand for and how well, whether it is a cue that frames
a place, a conjunction, or an everyday English word that must not match a name by sound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hanano.geo import cues, spelling

# Scores. An exact name outranks a spelling variant, which outranks a near miss.
EXACT: Final = 1.0
_SKELETON: Final = 0.95  # same transliteration skeleton: Sakhur, Sakhour
_GLUED_ARTICLE: Final = 0.97  # an article run into the name: Alsakhour
_FUZZY_CEILING: Final = 0.95  # scaled down by the share of letters that differ
_ARABIC_NEAR: Final = 0.9  # an Arabic word one letter off, only as the first of a longer name
_MIN_ARABIC_NEAR: Final = 3  # letters in an Arabic word compared one letter off
_CACHE_LIMIT: Final = 20_000  # analysed words kept between calls


def _one_deletion(word: str) -> set[str]:
    """The word and each spelling of it with one letter left out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _fuzzy_quality(distance: int, a: str, b: str) -> float:
    return _FUZZY_CEILING * (1 - distance / max(len(a), len(b)))


@dataclass(frozen=True, slots=True)
class Word:
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


class Vocabulary:
    """The words of the indexed names, by id, with the keys that find them."""

    def __init__(self) -> None:
        self._vocab: list[tuple[bool, str, str]] = []
        self._arabic_ids: dict[str, int] = {}
        self._light_ids: dict[str, int] = {}
        self._skeleton_ids: dict[str, list[int]] = {}
        self._deletion_ids: dict[str, set[int]] = {}
        self._arabic_deletion_ids: dict[str, set[int]] = {}
        self._cache: dict[str, Word] = {}

    def spelled(self, vid: int) -> tuple[bool, str, str]:
        """A name word as (latin, key, skeleton)."""
        return self._vocab[vid]

    def forget_readings(self) -> None:
        """Drop the cached analyses of report words, after a name was added."""
        self._cache.clear()

    def add(self, word: tuple[bool, str, str]) -> int:
        """The id of a name word, indexed under its keys when it is new."""
        latin, key, skeleton = word
        ids = self._light_ids if latin else self._arabic_ids
        vid = ids.get(key)
        if vid is not None:
            return vid
        vid = len(self._vocab)
        self._vocab.append(word)
        ids[key] = vid
        if not latin and len(key) >= _MIN_ARABIC_NEAR:
            for deletion in _one_deletion(key):
                self._arabic_deletion_ids.setdefault(deletion, set()).add(vid)
        if latin:
            coarse = spelling.coarse(skeleton)
            self._skeleton_ids.setdefault(coarse, []).append(vid)
            if len(coarse) >= 5:
                for deletion in spelling.deletions(coarse, 2):
                    self._deletion_ids.setdefault(deletion, set()).add(vid)
        return vid

    def same(self, a: int, b: int) -> bool:
        """Whether two name words are one word spelled two ways."""
        if a == b:
            return True
        latin_a, _, skeleton_a = self._vocab[a]
        latin_b, _, skeleton_b = self._vocab[b]
        return latin_a and latin_b and spelling.compatible(skeleton_a, skeleton_b)

    def read(self, text: str) -> list[Word]:
        """The words of a report, each analysed against the name words."""
        words = []
        for token in spelling.tokens(text):
            word = self._cache.get(token)
            if word is None:
                word = self._analyse(token)
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[token] = word
            words.append(word)
        return words

    def _analyse(self, token: str) -> Word:
        return self._analyse_latin(token) if token.isascii() else self._analyse_arabic(token)

    def _analyse_arabic(self, token: str) -> Word:
        # A word may be both a cue and part of a name: منطقة opens "منطقة صناعية جبرين".
        name: tuple[str, bool, bool] | None = None
        cue: str | None = None
        for reading in spelling.arabic_readings(token):
            core = reading[0]
            if name is None and core in self._arabic_ids:
                name = reading
            if cue is None:
                cue = cues.STRONG if core in cues.STRONG_BEFORE_AR else cues.WEAK_AR.get(core)
            if name is not None and cue is not None:
                break
        if name is None:
            key = spelling.strip_article(token)
            return Word(
                False,
                key,
                "",
                token,
                cue=cue,
                is_conj=token in cues.CONJUNCTIONS,
                cands=self._arabic_near(key),
            )
        core, by, conj = name
        cands = {self._arabic_ids[core]: (EXACT, True)}
        return Word(False, core, "", token, by=by, conj=conj, cue=cue, cands=cands)

    def _analyse_latin(self, token: str) -> Word:
        light = spelling.light(token)
        skeleton = spelling.skeleton(light)
        stop = token in cues.STOPWORDS or token.isdigit()
        cands: dict[int, tuple[float, bool]] = {}
        vid = self._light_ids.get(light)
        if vid is not None:
            # An everyday word may be part of a name (New Aleppo) but is never one alone.
            cands[vid] = (EXACT, not stop)
        if not stop:
            self._add_skeleton_cands(cands, skeleton, _SKELETON)
            if not cands:
                self._add_glued_article_cands(cands, token)
            if len(spelling.coarse(skeleton)) >= 5:
                for vid, near in self._near(skeleton).items():
                    cands.setdefault(vid, near)
        cue = cues.STRONG if token in cues.STRONG_BEFORE_EN else cues.WEAK_EN.get(token)
        return Word(
            True,
            light,
            skeleton,
            token,
            cue=cue,
            cue_after=token in cues.STRONG_AFTER_EN,
            is_conj=token in cues.CONJUNCTIONS,
            stop=stop,
            cands=cands,
        )

    def _arabic_near(self, key: str) -> dict[int, tuple[float, bool]]:
        """Name words one letter from an Arabic word: a slip of the thumb (سبف الدولة).

        Never a name alone, since one letter turns a name into an everyday word (الصاخور,
        الصخور): the word may only open a longer name whose other words are written exactly.
        """
        if len(key) < _MIN_ARABIC_NEAR or key in cues.CONJUNCTIONS:
            return {}
        seen: set[int] = set()
        for deletion in _one_deletion(key):
            seen |= self._arabic_deletion_ids.get(deletion, set())
        return {
            vid: (_ARABIC_NEAR, False)
            for vid in sorted(seen)
            if spelling.distance(key, self._vocab[vid][1], 1) == 1
        }

    def _add_glued_article_cands(self, cands: dict[int, tuple[float, bool]], token: str) -> None:
        """Read a name with its article run in: Alsakhour, and ad-Din written as eddin."""
        if len(token) > 4 and token[:2] in ("al", "el"):
            alone = True
            rest = token[2:]
        elif (
            len(token) > 4
            and token[0] in spelling.VOWELS
            and token[1] == token[2] not in spelling.VOWELS
        ):
            # English has words like this too (attack, effect): only inside a longer name.
            alone = False
            rest = token[2:]
        else:
            return
        light = spelling.light(rest)
        if (vid := self._light_ids.get(light)) is not None:
            cands[vid] = (_GLUED_ARTICLE, alone)
        skeleton = spelling.skeleton(light)
        for vid in self._skeleton_ids.get(spelling.coarse(skeleton), ()):
            if spelling.compatible(skeleton, self._vocab[vid][2]):
                quality = _SKELETON * _GLUED_ARTICLE
                cands.setdefault(vid, (quality, alone and len(skeleton) >= 4))

    def _add_skeleton_cands(
        self, cands: dict[int, tuple[float, bool]], skeleton: str, quality: float
    ) -> None:
        # A short skeleton says too little alone; it may still start a longer name.
        alone = len(skeleton) >= 4
        for vid in self._skeleton_ids.get(spelling.coarse(skeleton), ()):
            if spelling.compatible(skeleton, self._vocab[vid][2]):
                cands.setdefault(vid, (quality, alone))

    def _near(self, skeleton: str) -> dict[int, tuple[float, bool]]:
        depth = 1 if len(skeleton) < 7 else 2
        seen: set[int] = set()
        for deletion in spelling.deletions(spelling.coarse(skeleton), depth):
            seen |= self._deletion_ids.get(deletion, set())
        near: dict[int, tuple[float, bool]] = {}
        for vid in seen:
            target = self._vocab[vid][2]
            if not spelling.compatible(target[0], skeleton[0]):
                continue
            distance = spelling.distance(skeleton, target, spelling.allowed_distance(target))
            if distance:
                # Too many English words are one letter from a name (sector, Sakhour) for a
                # near miss to stand alone; it may still start a longer name.
                near[vid] = (_fuzzy_quality(distance, skeleton, target), False)
        return near

    def quality(self, word: Word, vid: int) -> float:
        """How well a word stands for a later word of a name, once its first word matched."""
        hit = word.cands.get(vid)
        if hit is not None:
            # Only the first word of an Arabic name may be a letter off (see _arabic_near).
            return hit[0] if word.latin or hit[0] >= EXACT else 0.0
        latin, _, target = self._vocab[vid]
        if not (latin and word.latin) or word.stop or not word.skeleton:
            return 0.0
        if spelling.compatible(word.skeleton, target):
            return _SKELETON
        if min(len(word.skeleton), len(target)) < 3 or not spelling.compatible(
            word.skeleton[0], target[0]
        ):
            return 0.0
        distance = spelling.distance(word.skeleton, target, spelling.allowed_distance(target))
        return _fuzzy_quality(distance, word.skeleton, target) if distance else 0.0
