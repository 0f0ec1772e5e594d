"""BUD-03 — per-ESSMS requests within the call's forfaits."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import euros
from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.figures import forfait_ceilings
from validators.messages import (
    FIELD_LABELS,
    PROJECT_TYPE_LABELS,
    essms_label_for_row,
)
from validators.registry import Hit, rule
from validators.table_checks import Failure

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")
pd = lazy_module("pandas")

CAPPED_COLUMNS = ("forfait_moa", "forfait_editeur", "bonus_segur")


def within_forfaits(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: each forfait requested is at most the call's ceiling for the row's
    project type and rank (plus the rounding tolerance)."""
    tolerance = config.funding.amount_tolerance.value

    def within(column: str) -> pa.Check:
        def check(d: pd.DataFrame) -> pd.Series:
            ceilings = pd.Series(
                [forfait_ceilings(config, t, r)[column] for t, r in zip(d["project_type"], d["rank"])],
                index=d.index,
                dtype=float,
            )
            return d[column].isna() | (d[column] <= ceilings + tolerance)

        return pa.Check(check)

    return {column: [within(column)] for column in CAPPED_COLUMNS if column in columns}


@rule(
    "BUD-03",
    severity="a_corriger",
    params=(
        "funding.forfaits.acquisition",
        "funding.forfaits.mise_en_conformite",
        "funding.tier_from_rank",
        "funding.amount_tolerance",
    ),
    checks={"budget_essms": within_forfaits},
)
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Demande au-delà du forfait de l'appel

    Pour chaque ESSMS du budget, chaque montant demandé (maîtrise d'ouvrage, éditeur, bonus
    Ségur) reste dans le forfait de l'appel pour son type de projet (acquisition
    ou mise en conformité, lu dans le budget, à défaut dans la liste des structures, à défaut
    dans le formulaire). Dans l'appel national, le forfait réduit s'applique à partir du 50e
    ESSMS, dans l'ordre des lignes du budget, en ne comptant que les ESSMS retenus (listés, non
    exclus) : une ligne d'ESSMS exclu (GRP-05, GRP-06) ne prend pas de rang.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) et
    arrêté du 2 février 2022 relatif à un programme de financement destiné à encourager l'équipement numérique des ESSMS
    : forfaits par ESSMS selon le type de projet et le rang (palier à partir du 50e ESSMS) ; montants propres à chaque
    année dans sa configuration

    Action : Ramener la demande pour cet ESSMS dans la limite du forfait de l'appel.

    Exemple : Le budget demande 8 000 € de forfait de maîtrise d'ouvrage pour EHPAD Les Tilleuls (FINESS 010000016) ; le
    plafond de l'appel est 7 000 € (acquisition).
    """
    tier_from = config.funding.tier_from_rank.value
    for failure in failures:
        frame_row = data.budget_frame.df.iloc[failure.index]
        project_type = frame_row["project_type"]
        rank = int(frame_row["rank"])
        ceiling = forfait_ceilings(config, project_type, rank)[failure.column]
        tier_note = ""
        if tier_from is not None:
            tier_note = (
                f", ESSMS de rang {rank} : forfait réduit à partir du {tier_from}e"
                if rank >= tier_from
                else f", ESSMS de rang {rank}"
            )
            if rank != failure.index + 1:  # rows of excluded or unlisted ESSMS take no rank
                tier_note += (
                    f" parmi les ESSMS retenus, ligne {failure.index + 1} du budget : les ESSMS exclus ou "
                    "absents de la liste ne comptent pas dans le rang"
                )
        yield Hit(
            message=(
                f"Le budget demande {euros(failure.value)} de {FIELD_LABELS[failure.column]} pour "
                f"{essms_label_for_row(data, failure.row)} ; le plafond de l'appel est {euros(ceiling)} "
                f"({PROJECT_TYPE_LABELS.get(project_type, project_type)}{tier_note})."
            ),
            expected=f"au plus {euros(ceiling)}",
            found=euros(failure.value),
            location=failure.location(),
        )
