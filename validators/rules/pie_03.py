"""PIE-03 — a scanned document where a native file is needed."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Location
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("PIE-03", severity="a_corriger", params=("documents.required",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Document scanné : fichier natif à fournir

    Une image (photo, scan) ou un PDF dont les pages sont des images sans couche texte est
    détecté par son contenu, jamais par son nom. Il est signalé lorsqu'une pièce exigée manque
    au dossier : elle est probablement dans ce scan, illisible pour l'analyse et pour les
    recalculs. Un scan joint en plus de pièces complètes (une lettre signée) n'est pas signalé.

    Source : Pratique d'instruction : un tableau scanné ne peut être ni vérifié ni recalculé

    Action : Fournir le fichier natif de la pièce scannée (xlsx, csv, docx ou PDF produit par le logiciel) au lieu de sa
    numérisation.

    Exemple : Le fichier scan budget.pdf est un document scanné (images sans texte), illisible pour l'analyse, alors que
    des pièces exigées manquent au dossier (budget détaillé) : si elles figurent dans ce scan, fournir le fichier natif
    (xlsx, csv, docx ou PDF non scanné).
    """
    missing = [kind for kind in config.documents.required.value if kind not in data.kinds_present]
    if not missing:
        return
    labels = ", ".join(kind.label for kind in missing)
    for doc in data.documents:
        if not doc.scanned:
            continue
        what = "une image" if doc.format in ("png", "jpeg", "gif", "tiff") else "un document scanné (images sans texte)"
        yield Hit(
            message=(
                f"Le fichier {doc.file} est {what}, illisible pour l'analyse, alors que des pièces exigées manquent "
                f"au dossier ({labels}) : si elles figurent dans ce scan, fournir le fichier natif (xlsx, csv, "
                "docx ou PDF non scanné)."
            ),
            expected="un fichier natif dont le texte et les tableaux sont lisibles",
            found=what,
            location=Location(doc.file),
        )
