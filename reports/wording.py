"""French wording shared by the report, the letter and the exports: a count of findings by
severity, and a finding's message turned into the owner's words. Where a finding lies is
``core.models.describe_location``; the labels of codes are in ``core.french``.
"""

from __future__ import annotations

import re
from typing import Any

from core.french import SEVERITY_FINDINGS


def counts_sentence(counts: dict[str, Any]) -> str:
    """« 1 constat à corriger » ; only the severities present (« aucun constat » when none)."""
    parts = [label.count(int(counts.get(s) or 0)) for s, label in SEVERITY_FINDINGS.items() if int(counts.get(s) or 0)]
    return ", ".join(parts) if parts else "aucun constat"


# --------------------------------------------------------------------------- owner's words

# Infinitives that start an instruction inside a rule's message (« … Corriger le total. »): the
# letter says what to do once, with the rule's action, so these are dropped from the fact.
_INSTRUCTIONS = {
    "ajouter",
    "compléter",
    "confirmer",
    "corriger",
    "dater",
    "décrire",
    "déposer",
    "fournir",
    "indiquer",
    "joindre",
    "justifier",
    "mettre",
    "nommer",
    "préciser",
    "ramener",
    "rédiger",
    "réunir",
    "retirer",
    "saisir",
    "supprimer",
    "vérifier",
    "transmettre",
    "renseigner",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ«])")
_LOWER_STARTS = {
    "le",
    "la",
    "les",
    "l'",
    "un",
    "une",
    "des",
    "aucun",
    "aucune",
    "il",
    "elle",
    "ce",
    "cette",
    "ces",
    "au",
    "aux",
    "du",
    "pièce",
    "fichier",
    "phase",
}


def _is_instruction(text: str) -> bool:
    words = text.strip().split()
    if not words:
        return False
    first = words[0].lower().strip("«»,;:")
    if first in ("le", "la", "les", "l'") and len(words) > 1:  # « le déposer à nouveau »
        first = words[1].lower()
    return first in _INSTRUCTIONS


def owner_fact(message: str) -> str:
    """A rule's message as one clause: without the instructions it ends with (the letter says
    what to do once), its sentences joined by « ; », without a final period: « la grappe compte
    12 ESSMS ; le dossier ne peut pas être financé en l'état »."""
    sentences = [s for s in _SENTENCE_END.split(" ".join(str(message or "").split())) if s]
    kept = [s.rstrip(" .") for i, s in enumerate(sentences) if i == 0 or not _is_instruction(s)]
    text = " ; ".join([kept[0]] + [lower_first(s) for s in kept[1:]]).strip() if kept else ""
    # « … : le déposer à nouveau. », « … : préciser sa composition … »
    head, sep, tail = text.rpartition(" : ")
    if sep and _is_instruction(tail):
        text = head
    return owner_words(text).rstrip(" .")


_RULES = r"[A-Z]{3}-\d{2}\w*(?:(?:\s*,\s*|\s+et\s+)[A-Z]{3}-\d{2}\w*)*"
_RULE_REFERENCES = [  # « (voir GRP-01) », « … exclus du décompte : voir GRP-06) », « ; voir LOT-01 »
    re.compile(rf"\s*\(\s*voir\s+(?:les\s+règles\s+|la\s+règle\s+)?{_RULES}\s*\)"),
    re.compile(rf"\s*[:;,]?\s*\bvoir\s+(?:les\s+règles\s+|la\s+règle\s+)?{_RULES}"),
]
_ESMS = re.compile(r"\bESMS\b(?!\s+numérique)")


def owner_words(text: str) -> str:
    """A text for the project owner: without the references to the rules of this product
    (« voir GRP-06 », which mean nothing to them), and « ESSMS » (établissements et services
    sociaux et médico-sociaux) where a source says « ESMS » (the programme keeps its name,
    « ESMS numérique »)."""
    for pattern in _RULE_REFERENCES:
        text = pattern.sub("", text)
    return _ESMS.sub("ESSMS", text)


def lower_first(text: str) -> str:
    """The first word in lower case where it is a common word (« Le budget » → « le budget »),
    never an acronym or a name (« EHPAD », « IME Les Cèdres »)."""
    words = text.split(" ", 1)
    first = words[0]
    if first.lower() in _LOWER_STARTS or (
        first[:1].isupper() and first[1:].islower() and first.lower().startswith("l'")
    ):
        return first[:1].lower() + text[1:]
    return text


def sentence(text: str) -> str:
    """``text`` as one sentence: capital first letter, one final period."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."
