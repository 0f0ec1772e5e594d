"""The evidence of each finding, computed while the dossier's files are still on disk.

``attach_evidence`` sets the ``evidence`` (plain JSON) of the findings of a report:

- ``{"kind": "rows", ...}``: the rows of the table around the cell the finding points to,
  with the table's header row and the cell highlighted (spreadsheets, csv, tables of docx
  and PDF);
- ``{"kind": "image", "png_base64": ..., "page": n, ...}``: the region of the PDF page the
  finding is based on, the words outlined (rendered in a sandbox worker:
  ``extractors.sandbox.render_isolated``), or a thumbnail of the first page of a scan;
- ``{"kind": "text", "lines": [...], "highlight": i}``: the paragraph of a prose document.

Never raises: a finding whose evidence cannot be computed simply has none.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

from core.models import CellValue, ExtractedDocument, Grid, Location
from core.report import DossierReport, FindingEntry

log = logging.getLogger(__name__)

CONTEXT_ROWS = 2  # rows shown above and below the cell
MAX_COLUMNS = 10  # columns shown around the cell
MAX_CELL_CHARS = 80
MAX_IMAGES = 12  # rendered regions per dossier (the most severe findings first)
MAX_TEXT_CHARS = 600
PICTURE_FORMATS = {"jpeg", "jpg", "png", "tiff", "tif", "gif", "bmp", "webp"}

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_QUOTE = re.compile(r"«\s*([^»]{3,200}?)\s*»")

LooseKey = tuple[Any, ...]  # (file, sheet, cell, page): a spreadsheet cell whatever else is known


def attach_evidence(report: DossierReport, data: Any, files: dict[str, Path], limits: Any = None) -> None:
    """Add ``evidence`` to the findings of ``report`` (in place); never raises."""
    try:
        _attach(report, data, files, limits)
    except Exception:  # evidence is a help, never a reason to lose a report
        log.warning("evidence of dossier %s could not be computed", getattr(report, "dossier", "?"), exc_info=True)


def _attach(report: DossierReport, data: Any, files: dict[str, Path], limits: Any) -> None:
    index = _Index(list(getattr(data, "documents", None) or []), data)
    pending: dict[str, list[tuple[FindingEntry, dict[str, Any]]]] = {}
    budget = MAX_IMAGES
    for finding in report.findings:
        try:
            location = finding.location.typed() if finding.location and finding.location.file else None
            doc = index.document(location.file) if location else None
            if doc is None or location is None:
                continue
            hit = index.cell(location)
            evidence = rows_evidence(index, doc, *hit) if hit else text_evidence(doc, location, finding)
            if evidence:
                finding.evidence = evidence
            if doc.format == "pdf" and budget > 0 and doc.file in files:
                request = pdf_request(doc, location, finding, hit)
            elif doc.scanned and doc.format in PICTURE_FORMATS and budget > 0 and doc.file in files:
                request = {"page": 1, "whole_page": True, "image": True}
            else:
                request = None
            if request is not None:
                pending.setdefault(doc.file, []).append((finding, request))
                budget -= 1
        except Exception:  # one finding's evidence failing costs only that one
            log.debug("no evidence for a finding of %s", report.dossier, exc_info=True)
    if pending:
        from extractors.sandbox import render_isolated

        for file, items in pending.items():
            results = render_isolated(str(files[file]), [request for _, request in items], limits)
            for (finding, request), result in zip(items, results):
                if result and result.get("png_base64"):
                    finding.evidence = {
                        "kind": "image",
                        "file": file,
                        "page": result["page"],
                        "png_base64": result["png_base64"],
                        "width": result.get("width"),
                        "height": result.get("height"),
                        "matched": bool(result.get("matched")),
                        "whole_page": bool(request.get("whole_page")),
                        "alt": _alt(file, result, request),
                    }


# --------------------------------------------------------------------------- index


def _loose(location: Location) -> LooseKey:
    return (location.file, location.sheet, location.cell, location.page)


class _Index:
    """Cells of the dossier's grids by location, built per file on first use."""

    def __init__(self, documents: list[ExtractedDocument], data: Any) -> None:
        self.documents = {d.file: d for d in documents}
        self.data = data
        self._cells: dict[str, dict[Location, tuple[Grid, int, int]]] = {}
        self._loose: dict[str, dict[LooseKey, tuple[Grid, int, int]]] = {}

    def document(self, file: str | None) -> ExtractedDocument | None:
        return self.documents.get(file) if file else None

    def _build(self, file: str) -> None:
        if file in self._cells:
            return
        exact: dict[Location, tuple[Grid, int, int]] = {}
        loose: dict[LooseKey, tuple[Grid, int, int]] = {}
        doc = self.documents[file]
        for grid in doc.grids:
            for r, row in enumerate(grid.rows):
                for c, cell in enumerate(row):
                    exact.setdefault(cell.location, (grid, r, c))
                    if cell.location.cell:
                        loose.setdefault(_loose(cell.location), (grid, r, c))
        self._cells[file], self._loose[file] = exact, loose

    def cell(self, location: Location) -> tuple[Grid, int, int] | None:
        if location.file not in self.documents:
            return None
        self._build(location.file)
        found = self._cells[location.file].get(location)
        if found is None and location.cell:
            found = self._loose[location.file].get(_loose(location))
        return found

    def header_of(self, file: str, grid: Grid, r: int) -> tuple[Grid, int] | None:
        """The header row of the table holding row ``r`` of ``grid``: the closest header of a
        recognised table above it in the grid, else the header of a table continued from a
        previous page, else the first non-empty row of the grid above it."""
        self._build(file)
        tables = [
            t
            for ts in (getattr(getattr(self.data, "classified", None), "tables", None) or {}).values()
            for t in ts
            if t.file == file
        ]
        best: int | None = None
        for table in tables:
            found = self._cells[file].get(table.header_location)
            if found and found[0] is grid and found[1] <= r and (best is None or found[1] > best):
                best = found[1]
        if best is not None:
            return grid, best
        first = grid.rows[r][0].location if grid.rows[r] else None
        for table in tables:
            if first is not None and any(row.location == first for row in table.rows + table.total_rows):
                found = self._cells[file].get(table.header_location)
                if found:
                    return found[0], found[1]
        for i, row in enumerate(grid.rows[: r + 1]):
            if any(_show(c.raw) for c in row):
                return grid, i
        return None


