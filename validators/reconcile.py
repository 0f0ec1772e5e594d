"""Amount columns the header matcher did not understand, read as part of the per-ESSMS total
when they reconcile it.

An owner may split a forfait over columns no vocabulary names (« Licences DUI (€) » and
« Paramétrage et reprise par l'éditeur (€) »). A reviewer who sees that each row's total is
the sum of the forfaits read *plus* those columns reads them as part of the total, not as
an error of every total. This module does the same, on the table the rules rely on, before
any rule runs: the smallest set of unrecognised amount columns that makes the most rows'
totals (three rows in four at least) equal to the sum of their parts is added to the forfait
each column comes closest to (its header's best reading), and the table says so in its notes
(report.json ``readings``).
A row whose total is still not the sum is BUD-02's. Nothing is added when no set reconciles
enough rows: BUD-02 then reports the totals, and the columns stay « non reconnues » (PIE-06).
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
RECONCILED_SHARE = 0.75  # share of the rows a set of columns must reconcile to be read as forfaits


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


def _reconciled_rows(rows: list[Row], columns: tuple[UnmappedColumn, ...], tolerance: float) -> int:
    """How many rows' totals equal the sum of their forfaits plus these columns."""
    count = 0
    for row in rows:
        parts = sum(_amount(row.get(f)) for f in FORFAIT_COLUMNS)
        parts += sum(_amount(row.others.get(c.index)) for c in columns)
        count += abs(parts - _amount(row.get("total_essms"))) <= tolerance
    return count


def reconcile_essms_totals(table: Table, tolerance: float) -> list[Reconciled]:
    """Fold into the forfaits the unrecognised amount columns that reconcile the rows'
    totals (at least ``RECONCILED_SHARE`` of them, more than without: a row whose total is
    still wrong is BUD-02's); returns what was folded (empty when nothing does better)."""
    if "total_essms" not in table.column_index:
        return []
    candidates = [c for c in table.amount_columns_unread if _target(c, table) is not None][:MAX_COLUMNS_TRIED]
    rows = [r for r in table.rows if parse_amount(getattr(r.get("total_essms"), "raw", None)).value is not None]
    if not candidates or not rows:
        return []
    best, best_count = (), _reconciled_rows(rows, (), tolerance)
    for size in range(1, len(candidates) + 1):
        for chosen in combinations(candidates, size):
            count = _reconciled_rows(rows, chosen, tolerance)
            if count > best_count:
                best, best_count = chosen, count
    if not best or best_count < RECONCILED_SHARE * len(rows):
        return []
    agree = "chaque ESSMS" if best_count == len(rows) else f"{best_count} ESSMS sur {len(rows)}"
    return [_fold(table, column, _target(column, table) or "", agree) for column in best]


def _fold(table: Table, column: UnmappedColumn, field: str, agree: str) -> Reconciled:
    for row in table.rows + table.total_rows:
        extra = row.others.get(column.index)
        if extra is None:
            continue
        own = row.get(field)
        total = _amount(own) + _amount(extra)
        row.cells[field] = CellValue(total, _joined(own.location if own is not None else None, extra.location))
    if field not in table.columns:  # the forfait had no column of its own: this one is it
        table.columns[field] = CellValue(column.header, column.header_location or Location(table.file))
        table.column_index[field] = column.index
    column.read_as = field
    label = catalogue().meanings[field].label
    table.notes.append(
        f"colonne « {column.header or 'sans en-tête'} » ({column.cells}) lue comme partie du {label} : "
        f"avec elle, le total de {agree} est la somme de ses forfaits"
    )
    return Reconciled(column, field)


def _joined(own: Location | None, extra: Location) -> Location:
    """« E5:F5 » when both cells are on one sheet, else the added cell."""
    if own is None or not (own.cell and extra.cell and own.sheet == extra.sheet and own.file == extra.file):
        return extra
    first, last = sorted((own.cell, extra.cell), key=lambda c: (len(c), c))
    return Location(own.file, own.sheet, f"{first}:{last}")
