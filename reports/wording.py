"""French wording shared by the report, the letter and the exports: where a finding lies (one
function), counts with their plural, and a finding's message turned into the owner's words.

``describe_location`` is the reports' one wording of a location; a field of the online form is
named by its label on the form, never by its key in ``dossier.json`` (the small catalogue
below: to be replaced by the project's catalogue of form labels when there is one).
"""

from __future__ import annotations

import re
from typing import Any

DOSSIER_FILE = "(dossier)"
FORM_FILE = "dossier.json"
FORM_LABEL = "formulaire en ligne"

#: Keys of ``dossier.json`` (dossier-format.md) → the field's name on the online form (the first
#: label of ``form_labels`` in ``extractors/headers.yaml``).
FORM_FIELD_LABELS = {
    "numero": "Numéro de dossier",
    "appel": "Appel à projets",
    "date_depot": "Date de dépôt",
    "porteur.raison_sociale": "Raison sociale du porteur",
    "porteur.finess_ej": "FINESS juridique du porteur",
    "porteur.siret": "SIRET",
    "porteur.contact.nom": "Nom du contact",
    "porteur.contact.email": "Courriel du contact",
    "porteur.contact.telephone": "Téléphone du contact",
    "type_projet": "Type de projet",
    "nb_essms_declare": "Nombre d'ESSMS du projet",
    "montant_demande": "Montant total demandé",
    "editeur": "Éditeur",
    "logiciel": "Logiciel",
    "referencement_segur": "Référencement Ségur",
}
_FIELD = re.compile(r"champ « ([^»]+?) »")


def form_field_label(key: str) -> str:
    """The form's name of a ``dossier.json`` key; an unknown key in words, never dotted."""
    key = key.strip()
    label = FORM_FIELD_LABELS.get(key)
    if label:
        return label
    return ", ".join(part.replace("_", " ").strip() for part in key.split(".") if part.strip()) or key


def _detail(detail: str) -> str:
    return _FIELD.sub(lambda m: f"champ « {form_field_label(m.group(1))} »", detail)


def describe_location(location: dict[str, Any] | None, *, whole: str = "ensemble du dossier") -> str:
    """``Budget.xlsx, feuille Budget, cellule D12``; ``formulaire en ligne, champ « Montant total
    demandé »``; ``whole`` for the dossier as a whole; "" for none."""
    if not isinstance(location, dict) or not location.get("file"):
        return ""
    file = str(location["file"])
    detail = _detail(str(location["detail"])) if location.get("detail") else ""
    if file == DOSSIER_FILE:
        return whole if not detail or detail == "ensemble du dossier" else detail
    parts = [FORM_LABEL if file.rsplit("/", 1)[-1] == FORM_FILE else file]
    if location.get("sheet"):
        parts.append(f"feuille {location['sheet']}")
    if location.get("cell"):
        parts.append(f"cellule {location['cell']}")
    if location.get("page"):
        parts.append(f"page {location['page']}")
    if detail:
        parts.append(detail)
    return ", ".join(parts)


def count(n: int, singular: str, plural: str) -> str:
    """``1 constat``, ``0 constat``, ``3 constats`` (French: 0 and 1 are singular)."""
    return f"{n} {singular if n <= 1 else plural}"


SEVERITY_COUNTS = {
    "bloquant": ("constat bloquant", "constats bloquants"),
    "a_corriger": ("constat à corriger", "constats à corriger"),
    "alerte": ("alerte", "alertes"),
}


def counts_sentence(counts: dict[str, Any]) -> str:
    """« 1 constat à corriger » ; only the severities present (« aucun constat » when none)."""
    parts = [count(int(counts.get(s) or 0), *words) for s, words in SEVERITY_COUNTS.items() if int(counts.get(s) or 0)]
    return ", ".join(parts) if parts else "aucun constat"


# --------------------------------------------------------------------------- owner's words

# Infinitives that start an instruction inside a rule's message (« … Corriger le total. »): the
# letter says what to do once, with the rule's action, so these are dropped from the fact.
_INSTRUCTIONS = {
    "ajouter", "compléter", "confirmer", "corriger", "dater", "décrire", "déposer", "fournir", "indiquer",
    "joindre", "justifier", "mettre", "nommer", "préciser", "ramener", "rédiger", "réunir", "retirer",
    "saisir", "supprimer", "vérifier", "transmettre", "renseigner",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ«])")
_LOWER_STARTS = {"le", "la", "les", "l'", "un", "une", "des", "aucun", "aucune", "il", "elle", "ce", "cette", "ces",
                 "au", "aux", "du", "pièce", "fichier", "phase"}


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
    return text.rstrip(" .")


def lower_first(text: str) -> str:
    """The first word in lower case where it is a common word (« Le budget » → « le budget »),
    never an acronym or a name (« EHPAD », « IME Les Cèdres »)."""
    words = text.split(" ", 1)
    first = words[0]
    if first.lower() in _LOWER_STARTS or (first[:1].isupper() and first[1:].islower() and first.lower().startswith("l'")):
        return first[:1].lower() + text[1:]
    return text


def sentence(text: str) -> str:
    """``text`` as one sentence: capital first letter, one final period."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."
