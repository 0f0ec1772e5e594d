"""xlsx/xlsm → one grid per sheet, cached values (never formulas), each cell located."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from esmsnum.models import CellValue, ExtractedDocument, Grid, Location
from extractors.limits import Limits


def read_xlsx(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    # read_only streams the sheet XML; data_only returns the values Excel cached for
    # formulas. Macros (xlsm) are never run: openpyxl does not execute VBA.
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for ws in wb.worksheets:
            rows: list[list[CellValue]] = []
            for r_index, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if r_index > limits.max_rows:
                    doc.warnings.append(
                        f"feuille {ws.title} : lecture arrêtée après {limits.max_rows} lignes"
                    )
                    break
                row = [
                    CellValue(v, Location(doc.file, sheet=ws.title, cell=f"{get_column_letter(c)}{r_index}"))
                    for c, v in enumerate(values[: limits.max_columns], start=1)
                ]
                rows.append(row)
            while rows and all(c.raw is None for c in rows[-1]):
                rows.pop()
            doc.grids.append(Grid(ws.title, rows))
    finally:
        wb.close()
