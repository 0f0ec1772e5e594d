"""What a column header names: scored by its wording and its words, then weighed by the
cells under it.

Three kinds of evidence, each a score in [0, 1] (``headers.yaml`` is the vocabulary):

- the wording: one of the field's usual wordings, exactly (1.0), with a typo (rapidfuzz
  ratio ≥ 88 %), or contained in a longer header (``Forfait MOA 2023``);
- the words: a key word of the field (``éditeur`` for the vendor forfait), the head word
  (the first meaningful one: « Éditeur du logiciel » is an éditeur, « Logiciel de
  l'éditeur » a logiciel), supporting words, and how much of the header the field explains;
  a word that rules the field out (``juridique`` for the FINESS ET) gives 0, a key word of
  another field of the same table or a word of another role (``Coût`` for a name) lowers it;
- the cells: what the column holds (amounts, FINESS-like identifiers, dates, names...)
  against the field's role: « Éditeur » over amounts is the vendor forfait of a budget, over
  names the vendor of the ESSMS list.

Text scores are cached per header text: every text cell of the first rows of every grid is
tried, most of them body cells, which a per-word lookup rejects at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from extractors.values import fold, is_blank, parse_amount, parse_bool, parse_date
from extractors.vocabulary import Meaning, catalogue

MAX_HEADER_CHARS = 120
MIN_FIELD_SCORE = 0.6  # below, a header is not read as the field (the column is listed as unread)
WORD_TYPO_RATIO = 85  # rapidfuzz ratio for a word with a typo (words of 5 letters or more)
PHRASE_TYPO_RATIO = 88  # rapidfuzz ratio for a whole wording with a typo
SOFT_WORDS = frozenset({"et", "ou"})  # "FINESS ET", yet a conjunction elsewhere: never counted against


@dataclass(frozen=True)
class TextMatch:
    kind: str
    field: str
    score: float
    how: str  # "libellé" (a usual wording), "libellé approché", "mots"


# ----------------------------------------------------------------------------- words


def _pattern_hit(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


@lru_cache(maxsize=1)
def _pattern_lists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(whole words, stems without their star) of the vocabulary."""
    patterns = catalogue().patterns
    return (
        tuple(sorted(p for p in patterns if not p.endswith("*"))),
        tuple(sorted(p[:-1] for p in patterns if p.endswith("*"))),
    )


@lru_cache(maxsize=100_000)
def word_hits(word: str) -> frozenset[str]:
    """The vocabulary's patterns this folded word matches; a word of five letters or more
    with a typo (``catgorie``, ``equipemment``) matches the pattern it is close to."""
    words, stems = _pattern_lists()
    hits = {w for w in words if w == word} | {s + "*" for s in stems if word.startswith(s)}
    if hits or len(word) < 5 or word.isdigit():
        return frozenset(hits)
    for candidate, _, _ in process.extract(
        word, [w for w in words if len(w) >= 5], scorer=fuzz.ratio, score_cutoff=WORD_TYPO_RATIO, limit=3
    ):
        hits.add(candidate)
    for stem in stems:
        if len(stem) >= 5 and fuzz.ratio(word[: len(stem)], stem) >= WORD_TYPO_RATIO:
            hits.add(stem + "*")
    return frozenset(hits)


def meaningful_words(text: str) -> list[str]:
    stop = catalogue().stopwords
    return [w for w in text.split(" ") if w and w not in stop]


# ----------------------------------------------------------------------------- scores


@lru_cache(maxsize=1)
def _synonym_table() -> tuple[list[str], list[tuple[str, str]], frozenset[str]]:
    """Every usual wording, the (kind, field) it names, and the set of their words."""
    texts, owners, words = [], [], set()
    for kind in catalogue().kinds.values():
        for field_name, synonyms in kind.synonyms.items():
            for synonym in synonyms:
                if synonym:
                    texts.append(synonym)
                    owners.append((kind.name, field_name))
                    words.update(synonym.split(" "))
    return texts, owners, frozenset(words)


