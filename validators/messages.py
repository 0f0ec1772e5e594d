"""Small helpers shared by the rules to write precise French messages."""

from __future__ import annotations

from core.models import DOSSIER_FILE, Location
from extractors.tables import Row, Table
from validators.context import DossierData
from validators.finess import normalize_finess

DOSSIER_LEVEL = Location(DOSSIER_FILE)

FIELD_LABELS = {
    "forfait_moa": "forfait de maîtrise d'ouvrage",
    "forfait_editeur": "forfait éditeur",
    "bonus_segur": "bonus Ségur",
    "equipement": "aide à l'équipement",
    "total_essms": "total de l'ESSMS",
    "montant_ht": "montant HT",
    "montant_ttc": "montant TTC",
    "financement_demande": "financement demandé",
    "autres_financements": "autres financements",
    "autofinancement": "autofinancement",
    "date_debut": "date de début",
    "date_fin": "date de fin",
    "finess_et": "FINESS ET",
    "finess_ej": "FINESS EJ",
}

PROJECT_TYPE_LABELS = {"acquisition": "acquisition", "mise_en_conformite": "mise en conformité"}


def where(location: Location | None) -> str:
    return location.describe() if location else "emplacement inconnu"


def essms_label_for_row(data: DossierData, row: Row) -> str:
    """``EHPAD Les Tilleuls (FINESS 010000016)`` for a budget or structures row."""
    cell = row.get("finess_et")
    finess = normalize_finess(cell.raw) if cell else ""
    listed = data.essms_by_finess().get(finess)
    name_cell = row.get("raison_sociale")
    name = (name_cell.text if name_cell else "") or (listed.name if listed else "")
    if not name:
        return f"l'ESSMS de FINESS {finess}" if finess else "un ESSMS sans FINESS"
    return f"{name} (FINESS {finess or 'absent'})"


def table_location(table: Table) -> Location:
    return table.header_location


def row_text(row: Row, field_name: str) -> str:
    cell = row.get(field_name)
    return cell.text if cell else ""


def repository_label(data: DossierData) -> str:
    """« répertoire FINESS (extraction du 11/03/2026) »."""
    return f"répertoire FINESS ({data.repository.label})" if data.repository is not None else "répertoire FINESS"


def category_text(code: str, label: str) -> str:
    """« Centre Hospitalier (C.H.) (catégorie 355) »."""
    if label and code:
        return f"{label} (catégorie {code})"
    return label or (f"catégorie {code}" if code else "catégorie non renseignée")


def declared_category(text: str) -> str:
    """The category as the list gives it: « EHPAD (catégorie 500) » when recognised, else quoted."""
    from validators.reference import category_of

    category = category_of(text) if text else None
    if category is None:
        return f"« {text} »" if text else "non renseignée"
    return (
        f"« {text} » ({category.label}, catégorie {category.code})"
        if text != category.label
        else f"« {text} » (catégorie {category.code})"
    )
