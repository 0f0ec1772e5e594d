"""The DUI an ESSMS deploys, as the list (column Logiciel, else the form's) names it, compared
across spellings: « Sillage DUI », « SILLAGE DUI v5.2 » and « Sillage » are one software
(GRP-15, GRP-16)."""

from __future__ import annotations

import re

from extractors.values import fold
from validators.context import DossierData, Essms

#: Words that say what the software is, not which one.
GENERIC = frozenset(
    {"dui", "logiciel", "solution", "dossier", "usager", "usagers", "informatise", "version", "le", "la"}
)
_VERSION = re.compile(r"^(v?\d+([.,]\d+)*|v)$")
NONE_WORDS = frozenset({"", "non", "aucun", "aucune", "neant", "sans", "sans objet", "na", "n a", "-"})


def dui_key(text: str | None) -> str:
    """The distinctive words of a software name, folded, without versions (``""`` when none)."""
    words = [w for w in fold(text or "").split() if w not in GENERIC and not _VERSION.match(w)]
    return " ".join(words)


def same_dui(a: str, b: str) -> bool:
    """Whether two folded keys name the same software (one's words all in the other's)."""
    if not a or not b:
        return False
    wa, wb = set(a.split()), set(b.split())
    return wa <= wb or wb <= wa


def software_of(data: DossierData, essms: Essms) -> tuple[str, str]:
    """(the name as written, its key): the list's Logiciel cell, else the form's ``logiciel``."""
    cell = essms.row.get("logiciel")
    if cell is not None and cell.text and cell.text.strip():
        return cell.text.strip(), dui_key(cell.text)
    raw = data.form.raw("logiciel") if data.form is not None else None
    text = str(raw).strip() if raw is not None else ""
    return text, dui_key(text)


def is_none_answer(text: str | None) -> bool:
    return fold(text or "").strip() in NONE_WORDS
