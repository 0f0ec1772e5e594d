"""GRP-11 — home-care services with "confort" activity give the essential/confort split."""

from __future__ import annotations

from collections.abc import Iterator

from esmsnum.config import CallConfig
from extractors.values import fold
from validators.context import DossierData
from validators.registry import Hit, rule


def split_document(data: DossierData) -> str | None:
    """A file of the dossier whose text gives the essential/confort split, if any."""
    for doc in data.documents:
        text = " " + fold(" ".join(b.text for b in doc.text[:400])) + " "
        if " confort " in text and (" essentiel" in text or " repartition " in text):
            return doc.file
    return None


@rule(
    "GRP-11",
    title="Répartition activité essentielle / confort manquante",
    severity="a_corriger",
    params=("eligibility.confort_split_required",),
    source="seed 002 ; FAQ CNSA (sources.md § Eligibility) : seule l'activité essentielle à la vie est financée",
    example=("SAAD du Val d'Ozon (FINESS 690023456) est un service d'aide à domicile : fournir la répartition de "
             "son activité entre activité essentielle et services de confort (aide proratisée sur l'activité "
             "essentielle)."),
)
def check(data: DossierData, config: CallConfig) -> Iterator[Hit]:
    """Les services d'aide à domicile qui vendent aussi des services de « confort » (SAAD,
    SPASAD) ne sont financés que pour leur activité essentielle à la vie : le dossier donne la
    répartition, dans une colonne de la liste des structures ou dans une pièce qui en traite."""
    if data.structures is None or not config.eligibility.confort_split_required.value:
        return
    document = None
    for essms in data.eligible_essms:
        category = essms.eligibility.category if essms.eligibility else None
        if category is None or not category.confort:
            continue
        cell = essms.row.get("part_essentielle")
        if cell is not None and cell.text:
            continue
        document = document or split_document(data) or ""
        if document:
            continue
        yield Hit(
            message=(f"{essms.label} est un service d'aide à domicile ({category.label}) : fournir la répartition de "
                     "son activité entre activité essentielle et services de confort (aide proratisée sur "
                     "l'activité essentielle)."),
            expected="la part d'activité essentielle (colonne de la liste ou pièce dédiée)",
            found="aucune répartition fournie",
            location=(essms.row.get("categorie") or essms.finess_cell).location,
        )
