"""The French words of the codes a reviewer or a project owner reads: severities, verdicts,
document kinds and the fields of the online form. One place, one wording: every report,
letter, export and message takes its label from here.

Labels are keyed by the code as written in ``report.json`` (``"a_corriger"``), which the
enums of ``core.models`` share (a ``str`` enum member finds its label under its value).
A label is written as it reads inside a sentence; ``sentence_case`` capitalises it where
it starts one (a heading, a table cell).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    """A code's French label, alone (``singular``) and for a count of several (``plural``)."""

    singular: str
    plural: str

    def count(self, n: int) -> str:
        """``1 constat bloquant``, ``3 constats bloquants``."""
        return f"{n} {self.singular if n <= 1 else self.plural}"


# --------------------------------------------------------------------------- severities

SEVERITY_RANK = {"bloquant": 0, "a_corriger": 1, "alerte": 2}
SEVERITY_LABELS = {"bloquant": "Bloquant", "a_corriger": "À corriger", "alerte": "Alerte"}
#: What a count of findings of a severity is called (« 2 constats bloquants »).
SEVERITY_FINDINGS = {
    "bloquant": Label("constat bloquant", "constats bloquants"),
    "a_corriger": Label("constat à corriger", "constats à corriger"),
    "alerte": Label("alerte", "alertes"),
}

# --------------------------------------------------------------------------- verdicts

VERDICT_RANK = {"non_recevable": 0, "a_completer": 1, "recevable": 2}  # the most serious first
VERDICT_LABELS = {"recevable": "Recevable", "a_completer": "À compléter", "non_recevable": "Non recevable"}
#: How several dossiers of a verdict are called (« 3 dossiers recevables »).
VERDICT_DOSSIERS = {
    "recevable": Label("recevable", "recevables"),
    "a_completer": Label("à compléter", "à compléter"),
    "non_recevable": Label("non recevable", "non recevables"),
}

# --------------------------------------------------------------------------- document kinds

KIND_LABELS = {
    "budget": "budget détaillé",
    "structures": "liste des structures engagées",
    "planning": "planning du projet",
    "gouvernance": "gouvernance du projet",
    "strategie_deploiement": "stratégie de déploiement",
    "conduite_changement": "plan de conduite du changement",
    "autre": "autre pièce",
    "illisible": "pièce illisible",
}
FORM_LABEL = "formulaire en ligne"  # what the owner filled online (dossier.json or its PDF export)

# --------------------------------------------------------------------------- online form

#: Keys of ``dossier.json`` (dossier-format.md) → the field's name on the online form. The
#: PDF export is read by the same names (``extractors/headers.yaml`` ``form_labels``, whose
#: first synonym of each key is this label).
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


def sentence_case(text: str) -> str:
    """The first letter in capital, the rest untouched (``FINESS`` stays ``FINESS``)."""
    return text[:1].upper() + text[1:]


def _code(value: object) -> str:
    return getattr(value, "value", value) if value is not None else ""  # an enum member or its code


def severity_label(value: object) -> str:
    """``Bloquant``, ``À corriger``, ``Alerte``; an unknown code as it is."""
    code = _code(value)
    return SEVERITY_LABELS.get(code, str(code))


def verdict_label(value: object) -> str:
    """``Recevable``, ``À compléter``, ``Non recevable``; an unknown code as it is."""
    code = _code(value)
    return VERDICT_LABELS.get(code, str(code))


def kind_label(value: object) -> str:
    """``budget détaillé``…, in a sentence; an unknown code as it is."""
    code = _code(value)
    return KIND_LABELS.get(code, str(code))


def form_field_label(key: str) -> str:
    """The online form's name of a ``dossier.json`` key. A key the catalogue does not know
    (a field added by the téléservice) is shown with its words, never its dotted code:
    ``porteur.adresse_postale`` → ``porteur, adresse postale``."""
    label = FORM_FIELD_LABELS.get(key)
    if label:
        return label
    return ", ".join(part.replace("_", " ").strip() for part in key.split(".") if part.strip()) or key
