"""The online form: ``dossier.json``, or the Démarches simplifiées PDF export.

Values are typed by hand (``"212 500,00 €"`` for a number, missing keys, wrong types): the
form keeps raw values with their location; rules parse what they need and report what
cannot be read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core import file_problems as problems
from core.file_problems import Reason
from core.models import CellValue, ExtractedDocument, Location
from extractors.ds_export import ExportRow
from extractors.tables import catalogue
from extractors.values import fold

FORM_FILE = "dossier.json"
DS_EXPORT = re.compile(r"(^|/)export-[^/]*\.pdf$", re.IGNORECASE)
MAX_FORM_BYTES = 2 * 1024 * 1024


#: The form's question on an earlier, unsuccessful submission of the same project (DEP-02),
#: as the Démarches simplifiées export prints it; ``dossier.json`` key
#: ``depot_anterieur_non_retenu`` (true / false). Not in headers.yaml: it is a question of the
#: call's form, not a table header (docs/calls.md).
EXTRA_FORM_LABELS: dict[str, tuple[str, ...]] = {
    "depot_anterieur_non_retenu": (
        "Projet déposé en 2021 et non retenu",
        "Projet déjà déposé lors d'un appel précédent et non retenu",
        "Projet déposé à un appel précédent et non retenu",
        "Redépôt d'un projet non retenu",
    ),
    # the fixed columns of the démarche's spreadsheet export (extractors/ds_export.py)
    "porteur.raison_sociale": ("Entreprise raison sociale",),
    "porteur.siret": ("Établissement SIRET",),
    # the vendor contract's signature date (DEP-05) and a European co-funding (BUD-09)
    "date_signature_contrat_editeur": (
        "Date de signature du contrat avec l'éditeur",
        "Contrat éditeur signé le",
        "Date du bon de commande éditeur",
    ),
    "cofinancement_fonds_europeens": (
        "Cofinancement par d'autres fonds européens (FEDER, FSE)",
        "Autres financements européens",
        "Cofinancement FEDER / FSE",
    ),
}


def form_labels() -> dict[str, tuple[str, ...]]:
    """Folded labels of the export, by ``dossier.json`` key."""
    labels = dict(catalogue().form_labels)
    for key, spellings in EXTRA_FORM_LABELS.items():
        labels[key] = tuple(labels.get(key, ())) + tuple(fold(s) for s in spellings)
    return labels


@dataclass
class Form:
    source: str  # file the form was read from
    values: dict[str, CellValue] = field(default_factory=dict)  # dotted key → raw value
    problem: Reason | None = None  # when the form file itself is unreadable

    def get(self, key: str) -> CellValue | None:
        return self.values.get(key)

    def raw(self, key: str) -> Any:
        cell = self.values.get(key)
        return cell.raw if cell else None


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                out.update(_flatten(value, dotted + "."))
            else:
                out[dotted] = value
    return out


_JSON_ERRORS = {
    "Expecting value": "valeur attendue",
    "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendus",
    "Extra data": "contenu en trop après la fin du JSON",
    "Unterminated string starting at": "texte entre guillemets non terminé",
    "Invalid control character at": "caractère de contrôle dans un texte",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence d'échappement invalide",
}
_JSON_KINDS = {list: "une liste", str: "un texte", int: "un nombre", float: "un nombre", bool: "un booléen"}


def json_error(exc: json.JSONDecodeError) -> str:
    """Where and why a JSON text is invalid, in French (Python's message is English)."""
    what = _JSON_ERRORS.get(exc.msg, "syntaxe invalide")
    return f"ligne {exc.lineno}, colonne {exc.colno} : {what}"


def read_form_json(path: Path, rel: str) -> Form:
    """The form of ``dossier.json``; a file that cannot be read as a JSON object of fields
    (too large, not UTF-8, invalid JSON, a list, nested beyond reason) leaves the form
    empty with the problem, in French, and what to send again."""
    form = Form(rel)
    try:
        size = path.stat().st_size
        if size > MAX_FORM_BYTES:
            form.problem = problems.FORM_TOO_LARGE.reason(
                file=FORM_FILE, size_mb=f"{size / 1e6:.0f}", limit_mb=f"{MAX_FORM_BYTES / 1e6:.0f}"
            )
            return form
        raw = path.read_bytes()
    except OSError as exc:
        form.problem = problems.FILE_NOT_READABLE.reason(error=problems.access_error(exc))
        return form
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        error = f"octet 0x{raw[exc.start]:02x} en position {exc.start}"
        form.problem = problems.FORM_NOT_UTF8.reason(file=FORM_FILE, error=error)
        return form
    except json.JSONDecodeError as exc:
        form.problem = problems.FORM_INVALID_JSON.reason(file=FORM_FILE, error=json_error(exc))
        return form
    except RecursionError:
        form.problem = problems.FORM_INVALID_JSON.reason(file=FORM_FILE, error="imbrication démesurée")
        return form
    if not isinstance(data, dict):
        found = _JSON_KINDS.get(type(data), "la valeur null")
        form.problem = problems.FORM_NOT_OBJECT.reason(file=FORM_FILE, found=found)
        return form
    try:
        flat = _flatten(data)
    except RecursionError:
        form.problem = problems.FORM_INVALID_JSON.reason(file=FORM_FILE, error="imbrication démesurée")
        return form
    for key, value in flat.items():
        form.values[key] = CellValue(value, Location(rel, field=key))
    return form


def read_form_pdf(doc: ExtractedDocument) -> Form:
    """``Label : valeur`` lines of a Démarches simplifiées export PDF."""
    form = Form(doc.file)
    labels = form_labels()
    for block in doc.text:
        label, sep, value = block.text.partition(":")
        if not sep or not value.strip():
            continue
        folded = fold(label)
        for key, synonyms in labels.items():
            if key not in form.values and folded in synonyms:
                form.values[key] = CellValue(value.strip(), replace(block.location, field=key))
                break
    if not form.values:
        form.problem = problems.FORM_NO_FIELD.reason()
    return form


def read_form_row(row: ExportRow) -> Form:
    """The form of a dossier's row of the démarche export (``extractors.ds_export``): each
    column whose header is a label of the form (the PDF export's labels) is that field, at its
    file, sheet and cell; the row's « ID » is the dossier number when no column names it."""
    form = Form(row.file)
    labels = form_labels()
    for header, cell in row.cells:
        folded = fold(header)
        for key, synonyms in labels.items():
            if key not in form.values and folded in synonyms:
                if cell.raw is not None:
                    form.values[key] = CellValue(cell.raw, replace(cell.location, field=key))
                break
    if "numero" not in form.values:
        id_cell = next((c for h, c in row.cells if fold(h) == "id"), None)
        if id_cell is not None:
            form.values["numero"] = CellValue(row.ds_id, replace(id_cell.location, field="numero"))
    return form


def merge_forms(own: Form | None, row: Form | None) -> Form | None:
    """The dossier's own form, completed by its row of the démarche export for the fields it
    lacks (each value keeps where it was read); the row alone when the dossier has no form;
    an own form file that could not be read is kept as it is."""
    if row is None or (own is not None and own.problem is not None):
        return own  # an unreadable form file stays said (its problem is the reviewer's to see)
    if own is None:
        return row
    for key, cell in row.values.items():
        own.values.setdefault(key, cell)
    return own


def is_ds_export(path: str) -> bool:
    return bool(DS_EXPORT.search(path))


def is_form_json(path: str) -> bool:
    return path.rsplit("/", 1)[-1].lower() == FORM_FILE