# --------------------------------------------------------------------------- rows


def _show(raw: Any) -> str:
    """A cell as a reviewer reads it (French decimal comma, dates as JJ/MM/AAAA)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "VRAI" if raw else "FAUX"
    if isinstance(raw, float):
        if raw.is_integer():
            return str(int(raw))
        return f"{raw:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(raw, dt.datetime):
        return raw.strftime("%d/%m/%Y") if raw.time() == dt.time() else raw.strftime("%d/%m/%Y %H:%M")
    if isinstance(raw, dt.date):
        return raw.strftime("%d/%m/%Y")
    text = " ".join(str(raw).split())
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


_AMOUNT_HEADER = re.compile(
    r"montant|forfait|co[uû]t|total|budget|€|euro|bonus|[ée]quipement|amoa|moa|[ée]diteur|d[ée]pense|prix|financement|aide",
    re.IGNORECASE,
)
_FINESS_HEADER = re.compile(r"finess", re.IGNORECASE)


def column_kinds(header: list[CellValue] | None) -> list[str]:
    """What each column of a table holds, read from its header: ``finess`` (identifiers kept as
    9 characters), ``amount`` (euros) or ``""``."""
    kinds = []
    for cell in header or []:
        text = _show(cell.raw)
        kinds.append("finess" if _FINESS_HEADER.search(text) else "amount" if _AMOUNT_HEADER.search(text) else "")
    return kinds


def _grouped(number: float) -> str:
    """``166 200``, ``1 234,5`` (narrow no-break spaces, decimal comma)."""
    if float(number).is_integer():
        return f"{int(number):,}".replace(",", "\u202f")
    whole, _, decimals = f"{number:,.2f}".partition(".")
    return f"{whole.replace(',', chr(0x202F))},{decimals}".rstrip("0").rstrip(",")


def show_cell(raw: Any, kind: str) -> str:
    """A cell as the finding's text speaks of it: an amount as ``7 000 €``, a FINESS typed as a
    number with its leading zero back (``070101902``); anything else as ``_show``."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        if kind == "finess" and isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) == 8:
            return raw.strip().zfill(9)
        return _show(raw)
    if kind == "finess" and float(raw).is_integer() and 0 < raw < 10**9:
        return str(int(raw)).zfill(9)
    if kind == "amount":
        return f"{_grouped(raw)}\u00a0€"
    return _show(raw)


def _row_label(row: list[CellValue], c: int) -> str:
    """The row's number as the reviewer finds it: the spreadsheet row, or the table row."""
    for cell in ([row[c]] if c < len(row) else []) + row:
        loc = cell.location
        if loc.cell:
            m = _CELL_REF.match(loc.cell)
            if m:
                return m.group(2)
        if loc.row:
            return str(loc.row)
    return ""


def _column_label(rows: list[list[CellValue]], c: int) -> str:
    for row in rows:
        if c < len(row):
            loc = row[c].location
            if loc.cell:
                m = _CELL_REF.match(loc.cell)
                if m:
                    return m.group(1)
            if loc.column is not None:
                return str(loc.column)
    return str(c + 1)


