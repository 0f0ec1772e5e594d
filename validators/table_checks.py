"""The rules' pandera checks, run once per typed table.

Each rule declares its checks per table kind (``@rule(checks={kind: fn})``, ``fn(view,
columns) → {column: [pa.Check]}``). For a dossier, the checks of every enabled rule on a
table are gathered into one ``DataFrameSchema``, validated lazily once, and each failure case
is handed back to the rule that declared the check, as a ``Failure`` located at the cell of
the column the check was declared for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.lazy import lazy_module
from core.models import Location
from extractors.tables import Row
from validators.config_view import ConfigView
from validators.registry import Rule
from validators.schemas import Frame

# Imported when a dossier's tables are checked, not when the rules are listed.
pd = lazy_module("pandas")
pa = lazy_module("pandera.pandas")

log = logging.getLogger(__name__)


def blank_or(column: str, passes: Callable[[Any], Any]) -> pa.Check:
    """A check of ``column`` that a row passes where its cell is blank (missing data is never
    a rejection: the rules on required data ask for it) or where ``passes(frame)`` holds."""
    return pa.Check(lambda d: d[column].isna() | passes(d))


@dataclass(frozen=True)
class Failure:
    """A row of a typed table that failed one of a rule's checks, at one column."""

    column: str
    index: int  # row position in the table (and in its frame)
    row: Row
    value: Any  # the typed value of that column in the frame

    def location(self) -> Location:
        cell = self.row.get(self.column)
        return cell.location if cell is not None else self.row.location


@dataclass
class TableOutcome:
    """Per rule: its failures, sorted by row then column; or why its checks could not run."""

    failures: dict[str, list[Failure]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Declared:
    rule_id: str
    column: str


def run_table_checks(
    rules: Iterable[Rule], views: dict[str, ConfigView], typed: Callable[[str], tuple[Frame, frozenset[str]] | None]
) -> TableOutcome:
    """Validate each typed table once against the checks the rules declare on it.

    ``typed(kind)`` is the dossier's frame of that kind with the columns of its table (the
    checks may depend on which columns the owner filled in), or None without such a table."""
    outcome = TableOutcome()
    rules = [r for r in rules if r.checks]
    for rule in rules:
        outcome.failures[rule.id] = []
    for kind in dict.fromkeys(k for r in rules for k in r.checks):
        table = typed(kind)
        if table is None:
            continue
        frame, columns = table
        declared: list[_Declared] = []
        checks: list[pa.Check] = []
        for rule in rules:
            if kind not in rule.checks:
                continue
            try:
                by_column = rule.checks[kind](views[rule.id], columns)
            except Exception as exc:  # noqa: BLE001 - a rule bug costs that rule, not the dossier
                outcome.errors[rule.id] = repr(exc)
                continue
            for column, column_checks in by_column.items():
                for check in column_checks:
                    declared.append(_Declared(rule.id, column))
                    checks.append(check)
        if checks and not frame.df.empty:
            try:
                _validate(pa.DataFrameSchema(checks=checks), frame, declared, outcome)
            except Exception as exc:  # noqa: BLE001 - the rules checking this table fail, not the dossier
                for owner in declared:
                    outcome.errors.setdefault(owner.rule_id, f"validation of the {kind} table failed: {exc!r}")
    for failures in outcome.failures.values():
        failures.sort(key=lambda f: (f.index, f.column))
    return outcome


def _validate(schema: pa.DataFrameSchema, frame: Frame, declared: list[_Declared], outcome: TableOutcome) -> None:
    try:
        schema.validate(frame.df, lazy=True)
        return
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    seen: set[tuple[str, str, int]] = set()
    for case in cases.itertuples(index=False):
        if case.check_number is None or pd.isna(case.check_number):
            log.error("table check failure without a check number: %s", case)
            continue
        owner = declared[int(case.check_number)]
        if case.index is None or pd.isna(case.index):
            # the check raised, or returned no per-row answer: its rule could not be applied
            outcome.errors.setdefault(owner.rule_id, f"check on {owner.column} failed: {case.failure_case}")
            continue
        index = int(case.index)
        key = (owner.rule_id, owner.column, index)
        if key in seen:
            continue
        seen.add(key)
        value = frame.df.at[index, owner.column] if owner.column in frame.df.columns else case.failure_case
        outcome.failures[owner.rule_id].append(Failure(owner.column, index, frame.rows[index], value))
