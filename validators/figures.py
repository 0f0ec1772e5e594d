"""The dossier's key figures: amount requested and amount eligible per the call's funding rules.

Reading (documented in docs/calls.md): the amount requested is the sum of the expense
lines' "financement demandé" (recomputed, not the written total); without expense lines, the
sum of the per-ESSMS totals. The eligible amount follows the funding rules, not the lines:

- each counted ESSMS (listed, not excluded, identified by its FINESS, first budget row of its
  FINESS) is ranked in budget order among the counted ESSMS only, so that a budget row of an
  excluded or unlisted ESSMS takes no rank; the national reduced forfaits apply from
  ``funding.tier_from_rank`` of that rank;
- where the call caps the ESSMS counted (``grouping.max_essms_counted``), the ESSMS beyond the
  cap are not funded;
- each forfait is capped at its ceiling (type of project, tier); no Ségur bonus without a
  referenced software (BUD-04), no equipment aid for a large organisme (BUD-05);
- a home-care service with « confort » activity is funded on its essential share, where the
  list gives it (GRP-11);
- AMOA: the lines of each kind (procurement, steering) are summed, and the sum capped at its
  per-project ceiling (BUD-06).

The per-ESSMS reading is kept in ``report.json`` (``essms[].funding``) with the figures'
``basis``, so that the call-level exclusions (LOT-01) can re-decide the amount in
``judging.finalize`` with this same function (``fund``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.config import CallConfig
from extractors.values import fold, parse_amount
from validators.context import DossierData
from validators.grouping import size_basis
from validators.registry import all_rules
from validators.schemas import FORFAIT_COLUMNS


@dataclass(frozen=True)
class KeyFigures:
    amount_requested: float | None
    amount_eligible: float | None
    per_essms: dict[str, dict[str, Any]] = field(default_factory=dict)  # FINESS → asked, eligible, funding
    basis: dict[str, Any] = field(default_factory=dict)  # what finalize needs to re-decide


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(sum(present)) if present else None


def amount_requested(data: DossierData) -> float | None:
    lines = data.budget_lines
    if lines is not None and "financement_demande" in lines.columns:
        total = _sum(
            [parse_amount(r.get("financement_demande").raw).value for r in lines.rows if r.get("financement_demande")]
        )
        if total is not None:
            return total
        for row in lines.total_rows:
            if (
                row.get("financement_demande")
                and (value := parse_amount(row.get("financement_demande").raw).value) is not None
            ):
                return value
    per_essms = data.budget_essms
    if per_essms is not None:
        if "total_essms" in per_essms.columns:
            total = _sum([parse_amount(r.get("total_essms").raw).value for r in per_essms.rows if r.get("total_essms")])
        else:
            total = _sum(
                [parse_amount(r.get(c).raw).value for r in per_essms.rows for c in FORFAIT_COLUMNS if r.get(c)]
            )
        return total
    return None


def forfait_ceilings(config: Any, project_type: str | None, rank: int) -> dict[str, float]:
    """The call's per-ESSMS forfaits (maîtrise d'ouvrage, éditeur, bonus Ségur) for a project
    type at a rank (1-based, in budget order: the reduced tier applies from ``tier_from_rank``).

    ``config`` is the call configuration or a rule's view of it (BUD-03 declares the keys)."""
    funding = config.funding
    tier_from = funding.tier_from_rank.value
    tier = 1 if tier_from is not None and rank >= tier_from else 0
    table = (
        funding.forfaits.mise_en_conformite if project_type == "mise_en_conformite" else funding.forfaits.acquisition
    )
    return {
        "forfait_moa": table.moa.value[tier],
        "forfait_editeur": table.editeur.value[tier],
        "bonus_segur": table.bonus_segur.value[tier],
    }


def amoa_ceilings(config: Any) -> dict[str, float]:
    """Per-project AMOA ceilings by ``amoa_kind`` (the call configuration or BUD-06's view)."""
    funding = config.funding
    return {"procedure": funding.amoa_procurement_ceiling.value, "pilotage": funding.amoa_steering_ceiling.value}


# --------------------------------------------------------------------------- AMOA


def amoa_kind(label: str) -> str | None:
    """``procedure`` (procurement support), ``pilotage`` (project steering) or None."""
    folded = f" {fold(label)} "
    if " amoa " not in folded and "assistance a maitrise d ouvrage" not in folded:
        return None
    if any(f" {w}" in folded for w in ("marche", "achat", "procedure", "consultation")):
        return "procedure"
    return "pilotage"


def amoa_eligible(data: DossierData) -> float:
    """The AMOA lines summed by kind, each sum capped at its per-project ceiling."""
    lines = data.budget_lines
    if lines is None or "financement_demande" not in lines.columns:
        return 0.0
    ceilings = amoa_ceilings(data.config)
    totals: dict[str, float] = {}
    for line in lines.rows:
        kind = amoa_kind(line.label)
        cell = line.get("financement_demande")
        if kind is None or cell is None:
            continue
        value = parse_amount(cell.raw).value
        if value:
            totals[kind] = totals.get(kind, 0.0) + max(0.0, value)
    return sum(min(total, ceilings[kind]) for kind, total in totals.items())


# --------------------------------------------------------------------------- confort share

_SHARE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(%|pour\s*cent)?\s*$", re.IGNORECASE)