def rows_evidence(index: _Index, doc: ExtractedDocument, grid: Grid, r: int, c: int) -> dict[str, Any] | None:
    """A few rows around ``grid.rows[r][c]`` with the table's header row."""
    header_at = index.header_of(doc.file, grid, r)
    header_row: list[CellValue] = []
    is_header = False
    start = max(0, r - CONTEXT_ROWS)
    if header_at is not None:
        h_grid, h = header_at
        header_row = h_grid.rows[h]
        if h_grid is grid:
            if h == r:
                is_header = True
                start = r + 1
            else:
                start = max(start, h + 1)
    stop = min(len(grid.rows), (r + 1 if not is_header else start) + CONTEXT_ROWS)
    body = list(range(start, stop))
    shown_rows = [grid.rows[i] for i in body]
    every = ([header_row] if header_row else []) + shown_rows
    width = max((len(row) for row in every), default=0)
    used = [i for i in range(width) if any(i < len(row) and _show(row[i].raw) for row in every)] or [c]
    last = max(max(used), c)
    first = min(min(used), c)
    lo = max(first, min(c - MAX_COLUMNS // 2, last - MAX_COLUMNS + 1))
    hi = min(last, lo + MAX_COLUMNS - 1)
    columns = list(range(lo, hi + 1))

    kinds = column_kinds(header_row)

    def cells(row: list[CellValue]) -> list[str]:
        return [show_cell(row[i].raw, kinds[i] if i < len(kinds) else "") if i < len(row) else "" for i in columns]

    evidence: dict[str, Any] = {
        "kind": "rows",
        "file": doc.file,
        "sheet": grid.name,
        "columns": [_column_label(every, i) for i in columns],
        "header": [_show(header_row[i].raw) if i < len(header_row) else "" for i in columns] if header_row else None,
        "header_label": _row_label(header_row, c) if header_row else None,
        "rows": [cells(row) for row in shown_rows],
        "row_labels": [_row_label(row, c) for row in shown_rows],
        "highlight": None if is_header else [body.index(r), columns.index(c)] if r in body else None,
        "highlight_header": columns.index(c) if is_header else None,
        "more_left": lo > first,
        "more_right": hi < last,
    }
    return evidence


# --------------------------------------------------------------------------- text and PDF


def _candidates(finding: FindingEntry) -> list[str]:
    """Texts the finding is about: its ``found`` value, then the passages it quotes."""
    out: list[str] = []
    found = finding.found
    if found:
        out.append(str(found))
    out += _QUOTE.findall(str(finding.message or ""))
    return [t.strip() for t in out if t and len(t.strip()) >= 3]


def _norm(text: str) -> str:
    return " ".join(text.replace("…", " ").lower().split())


def text_evidence(doc: ExtractedDocument, location: Location, finding: FindingEntry) -> dict[str, Any] | None:
    """The paragraph the finding points to (docx, odt: its ``paragraph``; PDF: the line of
    the page that holds a quoted passage), with its neighbours."""
    blocks = doc.text
    position = next((i for i, b in enumerate(blocks) if b.location == location), None)
    if position is None or location.page:
        needles = [_norm(t)[:60] for t in _candidates(finding)]
        page_blocks = [i for i, b in enumerate(blocks) if b.location == location] if location.page else []
        for needle in needles:
            match = next((i for i in page_blocks if needle and needle in _norm(blocks[i].text)), None)
            if match is not None:
                position = match
                break
        else:
            if not location.page or position is None:
                return None
    lo, hi = max(0, position - 1), min(len(blocks), position + 2)
    if location.page:
        lo = max(
            lo,
            next(
                i
                for i in range(position, -1, -1)
                if i == 0 or blocks[i - 1].location.page != blocks[position].location.page
            ),
        )
    lines = []
    for block in blocks[lo:hi]:
        text = " ".join(block.text.split())
        lines.append(text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…")
    return {
        "kind": "text",
        "file": doc.file,
        "lines": lines,
        "highlight": position - lo,
        "where": blocks[position].location.describe(),
    }


def pdf_request(
    doc: ExtractedDocument, location: Location, finding: FindingEntry, hit: tuple[Grid, int, int] | None
) -> dict[str, Any] | None:
    """What to render for a finding on a PDF: the words of its cell or quoted passage on its
    page; the first page of a scanned PDF; nothing otherwise."""
    page = location.page
    if page:
        needles: list[str] = []
        row_key = None
        if hit is not None:
            grid, r, c = hit
            row = grid.rows[r]
            text = _show(row[c].raw)
            if text:
                needles.append(text)
            others = [_show(cell.raw) for i, cell in enumerate(row) if i != c and _show(cell.raw)]
            if others:
                row_key = max(others, key=lambda t: (bool(re.fullmatch(r"[0-9AB]{9}", t)), len(t)))
        needles += _candidates(finding)
        cell = None
        if hit is not None and location.table and location.row and location.column:  # a cell of a table body
            cell = [location.table, location.row, location.column]
        return {"page": int(page), "needles": needles[:6], "row_key": row_key, "cell": cell}
    if doc.scanned:
        return {"page": 1, "whole_page": True}
    return None


def _alt(file: str, result: dict[str, Any], request: dict[str, Any]) -> str:
    if request.get("image"):
        return f"Aperçu de {file} (image scannée)"
    if request.get("whole_page"):
        return f"Aperçu de la page {result['page']} de {file} (document scanné)"
    if result.get("matched"):
        return f"Extrait de la page {result['page']} de {file}, passage du constat encadré en rouge"
    return f"Haut de la page {result['page']} de {file} (passage exact non localisé)"
