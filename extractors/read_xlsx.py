"""xlsx/xlsm → one grid per sheet, cached values (never formulas), each cell located."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from core import file_problems as problems
from core.french import number
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, HiddenContent, Location
from extractors.fast_xlsx import read_values
from extractors.gantt import has_timeline
from extractors.xlsx_extras import (
    cell_fills,
    describe_columns,
    describe_rows,
    filled_styles,
    hidden_rows_and_columns,
    sheet_states,
)

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
MAX_MERGED_CELLS = 100_000


def merged_ranges(path: Path, worksheet_path: str, data: bytes | None = None) -> list[tuple[str, str]]:
    """Merged ranges of a sheet, read from its XML (read-only openpyxl does not expose them):
    the part ``worksheet_path`` of the file, or ``data`` when the XML is already read.

    ``mergeCells`` comes after the sheet data, so the tail of the part is scanned in chunks.
    """
    if data is not None:
        return _scan_merges(io.BytesIO(data))
    with zipfile.ZipFile(path) as zf:
        try:
            member = zf.open(worksheet_path.lstrip("/"))
        except KeyError:
            return []
        with member:
            return _scan_merges(member)


def _scan_merges(member) -> list[tuple[str, str]]:
    ranges: list[tuple[str, str]] = []
    tail = b""
    while chunk := member.read(1 << 20):
        data = tail + chunk
        ranges += [(a.decode(), b.decode()) for a, b in _MERGE.findall(data)]
        tail = data[-200:]
        if len(ranges) > MAX_MERGED_CELLS:
            break
    return list(dict.fromkeys(ranges))


def _fill_merged(rows: list[list[CellValue]], ranges: list[tuple[str, str]]) -> None:
    """Copy a merged range's value (and its top-left location) into every cell of the range,
    as a reader sees it on screen."""
    for first, last in ranges:
        (r1, c1), (r2, c2) = coordinate_to_tuple(first), coordinate_to_tuple(last)
        if r1 > len(rows) or (r2 - r1 + 1) * (c2 - c1 + 1) > 10_000:
            continue
        top_left = rows[r1 - 1][c1 - 1] if c1 <= len(rows[r1 - 1]) else None
        if top_left is None or top_left.raw is None:
            continue
        for r in range(r1, min(r2, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(c1, c2 + 1):
                if c <= len(row) and (r, c) != (r1, c1) and row[c - 1].raw is None:
                    row[c - 1] = CellValue(top_left.raw, top_left.location)


def read_xlsx(path: Path, doc: ExtractedDocument, limits: Limits, *, fast: bool = True) -> None:
    """With ``fast`` (the default) values come from python-calamine (``fast_xlsx``), the
    same as openpyxl's to the type; a workbook it cannot vouch for is read by openpyxl.
    ``fast=False`` is the former path, openpyxl only (kept for comparison)."""
    if fast:
        try:
            sheets = read_values(path, limits.max_rows, limits.max_columns)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - Unsupported, or a damaged file: openpyxl decides, as before
            sheets = None
        if sheets is not None:
            states = sheet_states(path)
            for title, worksheet_path, rows, data in sheets:
                if states.get(title, "visible") != "visible":
                    _hidden_sheet(doc, title, rows)
                    continue
                doc.grids.append(_grid(path, doc, title, worksheet_path, rows, limits, data))
            return
    # read_only streams the sheet XML; data_only returns the values Excel cached for
    # formulas. Macros (xlsm) are never run: openpyxl does not execute VBA.
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for ws in wb.worksheets:
            worksheet_path = getattr(ws, "_worksheet_path", None)
            if getattr(ws, "sheet_state", "visible") != "visible":
                _hidden_sheet(doc, ws.title, ws.iter_rows(values_only=True, max_row=limits.max_rows))
                continue
            doc.grids.append(_grid(path, doc, ws.title, worksheet_path, ws.iter_rows(values_only=True), limits))
    finally:
        wb.close()


def _hidden_sheet(doc: ExtractedDocument, title: str, rows) -> None:
    """A hidden sheet is not what the owner submits: not read, listed with what it holds."""
    values = sum(1 for row in rows for v in row if v is not None and not (isinstance(v, str) and not v.strip()))
    doc.hidden.append(HiddenContent(title, "feuille", "feuille", values))


def _grid(
    path: Path,
    doc: ExtractedDocument,
    title: str,
    worksheet_path: str | None,
    values_rows,
    limits: Limits,
    data: bytes | None = None,
) -> Grid:
    rows: list[list[CellValue]] = []
    for r_index, values in enumerate(values_rows, start=1):
        if r_index > limits.max_rows:
            doc.warnings.append(
                problems.ROWS_TRUNCATED.message(limit=number(limits.max_rows), where=f" (feuille {title})")
            )
            break
        row = [
            CellValue(v, Location(doc.file, sheet=title, cell=f"{get_column_letter(c)}{r_index}"))
            for c, v in enumerate(values[: limits.max_columns], start=1)
        ]
        rows.append(row)
    while rows and all(c.raw is None for c in rows[-1]):
        rows.pop()
    if worksheet_path and rows:
        _fill_merged(rows, merged_ranges(path, worksheet_path, data))
        if data is None:
            data = _sheet_xml(path, worksheet_path)
        if data:
            rows = _visible(doc, title, rows, data)
            if has_timeline(rows):
                rows = _with_fills(path, rows, data)
    return Grid(title, rows)


def _sheet_xml(path: Path, worksheet_path: str) -> bytes | None:
    """The sheet's XML when the fast path did not read it (openpyxl streamed the sheet)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(worksheet_path.lstrip("/"))
            if info.file_size > 64 * 1024 * 1024:
                return None
            return zf.read(info)
    except (KeyError, zipfile.BadZipFile, OSError):
        return None


def _visible(doc: ExtractedDocument, title: str, rows: list[list[CellValue]], data: bytes) -> list[list[CellValue]]:
    """The rows and columns the owner sees: hidden ones are left out (their cells keep their
    coordinates, so what is read is located as before) and listed with what they hold."""
    hidden_rows, hidden_columns = hidden_rows_and_columns(data)
    if not hidden_rows and not hidden_columns:
        return rows
    row_values = sum(1 for r in hidden_rows if r <= len(rows) for c in rows[r - 1] if c.raw is not None)
    column_values = sum(1 for row in rows for c in hidden_columns if c <= len(row) and row[c - 1].raw is not None)
    if hidden_rows and row_values:
        doc.hidden.append(
            HiddenContent(title, "lignes", describe_rows(sorted(r for r in hidden_rows if r <= len(rows))), row_values)
        )
    if hidden_columns and column_values:
        width = max((len(r) for r in rows), default=0)
        doc.hidden.append(
            HiddenContent(
                title, "colonnes", describe_columns(sorted(c for c in hidden_columns if c <= width)), column_values
            )
        )
    kept = [row for number, row in enumerate(rows, start=1) if number not in hidden_rows]
    if hidden_columns:
        kept = [[cell for number, cell in enumerate(row, start=1) if number not in hidden_columns] for row in kept]
    return kept


def _with_fills(path: Path, rows: list[list[CellValue]], data: bytes) -> list[list[CellValue]]:
    """The cells' fill colours, read only for a sheet that holds a timeline (a Gantt chart
    whose bars are coloured cells)."""
    fills = cell_fills(data, filled_styles(path))
    if not fills:
        return rows
    return [
        [
            CellValue(c.raw, c.location, fill=fills.get(c.location.cell or "")) if c.location.cell in fills else c
            for c in row
        ]
        for row in rows
    ]
