"""xls (old Excel) and ods (OpenDocument) → one grid per sheet, values only, each cell located.

python-calamine (Rust) reads both without running anything; rows are read from A1 so that
cell coordinates match what the owner sees.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from core import file_problems as problems
from core.french import number
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, HiddenContent, Location


def read_calamine(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        visible = _visibility(workbook)
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            if not visible.get(name, True):
                # a hidden sheet is not what the owner submits: not read, listed
                values = sum(1 for row in sheet_rows(sheet, limits.max_rows) for v in row if v not in (None, ""))
                doc.hidden.append(HiddenContent(name, "feuille", "feuille", values))
                continue
            rows: list[list[CellValue]] = []
            for r_index, values in enumerate(sheet_rows(sheet, limits.max_rows + 1), start=1):
                if r_index > limits.max_rows:
                    doc.warnings.append(
                        problems.ROWS_TRUNCATED.message(limit=number(limits.max_rows), where=f" (feuille {name})")
                    )
                    break
                row = []
                for column, value in enumerate(values[: limits.max_columns], start=1):
                    if isinstance(value, str) and not value.strip():
                        value = None
                    location = Location(doc.file, sheet=name, cell=f"{get_column_letter(column)}{r_index}")
                    row.append(CellValue(value, location))
                rows.append(row)
            doc.grids.append(Grid(name, rows))
    finally:
        close = getattr(workbook, "close", None)
        if close:
            close()


MAX_CELLS_AT_ONCE = 2_000_000


def _visibility(workbook) -> dict[str, bool]:
    """Sheet name → whether it is visible (calamine's metadata; every sheet when absent).
    Hidden rows and columns of ods and xls are not exposed by calamine: read as visible."""
    try:
        return {meta.name: str(meta.visible).rsplit(".", 1)[-1] == "Visible" for meta in workbook.sheets_metadata}
    except Exception:  # noqa: BLE001 - metadata is a courtesy: read every sheet without it
        return {}


def sheet_rows(sheet, max_rows: int) -> list[list]:
    """The sheet's values from A1 (row 1, column A, empty cells as ""), at most ``max_rows``
    rows. ``iter_rows`` and ``start`` do not agree in python-calamine 0.9 (rows are yielded
    from the top of the sheet, columns from the first used one): reading from A1 leaves no
    offset to get wrong, so that a table placed at B3 is read at B3. A sheet whose used range
    is too large to copy at once is read row by row (its rows from the top, padded on the
    left up to its first used column)."""
    if sheet.end is None:
        return []
    end_row, end_col = sheet.end
    if min(end_row + 1, max_rows) * (end_col + 1) <= MAX_CELLS_AT_ONCE:
        return sheet.to_python(skip_empty_area=False, nrows=max_rows)
    pad = [""] * (sheet.start or (0, 0))[1]
    return (pad + row for row in itertools.islice(sheet.iter_rows(), max_rows))
