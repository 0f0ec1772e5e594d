"""Table-shaped checks as pandera schemas.

Each extracted table becomes a DataFrame of typed values (one row per table row, blanks as
NaN/None, parse problems in ``<column>__problem``) and is validated lazily against its
schema. Every check is named ``<RULE>:<column>``: a failure case becomes a ``Failure`` that
the rule of that id turns into a French finding located at the cell of that column.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from core.config import CallConfig
from core.lazy import lazy_module
from core.models import Location
from extractors.tables import Row, Table
from extractors.values import parse_amount, parse_date, parse_project_type
from validators.finess import is_valid_finess, normalize_finess

# Imported on first use: a run whose dossiers all come from the cache never builds a frame.
pd = lazy_module("pandas")
pa = lazy_module("pandera.pandas")

AMOUNT_COLUMNS = ("forfait_moa", "forfait_editeur", "bonus_segur", "equipement", "total_essms")
FORFAIT_COLUMNS = ("forfait_moa", "forfait_editeur", "bonus_segur", "equipement")
LINE_AMOUNT_COLUMNS = ("montant_ht", "montant_ttc", "financement_demande", "autres_financements", "autofinancement")


@dataclass(frozen=True)
class Failure:
    rule: str
    column: str
    index: int
    row: Row
    value: Any

    def location(self) -> Location:
        cell = self.row.get(self.column)
        return cell.location if cell is not None else self.row.location


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


def forfait_ceilings(config: CallConfig, project_type: str | None, rank: int) -> dict[str, float]:
    """Per-ESSMS ceilings for a project type at a rank (1-based, in list order)."""
    funding = config.funding
    tier_from = funding.tier_from_rank.value
    tier = 1 if tier_from is not None and rank >= tier_from else 0
    table = funding.forfaits.mise_en_conformite if project_type == "mise_en_conformite" else funding.forfaits.acquisition
    return {
        "forfait_moa": table.moa.value[tier],
        "forfait_editeur": table.editeur.value[tier],
        "bonus_segur": table.bonus_segur.value[tier],
        "equipement": funding.equipment_ceiling.value,
    }


@dataclass(frozen=True)
class EssmsFacts:
    """What the budget checks need to know of a listed ESSMS."""

    project_type: str | None
    referenced: bool | None  # software Ségur-referenced (None: not stated)
    small_og: bool  # its organisme gestionnaire has few sites (equipment aid)


def budget_essms_frame(table: Table, config: CallConfig, facts: dict[str, EssmsFacts], default_type: str | None) -> Frame:
    records = []
    rank = 0
    for row in table.rows:
        rank += 1
        finess = normalize_finess(_raw(row, "finess_et"))
        known = facts.get(finess)
        project_type = parse_project_type(_raw(row, "type_projet")).value if "type_projet" in table.columns else None
        project_type = project_type or (known.project_type if known else None) or default_type or "acquisition"
        record: dict[str, Any] = {
            "finess_et": finess or None, "rank": rank, "project_type": project_type,
            "referenced": known.referenced if known else None,
            "small_og": known.small_og if known else True,
        }
        record.update(_amounts(row, AMOUNT_COLUMNS))
        for column, ceiling in forfait_ceilings(config, project_type, rank).items():
            record[f"{column}__max"] = ceiling
        records.append(record)
    return Frame(pd.DataFrame.from_records(records), list(table.rows))


def planning_frame(table: Table) -> Frame:
    records = []
    for row in table.rows:
        start = parse_date(_raw(row, "date_debut"))
        end = parse_date(_raw(row, "date_fin"), end_of_period=True)
        records.append(
            {
                "date_debut": start.value, "date_debut__problem": start.problem,
                "date_fin": end.value, "date_fin__problem": end.problem,
            }
        )
    return Frame(pd.DataFrame(records, columns=["date_debut", "date_debut__problem", "date_fin", "date_fin__problem"]), list(table.rows))


# --------------------------------------------------------------------------- schemas

def _valid_or_blank(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v is None or (isinstance(v, float) and pd.isna(v)) or is_valid_finess(v))


def structures_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "finess_et": pa.Column(None, nullable=True, checks=[
                pa.Check(lambda s: s.notna() & _valid_or_blank(s), name="GRP-01:finess_et"),
            ]),
            "finess_ej": pa.Column(None, nullable=True, checks=[pa.Check(_valid_or_blank, name="GRP-01:finess_ej")]),
        },
        checks=[pa.Check(lambda d: d["finess_et"].isna() | ~d["finess_et"].duplicated(keep="first"), name="GRP-02:finess_et")],
    )


def _no_problem(column: str) -> pa.Check:
    return pa.Check(lambda d, c=column: d[f"{c}__problem"].isna(), name=f"BUD-01:{column}")


def _non_negative(column: str) -> pa.Check:
    return pa.Check(lambda d, c=column: d[c].isna() | (d[c] >= 0), name=f"BUD-01:{column}")


def budget_essms_schema(tolerance: float, columns: set[str]) -> pa.DataFrameSchema:
    checks = []
    for column in AMOUNT_COLUMNS:
        if column in columns:
            checks += [_no_problem(column), _non_negative(column)]
    for column in ("forfait_moa", "forfait_editeur", "bonus_segur"):
        if column in columns:
            checks.append(pa.Check(
                lambda d, c=column: d[c].isna() | (d[c] <= d[f"{c}__max"] + tolerance), name=f"BUD-03:{column}",
            ))
    if "bonus_segur" in columns:
        checks.append(pa.Check(
            lambda d: d["bonus_segur"].isna() | (d["bonus_segur"] <= tolerance) | (d["referenced"] != False),  # noqa: E712
            name="BUD-04:bonus_segur",
        ))
    if "equipement" in columns:
        checks.append(pa.Check(
            lambda d: d["equipement"].isna() | (d["equipement"] <= tolerance)
            | (d["small_og"] & (d["equipement"] <= d["equipement__max"] + tolerance)),
            name="BUD-05:equipement",
        ))
    parts = [c for c in FORFAIT_COLUMNS if c in columns]
    if "total_essms" in columns and parts:
        checks.append(pa.Check(
            lambda d: d["total_essms"].isna()
            | d[[f"{c}__problem" for c in parts]].notna().any(axis=1)
            | ((d[parts].fillna(0).sum(axis=1) - d["total_essms"]).abs() <= tolerance),
            name="BUD-02:total_essms",
        ))
    return pa.DataFrameSchema(checks=checks)


def planning_schema(window_end: dt.date) -> pa.DataFrameSchema:
    def ordered(d: pd.DataFrame) -> pd.Series:
        both = d["date_debut"].notna() & d["date_fin"].notna()
        return ~both | pd.Series([s <= e if b else True for s, e, b in zip(d["date_debut"], d["date_fin"], both)], index=d.index)

    def within(column: str):
        return lambda d: d[column].map(lambda v: v is None or pd.isna(v) or v <= window_end)

    return pa.DataFrameSchema(checks=[
        pa.Check(lambda d: d["date_debut"].notna() | d["date_fin"].notna()
                 | d["date_debut__problem"].notna() | d["date_fin__problem"].notna(), name="PLA-01:date_debut"),
        pa.Check(lambda d: d["date_debut__problem"].isna(), name="PLA-01:date_debut"),
        pa.Check(lambda d: d["date_fin__problem"].isna(), name="PLA-01:date_fin"),
        pa.Check(ordered, name="PLA-01:date_fin"),
        pa.Check(within("date_fin"), name="PLA-03:date_fin"),
        pa.Check(within("date_debut"), name="PLA-03:date_debut"),
    ])


# --------------------------------------------------------------------------- running

def run_schema(schema: pa.DataFrameSchema, frame: Frame) -> list[Failure]:
    """Validate lazily; one ``Failure`` per (rule, column, row)."""
    if frame.df.empty:
        return []
    try:
        schema.validate(frame.df, lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    failures: dict[tuple[str, str, int], Failure] = {}
    for case in cases.itertuples(index=False):
        name = str(case.check)
        if ":" not in name or case.index is None or pd.isna(case.index):
            continue
        rule, column = name.split(":", 1)
        index = int(case.index)
        key = (rule, column, index)
        if key not in failures:
            value = frame.df.at[index, column] if column in frame.df.columns else case.failure_case
            failures[key] = Failure(rule, column, index, frame.rows[index], value)
    return sorted(failures.values(), key=lambda f: (f.rule, f.index, f.column))


def group_by_rule(failures: list[Failure]) -> dict[str, list[Failure]]:
    grouped: dict[str, list[Failure]] = defaultdict(list)
    for failure in failures:
        grouped[failure.rule].append(failure)
    return grouped


def table_failures(data: "DossierData") -> dict[str, list[Failure]]:  # noqa: F821
    """Every table-shaped failure of the dossier, by rule id."""
    config = data.config
    tolerance = config.funding.amount_tolerance.value
    failures: list[Failure] = []
    if data.structures is not None:
        failures += run_schema(structures_schema(), structures_frame(data.structures))
    if data.budget_frame is not None:
        schema = budget_essms_schema(tolerance, set(data.budget_essms.columns))
        failures += run_schema(schema, data.budget_frame)
    if data.planning_frame is not None:
        failures += run_schema(planning_schema(config.programme_window.end.value), data.planning_frame)
    return group_by_rule(failures)