def parse_share(raw: Any) -> float | None:
    """The essential-activity share of a home-care service: ``78 %``, ``0,78``, ``78`` → 0.78.
    Anything else (hours, a sentence) is not a share: None (the amount is not prorated)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
        percent = value > 1
    else:
        m = _SHARE.match(str(raw))
        if not m:
            return None
        value = float(m[1].replace(",", "."))
        percent = bool(m[2]) or value > 1
    share = value / 100 if percent else value
    return share if 0 < share <= 1 else None


# --------------------------------------------------------------------------- per ESSMS


def _number(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _is_false(value: Any) -> bool:
    """A stated « non » (numpy booleans included), not a blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return not bool(value)


def _entries(data: DossierData) -> list[dict[str, Any]]:
    """One funding entry per ESSMS of the per-ESSMS budget: what it asks, its ceilings at both
    tiers (after BUD-04 and BUD-05) and whether it is counted."""
    frame = data.budget_frame
    if frame is None:
        return []
    config = data.config
    tier_from = config.funding.tier_from_rank.value
    listed = data.essms_by_finess() if data.structures is not None else None
    columns = [c for c in FORFAIT_COLUMNS if c in frame.df.columns]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for order, (_, row) in enumerate(frame.df.iterrows(), start=1):
        finess = row["finess_et"]
        if not finess or finess in seen:
            continue
        seen.add(finess)
        essms = listed.get(finess) if listed is not None else None
        counted = essms.eligible if essms is not None else listed is None
        project_type = row["project_type"]
        equipment = {"equipement": config.funding.equipment_ceiling.value}
        tiers = [{**forfait_ceilings(config, project_type, 1), **equipment}]
        tiers.append(
            {**forfait_ceilings(config, project_type, tier_from), **equipment}
            if tier_from is not None
            else dict(tiers[0])
        )
        for ceiling in tiers:
            if _is_false(row["referenced"]):
                ceiling["bonus_segur"] = 0.0  # BUD-04: no bonus without Ségur-referenced software
            if not row["small_og"]:
                ceiling["equipement"] = 0.0  # BUD-05: equipment aid for small organismes gestionnaires only
        if columns:
            asked = {c: _number(row[c]) for c in columns}
            ceilings = {c: [float(t[c]) for t in tiers] for c in columns}
        else:  # only a total per ESSMS: capped at the sum of its forfaits
            asked = {"total_essms": _number(row.get("total_essms"))}
            ceilings = {"total_essms": [float(sum(t.values())) for t in tiers]}
        share = None
        if (
            essms is not None
            and essms.eligibility
            and essms.eligibility.category
            and essms.eligibility.category.confort
        ):
            cell = essms.row.get("part_essentielle")
            share = parse_share(cell.raw) if cell is not None else None
        out.append(
            {
                "finess": finess,
                "order": order,
                "project_type": project_type,
                "counted": counted,
                "asked": asked,
                "ceilings": ceilings,
                "share": share,
            }
        )
    return out


def fund(
    entries: Iterable[dict[str, Any]], *, tier_from_rank: int | None, cap: int | None, excluded: set[str] = frozenset()
) -> dict[str, tuple[int | None, float]]:
    """FINESS → (rank among the counted ESSMS, eligible amount). ``excluded``: FINESS left out
    after the dossier was judged (LOT-01). An ESSMS not counted has no rank and 0 €."""
    out: dict[str, tuple[int | None, float]] = {}
    rank = 0
    for entry in sorted(entries, key=lambda e: e["order"]):
        finess = entry["finess"]
        if not entry["counted"] or finess in excluded:
            out[finess] = (None, 0.0)
            continue
        rank += 1
        if cap is not None and rank > cap:
            out[finess] = (rank, 0.0)
            continue
        tier = 1 if tier_from_rank is not None and rank >= tier_from_rank else 0
        amount = sum(min(max(0.0, asked), entry["ceilings"][column][tier]) for column, asked in entry["asked"].items())
        if entry.get("share") is not None:
            amount *= entry["share"]
        out[finess] = (rank, round(amount, 2))
    return out


def eligible_total(funded: dict[str, tuple[int | None, float]], amoa: float) -> float:
    return round(sum(amount for _, amount in funded.values()) + amoa, 2)


def size_rule_setting(config: CallConfig) -> dict[str, Any]:
    """What ``call_review.apply_call_exclusions`` needs of GRP-03's setting in the call."""
    rule = all_rules()["GRP-03"]
    setting = config.rule_setting(rule.id)
    return {"enabled": setting.enabled, "severity": (setting.severity or rule.severity).value, "title": rule.title}


def key_figures(data: DossierData) -> KeyFigures:
    config = data.config
    tier_from, cap = config.funding.tier_from_rank.value, config.grouping.max_essms_counted.value
    entries = _entries(data)
    amoa = amoa_eligible(data)
    funded = fund(entries, tier_from_rank=tier_from, cap=cap)
    eligible = eligible_total(funded, amoa) if data.budget_frame is not None or amoa else None
    per_essms = {}
    for entry in entries:
        rank, amount = funded[entry["finess"]]
        per_essms[entry["finess"]] = {
            "amount_asked": round(sum(entry["asked"].values()), 2),
            "amount_eligible": amount,
            "funding": {**entry, "rank": rank},
        }
    size = size_basis(data, config)
    basis = {
        "essms_count": data.essms_count if data.structures is not None else None,
        "amount_eligible": eligible,
        "amoa_eligible": round(amoa, 2),
        "tier_from_rank": tier_from,
        "max_essms_counted": cap,
        "size": size.to_dict() if size is not None else None,
        "size_rule": size_rule_setting(config),
    }
    return KeyFigures(amount_requested(data), eligible, per_essms, basis)
