"""COH-03 — the planning's waves name ESSMS of the list."""

from __future__ import annotations

import re
from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import normalize_finess
from validators.registry import Hit, rule

_FINESS_TOKEN = re.compile(r"\b(?:\d{9}|2[AB]\d{7})\b")


@rule("COH-03", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Vague de déploiement hors de la liste

    Les ESSMS que le planning cite (FINESS dans les phases ou la colonne « ESSMS concernés »)
    figurent dans la liste des structures.

    Source : Pratique d'instruction : le planning déploie les ESSMS de la grappe

    Action : Vérifier que les vagues de déploiement du planning ne nomment que des ESSMS de la liste.

    Exemple : La phase « Déploiement vague 2 » cite le FINESS 380009999, qui ne figure pas dans la liste des structures.
    """
    if data.planning is None or data.structures is None:
        return
    listed = set(data.essms_by_finess())
    listed_ej = {e.finess_ej for e in data.distinct_essms}
    for row in data.planning.rows:
        for field in ("perimetre", "phase", "livrable"):
            cell = row.get(field)
            if cell is None or not cell.text:
                continue
            for token in _FINESS_TOKEN.findall(cell.text.upper()):
                finess = normalize_finess(token)
                if finess in listed or finess in listed_ej:
                    continue
                name = row.get("phase").text if row.get("phase") else "sans nom"
                yield Hit(
                    message=(
                        f"La phase « {name} » cite le FINESS {finess}, qui ne figure pas dans la liste des structures."
                    ),
                    expected="des ESSMS de la liste des structures",
                    found=f"FINESS {finess}",
                    location=cell.location,
                )
