"""Typed tables: each extracted table the rules check as a whole becomes a DataFrame of
parsed values (one row per table row, blanks as NaN/None, parse problems in
``<column>__problem``), its rows kept for the locations.

The rules declare their pandera checks over these frames (``@rule(checks=...)``); the engine
validates each frame once against the checks of every enabled rule
(``validators.table_checks``). Nothing here decides anything about the call's rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.lazy import lazy_module
from extractors.tables import Row, Table
from extractors.values import parse_amount, parse_date, parse_project_type
from validators.finess import normalize_finess

# Imported on first use: a run whose dossiers all come from the cache never builds a frame.
pd = lazy_module("pandas")

AMOUNT_COLUMNS = ("forfait_moa", "forfait_editeur", "bonus_segur", "equipement", "total_essms")
FORFAIT_COLUMNS = ("forfait_moa", "forfait_editeur", "bonus_segur", "equipement")
LINE_AMOUNT_COLUMNS = ("montant_ht", "montant_ttc", "financement_demande", "autres_financements", "autofinancement")


TABLE_KINDS = ("structures", "budget_essms", "planning")
"""The tables that have a typed frame (``DossierData.frame``), hence pandera checks."""


@dataclass
class Frame:
    """A table as a DataFrame, its rows kept for locations."""

    df: pd.DataFrame
    rows: list[Row]


def _raw(row: Row, column: str) -> Any:
    cell = row.get(column)
    return cell.raw if cell is not None else None


# --------------------------------------------------------------------------- frames


def structures_frame(table: Table) -> Frame:
    records = []
    for row in table.rows:
        et = normalize_finess(_raw(row, "finess_et"))
        ej = normalize_finess(_raw(row, "finess_ej")) if "finess_ej" in table.columns else ""
        records.append({"finess_et": et or None, "finess_ej": ej or None})
    return Frame(pd.DataFrame(records, columns=["finess_et", "finess_ej"]), list(table.rows))


def _amounts(row: Row, columns: tuple[str, ...]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in columns:
        parsed = parse_amount(_raw(row, column))
        record[column] = parsed.value if parsed.value is not None else float("nan")
        record[f"{column}__problem"] = parsed.problem
    return record


@dataclass(frozen=True)
class EssmsFacts:
    """What the budget checks need to know of a listed ESSMS."""

    project_type: str | None
    referenced: bool | None  # software Ségur-referenced (None: not stated)
    small_og: bool  # its organisme gestionnaire has few sites (equipment aid)


def budget_essms_frame(table: Table, facts: dict[str, EssmsFacts], default_type: str | None) -> Frame:
    """The per-ESSMS budget with each row's rank (1-based, in list order: the national call's
    reduced forfait applies from a rank on), project type and what is known of its ESSMS."""
    records = []
    for rank, row in enumerate(table.rows, start=1):
        finess = normalize_finess(_raw(row, "finess_et"))
        known = facts.get(finess)
        project_type = parse_project_type(_raw(row, "type_projet")).value if "type_projet" in table.columns else None
        project_type = project_type or (known.project_type if known else None) or default_type or "acquisition"
        record: dict[str, Any] = {
            "finess_et": finess or None,
            "rank": rank,
            "project_type": project_type,
            "referenced": known.referenced if known else None,
            "small_og": known.small_og if known else True,
        }
        record.update(_amounts(row, AMOUNT_COLUMNS))
        records.append(record)
    return Frame(pd.DataFrame.from_records(records), list(table.rows))


def planning_frame(table: Table) -> Frame:
    records = []
    for row in table.rows:
        start = parse_date(_raw(row, "date_debut"))
        end = parse_date(_raw(row, "date_fin"), end_of_period=True)
        records.append(
            {
                "date_debut": start.value,
                "date_debut__problem": start.problem,
                "date_fin": end.value,
                "date_fin__problem": end.problem,
            }
        )
    return Frame(
        pd.DataFrame(records, columns=["date_debut", "date_debut__problem", "date_fin", "date_fin__problem"]),
        list(table.rows),
    )