def _phrase_scores(text: str, hits_all: frozenset[str]) -> dict[tuple[str, str], tuple[float, str]]:
    texts, owners, synonym_words = _synonym_table()
    meanings = catalogue().meanings
    best: dict[tuple[str, str], tuple[float, str]] = {}

    def offer(owner: tuple[str, str], score: float, how: str) -> None:
        if score > best.get(owner, (0.0, ""))[0]:
            best[owner] = (score, how)

    for _, ratio, index in process.extract(text, texts, scorer=fuzz.ratio, score_cutoff=PHRASE_TYPO_RATIO, limit=None):
        synonym = texts[index]
        if ratio >= 100:
            offer(owners[index], 1.0, "libellé")
        elif (
            len(synonym) >= 6
            and abs(len(text) - len(synonym)) <= 3
            and not meanings[owners[index][1]].excluded & hits_all
        ):  # "FINESS EJ" is no typo of "FINESS ET"
            offer(owners[index], 0.97 * ratio / 100, "libellé approché")
    if not any(w in synonym_words for w in text.split(" ")):
        return best
    padded = f" {text} "
    kind_keys = _kind_keys()
    for synonym, owner in zip(texts, owners):
        if len(synonym) >= 3 and synonym != text and f" {synonym} " in padded:
            meaning = meanings[owner[1]]
            if meaning.excluded & hits_all:
                continue  # "FINESS" inside "FINESS EJ" is not the FINESS ET
            # the other words may name another field: "logiciel" inside « Éditeur du logiciel »
            rest = padded.replace(f" {synonym} ", " ", 1).split()
            mine = meaning.key_patterns | meaning.hints
            foreign = sum(1 for w in rest if (h := word_hits(w)) & kind_keys[owner[0]][owner[1]] and not h & mine)
            score = 0.9 - 0.2 * (len(text) - len(synonym)) / max(len(text), 1) - 0.12 * foreign
            offer(owner, score, "libellé approché")
    return best


@lru_cache(maxsize=1)
def _all_cues() -> frozenset[str]:
    return frozenset().union(*catalogue().role_cues.values())


