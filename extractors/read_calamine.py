"""xls (old Excel) and ods (OpenDocument) → one grid per sheet, values only, each cell located.

python-calamine (Rust) reads both without running anything; ``start`` gives the offset of
the used range so that cell coordinates match what the owner sees.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from esmsnum.models import CellValue, ExtractedDocument, Grid, Location
from extractors.limits import Limits


def read_calamine(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            first_row, first_col = sheet.start or (0, 0)
            rows: list[list[CellValue]] = [[] for _ in range(first_row)]
            for r_offset, values in enumerate(sheet.iter_rows()):
                r_index = first_row + r_offset + 1
                if r_index > limits.max_rows:
                    doc.warnings.append(f"feuille {name} : lecture arrêtée après {limits.max_rows} lignes")
                    break
                row = [CellValue(None, Location(doc.file, sheet=name, cell=f"{get_column_letter(c + 1)}{r_index}"))
                       for c in range(first_col)]
                for c_offset, value in enumerate(values[: limits.max_columns]):
                    column = first_col + c_offset + 1
                    if isinstance(value, str) and not value.strip():
                        value = None
                    row.append(CellValue(value, Location(doc.file, sheet=name, cell=f"{get_column_letter(column)}{r_index}")))
                rows.append(row)
            doc.grids.append(Grid(name, rows))
    finally:
        close = getattr(workbook, "close", None)
        if close:
            close()
