"""PIE-05 — hidden sheets, rows or columns: not examined, said."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Location
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("PIE-05", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Contenu masqué non examiné

    Une feuille masquée, des lignes ou des colonnes masquées d'un classeur ne sont pas ce
    que le porteur présente : l'analyse lit le contenu visible seulement (un ancien budget
    masqué ne fait pas échouer les contrôles, une ligne masquée ne compte pas d'ESSMS). Chaque
    contenu masqué non vide est signalé avec la feuille qui le porte, pour que l'instructeur
    sache ce qui n'a pas été examiné et puisse demander au porteur de l'afficher ou de le
    supprimer. Le verdict n'en dépend pas.

    Source : Pratique d'instruction : seul ce que le porteur montre est examiné ; un contenu masqué (ancienne version,
    ESSMS retiré) ne doit ni décider ni passer inaperçu

    Action : Afficher le contenu masqué s'il fait partie de la demande, ou le supprimer s'il est périmé : seul le
    contenu visible du fichier est examiné.

    Exemple : Le fichier Dossier_V2.xlsx contient un contenu masqué, non examiné : feuille masquée « Budget (ancienne
    version) » (126 cellules remplies). Seul le contenu visible a été analysé ; vérifier que le contenu masqué ne fait
    pas partie de la demande.
    """
    for doc in data.documents:
        for content in doc.hidden:
            if content.values == 0:
                continue  # an empty hidden sheet hides nothing
            yield Hit(
                message=(
                    f"Le fichier {doc.file} contient un contenu masqué, non examiné : {content.describe()}. "
                    "Seul le contenu visible a été analysé ; vérifier que le contenu masqué ne fait pas partie de "
                    "la demande."
                ),
                expected="le contenu de la demande visible",
                found=content.describe(),
                location=Location(doc.file, sheet=content.sheet),
            )
