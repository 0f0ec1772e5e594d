"""PLA-04 — phases in a sensible order (deployment before usage targets)."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import date_short
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.phases import key_phases_of
from validators.registry import Hit, rule


@rule("PLA-04", severity="alerte", params=("planning.deployment_phase", "planning.usage_phase", "planning.key_phases"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Phases dans un ordre inhabituel

    La phase d'atteinte des cibles d'usage ne commence pas avant la première phase de
    déploiement : on mesure les usages d'un logiciel déployé.

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 : les cibles d'usage se mesurent sur le logiciel
    déployé

    Action : Vérifier l'ordre des phases : les cibles d'usage se mesurent après le déploiement.

    Exemple : La phase « Atteinte des cibles d'usage » commence le 01/01/2023, avant la première phase de déploiement
    (le 01/06/2023).
    """
    frame = data.planning_frame
    if data.planning is None or frame is None:
        return
    deployment, usage = config.planning.deployment_phase.value, config.planning.usage_phase.value
    starts: dict[str, list[tuple]] = {deployment: [], usage: []}
    for index, row in enumerate(data.planning.rows):
        start = frame.df.iloc[index]["date_debut"]
        if start is None or start != start:
            continue
        for label in key_phases_of(row, config) & set(starts):
            starts[label].append((start, row))
    if not starts[deployment] or not starts[usage]:
        return
    first_deployment = min(s for s, _ in starts[deployment])
    for start, row in starts[usage]:
        if start < first_deployment:
            cell = row.get("date_debut")
            name = row.get("phase").text if row.get("phase") else "sans nom"
            yield Hit(
                message=(
                    f"La phase « {name} » commence le {date_short(start)}, avant la première phase de "
                    f"déploiement (le {date_short(first_deployment)})."
                ),
                expected=f"un début après le {date_short(first_deployment)}",
                found=date_short(start),
                location=cell.location if cell else row.location,
            )
