"""docx → paragraphs (with heading levels) and tables, in document order."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location, TextBlock

_HEADING = re.compile(r"^(heading|titre|title)\s*(\d*)$", re.IGNORECASE)
PREAMBLE_PARAGRAPHS = 2  # paragraphs above a table kept as what it says of itself (its unit)
_SHD = qn("w:shd")
_FILL = qn("w:fill")


def _shading(cell) -> str | None:
    """The cell's background colour (``w:shd w:fill``), None when none or white: the bars
    of a Gantt chart drawn in a Word table."""
    properties = cell._tc.tcPr  # python-docx exposes no shading API
    shd = properties.find(_SHD) if properties is not None else None
    colour = shd.get(_FILL) if shd is not None else None
    if not colour or colour.lower() in ("auto", "ffffff"):
        return None
    return colour.upper()


def _style_names(document) -> dict[str, str]:
    """Style id → style name, read once (``paragraph.style`` resolves it on every call)."""
    return {style.style_id: style.name or "" for style in document.styles}


def _heading_level(paragraph: Paragraph, names: dict[str, str]) -> int | None:
    style_id = paragraph._p.style  # the raw pStyle value, no lookup
    name = names.get(style_id, style_id or "")
    m = _HEADING.match(name.strip())
    if not m:
        return None
    return int(m.group(2) or 1) if name.lower() != "title" else 0


def read_docx(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    document = docx.Document(str(path))
    names = _style_names(document)
    paragraph_no = table_no = 0
    above: list[CellValue] = []  # the paragraphs since the last table (a table's preamble)
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            paragraph_no += 1
            doc.text.append(TextBlock(text, Location(doc.file, paragraph=paragraph_no), _heading_level(item, names)))
            above = [*above[-(PREAMBLE_PARAGRAPHS - 1) :], CellValue(text, Location(doc.file, paragraph=paragraph_no))]
        elif isinstance(item, DocxTable):
            table_no += 1
            rows: list[list[CellValue]] = []
            for r_index, row in enumerate(item.rows, start=1):
                if r_index > limits.max_rows:
                    break
                rows.append(
                    [
                        CellValue(
                            cell.text.strip() or None,
                            Location(doc.file, table=table_no, row=r_index, column=c_index),
                            fill=_shading(cell),
                        )
                        for c_index, cell in enumerate(row.cells[: limits.max_columns], start=1)
                    ]
                )
            doc.grids.append(Grid(f"tableau {table_no}", rows, preamble=above))
            above = []
