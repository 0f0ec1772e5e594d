"""Amount columns the header matcher did not understand, read as part of the per-ESSMS total
when they reconcile it.

An owner may split a forfait over columns no vocabulary names (« Licences DUI (€) » and
« Paramétrage et reprise par l'éditeur (€) »). A reviewer who sees that each row's total is
the sum of the forfaits read *plus* those columns reads them as part of the total, not as
an error of every total. This module does the same, on the table the rules rely on, before
any rule runs: the smallest set of unrecognised amount columns that makes every row's total
equal to the sum of its parts is added to the forfait each column comes closest to (its
header's best reading), and the table says so in its notes (report.json ``readings``).
Nothing is added when no set reconciles every row: BUD-02 then reports the totals, and the
columns stay « non reconnues ».
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from core.models import CellValue, Location
from extractors.table_types import Row, Table, UnmappedColumn
from extractors.values import parse_amount
from extractors.vocabulary import catalogue
from validators.schemas import FORFAIT_COLUMNS

MAX_COLUMNS_TRIED = 4  # subsets of at most 2**4 - 1 columns are tried


@dataclass(frozen=True)
class Reconciled:
    column: UnmappedColumn
    field: str  # the forfait its amounts were added to


def _amount(cell: CellValue | None) -> float:
    if cell is None:
        return 0.0
    return parse_amount(cell.raw).value or 0.0


def _target(column: UnmappedColumn, table: Table) -> str | None:
    """The forfait the column's amounts belong to: the one its header came closest to, else
    the only forfait the table does not have (a column must belong somewhere named)."""
    if column.guess in FORFAIT_COLUMNS:
        return column.guess
    absent = [f for f in FORFAIT_COLUMNS if f not in table.column_index and f != "equipement"]
    return absent[0] if len(absent) == 1 else None


def _reconciles(rows: list[Row], columns: tuple[UnmappedColumn, ...], tolerance: float) -> bool:
    for row in rows:
        parts = sum(_amount(row.get(f)) for f in FORFAIT_COLUMNS)
        parts += sum(_amount(row.others.get(c.index)) for c in columns)
        if abs(parts - _amount(row.get("total_essms"))) > tolerance:
            return False
    return True


def reconcile_essms_totals(table: Table, tolerance: float) -> list[Reconciled]:
    """Fold into the forfaits the unrecognised amount columns that reconcile every row's
    total; returns what was folded (empty when the totals already agree or nothing does)."""
    if "total_essms" not in table.column_index:
        return []
    candidates = [c for c in table.amount_columns_unread if _target(c, table) is not None][:MAX_COLUMNS_TRIED]
    rows = [r for r in table.rows if parse_amount(getattr(r.get("total_essms"), "raw", None)).value is not None]
    if not candidates or not rows or _reconciles(rows, (), tolerance):
        return []
    for size in range(1, len(candidates) + 1):
        for chosen in combinations(candidates, size):
            if _reconciles(rows, chosen, tolerance):
                return [_fold(table, column, _target(column, table) or "") for column in chosen]
    return []


def _fold(table: Table, column: UnmappedColumn, field: str) -> Reconciled:
    for row in table.rows + table.total_rows:
        extra = row.others.get(column.index)
        if extra is None:
            continue
        own = row.get(field)
        total = _amount(own) + _amount(extra)
        row.cells[field] = CellValue(total, _joined(own.location if own is not None else None, extra.location))
    column.read_as = field
    label = catalogue().meanings[field].label
    table.notes.append(
        f"colonne « {column.header or 'sans en-tête'} » ({column.cells}) lue comme partie du {label} : "
        "avec elle, le total de chaque ESSMS est la somme de ses forfaits"
    )
    return Reconciled(column, field)


def _joined(own: Location | None, extra: Location) -> Location:
    """« E5:F5 » when both cells are on one sheet, else the added cell."""
    if own is None or not (own.cell and extra.cell and own.sheet == extra.sheet and own.file == extra.file):
        return extra
    first, last = sorted((own.cell, extra.cell), key=lambda c: (len(c), c))
    return Location(own.file, own.sheet, f"{first}:{last}")
