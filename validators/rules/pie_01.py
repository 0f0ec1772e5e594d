"""PIE-01 — every required document type is present."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import DOSSIER_LEVEL
from validators.registry import Hit, rule


@rule("PIE-01", severity="a_corriger", params=("documents.required",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Pièce obligatoire absente

    Chaque type de pièce exigé par l'appel est présent dans le dossier, reconnu par son
    contenu (tableau aux en-têtes attendus, section de texte titrée) et non par le nom du
    fichier. Une pièce présente mais illisible relève de PIE-02 et compte ici comme absente.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    documents types de la CNSA et de la DNS (budget détaillé, planning, structures engagées, gouvernance, stratégie de
    déploiement, plan de conduite du changement)

    Action : Joindre la pièce manquante (document type de l'appel), complétée.

    Exemple : Pièce absente : planning du projet. Aucun des 4 fichiers lisibles du dossier ne contient cette pièce.
    """
    present = data.kinds_present
    readable = [d.file for d in data.documents if d.readable]
    for kind in config.documents.required.value:
        if kind in present:
            continue
        yield Hit(
            message=(
                f"Pièce absente : {kind.label}. Aucun des {len(readable)} fichiers lisibles du dossier "
                f"ne contient cette pièce."
            ),
            expected=f"une pièce « {kind.label} »",
            found="aucune pièce reconnue de ce type",
            location=DOSSIER_LEVEL,
        )
