"""GRP-11 — home-care services with "confort" activity give the essential/confort split."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.values import fold
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


def split_document(data: DossierData, essms) -> str | None:
    """A file of the dossier that gives this ESSMS's essential/confort split: it speaks of
    "confort" and of essential activity, and names the ESSMS (FINESS or name)."""
    name = fold(essms.name) if essms.name else None
    for doc in data.documents:
        text = " " + fold(" ".join(b.text for b in doc.text[:400])) + " "
        if " confort " not in text or not (" essentiel" in text or " repartition " in text):
            continue
        if (essms.finess and essms.finess.lower() in text) or (name and f" {name} " in text):
            return doc.file
    return None


@rule("GRP-11", severity="a_corriger", params=("eligibility.confort_split_required",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Répartition activité essentielle / confort manquante

    Les services d'aide à domicile qui vendent aussi des services de « confort » (SAAD,
    SPASAD) ne sont financés que pour leur activité essentielle à la vie : le dossier donne la
    répartition, dans une colonne de la liste des structures ou dans une pièce qui en traite
    et nomme le service (FINESS ou nom).

    Source : CNSA, « Réponses aux questions fréquentes sur ESMS numérique » (cnsa.fr, mise à jour du 3 février 2023) :
    services à domicile (L.312-1 I 6° et 7° du CASF) financés pour la seule activité essentielle à la vie, pièce de
    répartition exigée, aide au prorata des heures éligibles

    Action : Fournir, pour chaque service d'aide à domicile concerné, la répartition de son activité entre activité
    essentielle et services de confort.

    Exemple : SAAD du Val d'Ozon (FINESS 690023456) est un service d'aide à domicile : fournir la répartition de son
    activité entre activité essentielle et services de confort (aide proratisée sur l'activité essentielle).
    """
    if data.structures is None or not config.eligibility.confort_split_required.value:
        return
    for essms in data.eligible_essms:
        category = essms.eligibility.category if essms.eligibility else None
        if category is None or not category.confort:
            continue
        cell = essms.row.get("part_essentielle")
        if cell is not None and cell.text:
            continue
        if split_document(data, essms):
            continue
        yield Hit(
            message=(
                f"{essms.label} est un service d'aide à domicile ({category.label}) : fournir la répartition de "
                "son activité entre activité essentielle et services de confort (aide proratisée sur "
                "l'activité essentielle)."
            ),
            expected="la part d'activité essentielle (colonne de la liste ou pièce dédiée)",
            found="aucune répartition fournie",
            location=(essms.row.get("categorie") or essms.finess_cell).location,
        )
