"""The dossier's key figures: amount requested and amount eligible per the call's forfaits.

Reading (documented in docs/rules.md): the amount requested is the sum of the expense
lines' "financement demandé" (recomputed, not the written total); without expense lines, the
sum of the per-ESSMS totals. The eligible amount caps each per-ESSMS forfait at its ceiling
(by project type and rank) and each AMOA line at its per-project ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractors.values import fold, parse_amount
from validators.context import DossierData
from validators.schemas import FORFAIT_COLUMNS


@dataclass(frozen=True)
class KeyFigures:
    amount_requested: float | None
    amount_eligible: float | None


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(sum(present)) if present else None


def amount_requested(data: DossierData) -> float | None:
    lines = data.budget_lines
    if lines is not None and "financement_demande" in lines.columns:
        total = _sum([parse_amount(r.get("financement_demande").raw).value for r in lines.rows if r.get("financement_demande")])
        if total is not None:
            return total
        for row in lines.total_rows:
            if row.get("financement_demande") and (value := parse_amount(row.get("financement_demande").raw).value) is not None:
                return value
    per_essms = data.budget_essms
    if per_essms is not None:
        if "total_essms" in per_essms.columns:
            total = _sum([parse_amount(r.get("total_essms").raw).value for r in per_essms.rows if r.get("total_essms")])
        else:
            total = _sum([
                parse_amount(r.get(c).raw).value for r in per_essms.rows for c in FORFAIT_COLUMNS if r.get(c)
            ])
        return total
    return None


def forfait_ceilings(config: Any, project_type: str | None, rank: int) -> dict[str, float]:
    """The call's per-ESSMS forfaits (maîtrise d'ouvrage, éditeur, bonus Ségur) for a project
    type at a rank (1-based, in budget order: the reduced tier applies from ``tier_from_rank``).

    ``config`` is the call configuration or a rule's view of it (BUD-03 declares the keys)."""
    funding = config.funding
    tier_from = funding.tier_from_rank.value
    tier = 1 if tier_from is not None and rank >= tier_from else 0
    table = funding.forfaits.mise_en_conformite if project_type == "mise_en_conformite" else funding.forfaits.acquisition
    return {
        "forfait_moa": table.moa.value[tier],
        "forfait_editeur": table.editeur.value[tier],
        "bonus_segur": table.bonus_segur.value[tier],
    }


def amoa_ceilings(config: Any) -> dict[str, float]:
    """Per-project AMOA ceilings by ``amoa_kind`` (the call configuration or BUD-06's view)."""
    funding = config.funding
    return {"procedure": funding.amoa_procurement_ceiling.value, "pilotage": funding.amoa_steering_ceiling.value}


def amoa_kind(label: str) -> str | None:
    """``procedure`` (procurement support), ``pilotage`` (project steering) or None."""
    folded = f" {fold(label)} "
    if " amoa " not in folded and "assistance a maitrise d ouvrage" not in folded:
        return None
    if any(f" {w}" in folded for w in ("marche", "achat", "procedure", "consultation")):
        return "procedure"
    return "pilotage"


def _amoa_ceiling(label: str, data: DossierData) -> float | None:
    kind = amoa_kind(label)
    return None if kind is None else amoa_ceilings(data.config)[kind]


def amount_eligible(data: DossierData) -> float | None:
    frame = data.budget_frame
    if frame is None:
        return None
    listed = {e.finess for e in data.eligible_essms}
    equipment_ceiling = data.config.funding.equipment_ceiling.value
    total = 0.0
    for _, row in frame.df.iterrows():
        if listed and row["finess_et"] not in listed:
            continue  # not listed (COH-01) or not eligible (GRP-06): not funded
        ceilings = {**forfait_ceilings(data.config, row["project_type"], row["rank"]), "equipement": equipment_ceiling}
        for column in FORFAIT_COLUMNS:
            if column in frame.df.columns and row[column] == row[column]:  # not NaN
                ceiling = ceilings[column]
                if column == "bonus_segur" and row["referenced"] is False:
                    ceiling = 0.0  # BUD-04: no bonus without Ségur-referenced software
                if column == "equipement" and not row["small_og"]:
                    ceiling = 0.0  # BUD-05: equipment aid for small organismes gestionnaires only
                total += max(0.0, min(row[column], ceiling))
    if data.budget_lines is not None and "financement_demande" in data.budget_lines.columns:
        for line in data.budget_lines.rows:
            ceiling = _amoa_ceiling(line.label, data)
            cell = line.get("financement_demande")
            if ceiling is not None and cell is not None:
                value = parse_amount(cell.raw).value
                if value:
                    total += max(0.0, min(value, ceiling))
    return round(total, 2)


def key_figures(data: DossierData) -> KeyFigures:
    return KeyFigures(amount_requested(data), amount_eligible(data))
