"""The eligible amount follows the funding rules, not the lines (validators/figures.py):
the national tier counted on the retained ESSMS, the call's cap of ESSMS counted, the AMOA
ceilings per project, the « confort » share; and the same function re-decides the amount
after the call's exclusions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.config import load_call
from core.models import CellValue, Location
from extractors.tables import Row, Table
from validators.figures import amoa_eligible, eligible_total, fund, parse_share

NATIONAL = load_call("cnsa-2022-national")
ACQ = NATIONAL.funding.forfaits.acquisition


def _entry(finess: str, order: int, *, counted: bool = True, moa: float | None = None, share: float | None = None):
    """An acquisition asking the first-tier MOA forfait (or ``moa``), ceilings at both tiers."""
    first, reduced = ACQ.moa.value
    return {
        "finess": finess,
        "order": order,
        "project_type": "acquisition",
        "counted": counted,
        "asked": {"forfait_moa": first if moa is None else moa},
        "ceilings": {"forfait_moa": [float(first), float(reduced)]},
        "share": share,
    }


def test_the_tier_counts_the_retained_essms_not_the_budget_rows():
    tier_from = NATIONAL.funding.tier_from_rank.value
    first, reduced = ACQ.moa.value
    entries = [_entry(f"{i:09d}", i) for i in range(1, tier_from + 2)]
    funded = fund(entries, tier_from_rank=tier_from, cap=None)
    assert funded[f"{tier_from:09d}"] == (tier_from, reduced)  # the 50th row is the 50th ESSMS: reduced forfait
    entries[3]["counted"] = False  # an excluded ESSMS (GRP-06) among the first rows takes no rank
    funded = fund(entries, tier_from_rank=tier_from, cap=None)
    assert funded[f"{4:09d}"] == (None, 0.0)
    assert funded[f"{tier_from:09d}"] == (tier_from - 1, first)  # now the 49th retained: first-tier forfait
    assert funded[f"{tier_from + 1:09d}"] == (tier_from, reduced)


def test_an_exclusion_after_judgement_moves_the_ranks_too():
    tier_from = NATIONAL.funding.tier_from_rank.value
    first, _reduced = ACQ.moa.value
    entries = [_entry(f"{i:09d}", i) for i in range(1, tier_from + 1)]
    funded = fund(entries, tier_from_rank=tier_from, cap=None, excluded={f"{2:09d}"})
    assert funded[f"{2:09d}"] == (None, 0.0)
    assert funded[f"{tier_from:09d}"] == (tier_from - 1, first)
    assert eligible_total(funded, 1000.0) == pytest.approx((tier_from - 1) * first + 1000.0)


def test_the_cap_of_essms_counted_funds_the_first_ones_only():
    amorcage = load_call("ars-ara-2021-amorcage")
    cap = amorcage.grouping.max_essms_counted.value
    entries = [_entry(f"{i:09d}", i) for i in range(1, cap + 3)]
    funded = fund(entries, tier_from_rank=None, cap=cap)
    assert sum(1 for _rank, amount in funded.values() if amount) == cap
    assert funded[f"{cap + 1:09d}"] == (cap + 1, 0.0)


def test_requests_are_capped_and_confort_services_prorated():
    first, _ = ACQ.moa.value
    funded = fund(
        [_entry("000000001", 1, moa=first + 1000), _entry("000000002", 2, share=0.78)], tier_from_rank=None, cap=None
    )
    assert funded["000000001"] == (1, first)  # capped at the forfait
    assert funded["000000002"] == (2, pytest.approx(first * 0.78))


@pytest.mark.parametrize(
    "raw, share",
    [
        ("78 %", 0.78),
        ("78%", 0.78),
        ("0,78", 0.78),
        (0.78, 0.78),
        (78, 0.78),
        ("100 %", 1.0),
        ("1 200 heures", None),
        ("voir annexe", None),
        (None, None),
        ("0 %", None),
        ("150 %", None),
    ],
)
def test_essential_share(raw, share):
    assert parse_share(raw) == (pytest.approx(share) if share is not None else None)


def _lines(*rows: tuple[str, float]) -> Table:
    where = Location("budget.xlsx", "Budget")
    table = Table(
        kind="budget_lignes",
        file="budget.xlsx",
        grid_name="Budget",
        header_location=where,
        columns={"poste": CellValue("Poste", where), "financement_demande": CellValue("Financement demandé", where)},
    )
    for i, (label, amount) in enumerate(rows, start=2):
        loc = Location("budget.xlsx", "Budget", f"A{i}")
        table.rows.append(
            Row(
                {"poste": CellValue(label, loc), "financement_demande": CellValue(amount, loc)},
                loc,
                label=label,
                position=i,
            )
        )
    return table


def test_amoa_ceilings_apply_to_the_sum_of_the_project_lines():
    config = load_call("ars-ara-2022-regional")
    steering = config.funding.amoa_steering_ceiling.value
    procurement = config.funding.amoa_procurement_ceiling.value
    data = SimpleNamespace(
        config=config,
        budget_lines=_lines(
            ("AMOA pilotage du projet (phase 1)", steering * 0.6),
            ("AMOA pilotage du projet (phase 2)", steering * 0.6),  # each line under the ceiling, the sum above
            ("AMOA accompagnement à la procédure de marché", procurement - 1000),
            ("Licences", 50_000),  # not AMOA: funded by the per-ESSMS forfaits, not here
        ),
    )
    assert amoa_eligible(data) == pytest.approx(steering + procurement - 1000)