@cache
def _sets(field_name: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(cues of the field's role, cues of the other roles, every word that is the field's:
    keys, hints and own cues)."""
    cat = catalogue()
    meaning = cat.meanings[field_name]
    own = cat.role_cues.get(meaning.family, frozenset())
    other = frozenset().union(*(c for f, c in cat.role_cues.items() if f != meaning.family))
    return own, other, meaning.key_patterns | meaning.hints | own


def _head(words: list[str], hits: list[frozenset[str]]) -> int | None:
    """Index of the head word: the first that is not a role cue (« N° », « Coût », « Nom »)."""
    cues = _all_cues()
    for index, (word, word_hit) in enumerate(zip(words, hits)):
        if word in SOFT_WORDS:
            continue
        if word_hit and word_hit <= cues:
            continue
        return index
    return None


def _keyword_score(
    meaning: Meaning,
    words: list[str],
    hits: list[frozenset[str]],
    present: frozenset[str],
    head: int | None,
    other_keys: frozenset[str],
) -> float:
    """Score of the header's words for one field (0 when no key word of it is there)."""
    if meaning.excluded & present:
        return 0.0
    matched = [k for k in meaning.keys if all(p in present for p in k.parts)]
    if not matched:
        return 0.0
    weight = max(k.weight for k in matched)
    own_cues, other_cues, mine = _sets(meaning.field)
    head_bonus = 0.0
    if head is not None and hits[head] & meaning.key_patterns:
        head_bonus = 0.06
    elif head is not None and hits[head] & other_keys:
        head_bonus = -0.1  # « Logiciel de l'éditeur » names a logiciel, not an éditeur
    support = len(matched) > 1 or bool(meaning.hints & present)
    explained = sum(1 for w, h in zip(words, hits) if w in SOFT_WORDS or h & mine)
    coverage = explained / max(len(words), 1)
    foreign_keys = sum(1 for h in hits if h & other_keys and not h & mine)
    foreign_cue = any(h & other_cues and not h & mine for h in hits) and not (present & own_cues)
    score = (
        0.5
        + 0.25 * weight
        + head_bonus
        + (0.04 if support else 0.0)
        + 0.06 * coverage
        - 0.12 * foreign_keys
        - (0.15 if foreign_cue else 0.0)
    )
    return max(0.0, min(0.88, score))


@lru_cache(maxsize=1)
def _kind_keys() -> dict[str, dict[str, frozenset[str]]]:
    """Per kind and field: the strong key words (weight ≥ 0.8, naming a field alone) of the
    kind's other fields (« projet » alone is no type de projet: only « type+projet » is)."""
    cat = catalogue()
    out: dict[str, dict[str, frozenset[str]]] = {}
    for kind in cat.kinds.values():
        strong = {
            f: frozenset(k.parts[0] for k in cat.meanings[f].keys if k.weight >= 0.8 and len(k.parts) == 1)
            for f in kind.synonyms
        }
        out[kind.name] = {
            f: frozenset().union(*(s for g, s in strong.items() if g != f)) - strong[f] for f in kind.synonyms
        }
    return out


@lru_cache(maxsize=50_000)
def text_matches(text: str) -> tuple[TextMatch, ...]:
    """Every (kind, field) this folded header text may name, with its text score."""
    if not text or len(text) > MAX_HEADER_CHARS:
        return ()
    words = meaningful_words(text)
    hits = [word_hits(w) for w in words]
    present = frozenset().union(*hits) if hits else frozenset()
    phrases = _phrase_scores(text, present)
    if not present and not phrases:
        return ()
    cat = catalogue()
    out = []
    kind_keys = _kind_keys()
    head = _head(words, hits)
    for kind in cat.kinds.values():
        for field_name in kind.synonyms:
            phrase, how = phrases.get((kind.name, field_name), (0.0, ""))
            meaning = cat.meanings[field_name]
            words_score = (
                _keyword_score(meaning, words, hits, present, head, kind_keys[kind.name][field_name])
                if present & meaning.key_patterns
                else 0.0
            )
            if phrase >= words_score and phrase > 0:
                out.append(TextMatch(kind.name, field_name, round(phrase, 3), how))
            elif words_score > 0:
                out.append(TextMatch(kind.name, field_name, round(words_score, 3), "mots"))
    return tuple(out)


# ----------------------------------------------------------------------------- cells

_FINESS_LIKE = re.compile(r"^\s*(?:\d{9}|\d{8}|2[ab]\d{7})\s*$", re.IGNORECASE)
_EMPTY_MARKS = frozenset({"", "n a", "na", "nc", "neant", "sans objet", "so"})


@dataclass(frozen=True)
class Profile:
    """What a column's body cells hold (counts of non-blank cells by type)."""

    amount: int = 0
    identifier: int = 0
    date: int = 0
    boolean: int = 0
    text: int = 0

    @property
    def total(self) -> int:
        return self.amount + self.identifier + self.date + self.boolean + self.text

    @property
    def holds_amounts(self) -> bool:
        return self.total > 0 and self.amount >= 0.5 * self.total


def value_type(raw: Any) -> str | None:
    """``amount`` (any number), ``identifier`` (FINESS-like), ``date``, ``boolean``, ``text``;
    None for a blank or a placeholder (``-``, ``n/a``)."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, (dt.date, dt.datetime)):
        return "date"
    if isinstance(raw, (int, float)):
        return "identifier" if isinstance(raw, int) and 10_000_000 <= raw < 1_000_000_000 else "amount"
    return _text_type(str(raw).strip())


def looks_like_finess(raw: Any) -> bool:
    """A FINESS-like value (9 digits, 8 when a number lost its leading zero, 2A/2B)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return 10_000_000 <= raw < 1_000_000_000
    return isinstance(raw, str) and len(raw) < 16 and bool(_FINESS_LIKE.match(raw))


@lru_cache(maxsize=50_000)
def _text_type(text: str) -> str | None:
    if _FINESS_LIKE.match(text):
        return "identifier"
    if fold(text) in _EMPTY_MARKS:
        return None
    if any(ch.isdigit() for ch in text):
        if parse_amount(text).ok:
            return "amount"
        if parse_date(text).ok:
            return "date"
    elif parse_date(text).ok:
        return "date"  # "sept. 2022"
    if parse_bool(text).ok:
        return "boolean"
    return "text"


def profile(values: list[Any]) -> Profile:
    counts = {"amount": 0, "identifier": 0, "date": 0, "boolean": 0, "text": 0}
    for raw in values:
        kind = value_type(raw)
        if kind is not None:
            counts[kind] += 1
    return Profile(**counts)


#: How well each type of cell fits each role family (1: expected, lower: unlikely).
_FIT = {
    "amount": {"amount": 1.0, "identifier": 0.3, "date": 0.4, "boolean": 0.5, "text": 0.35},
    "identifier": {"amount": 0.6, "identifier": 1.0, "date": 0.3, "boolean": 0.3, "text": 0.55},
    "text": {"amount": 0.45, "identifier": 0.45, "date": 0.5, "boolean": 0.8, "text": 1.0},
    "date": {"amount": 0.75, "identifier": 0.3, "date": 1.0, "boolean": 0.3, "text": 0.6},  # Excel serials are numbers
    "number": {"amount": 1.0, "identifier": 0.6, "date": 0.4, "boolean": 0.4, "text": 0.6},
    "bool": {"amount": 0.6, "identifier": 0.3, "date": 0.3, "boolean": 1.0, "text": 0.75},
    "percent": {"amount": 1.0, "identifier": 0.4, "date": 0.4, "boolean": 0.5, "text": 0.8},
    "code": {"amount": 0.9, "identifier": 0.4, "date": 0.3, "boolean": 0.3, "text": 1.0},  # "500" or "EHPAD"
}


def role_fit(family: str, column: Profile) -> float:
    """How well the column's cells fit a role family: 1.0 without cells."""
    if column.total == 0:
        return 1.0
    fit = _FIT[family]
    return (
        column.amount * fit["amount"]
        + column.identifier * fit["identifier"]
        + column.date * fit["date"]
        + column.boolean * fit["boolean"]
        + column.text * fit["text"]
    ) / column.total


def weighed(match: TextMatch, column: Profile | None) -> float:
    """The text score weighed by the cells: fully for a match by words, half for a usual
    wording (its cells may be mistyped, which the rules report)."""
    if column is None:
        return match.score
    fit = role_fit(catalogue().meanings[match.field].family, column)
    return match.score * (fit if match.how == "mots" else 0.5 + 0.5 * fit)
