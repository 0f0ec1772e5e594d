"""odt (OpenDocument text) → paragraphs with heading levels, and tables, in document order."""

from __future__ import annotations

from pathlib import Path

from odf import teletype
from odf.namespaces import TABLENS, TEXTNS
from odf.opendocument import load

from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location, TextBlock


def read_odt(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    document = load(str(path))
    counters = {"paragraph": 0, "table": 0}

    def walk(node) -> None:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                text = teletype.extractText(child).strip()
                if text:
                    counters["paragraph"] += 1
                    level = None
                    if qname == (TEXTNS, "h"):
                        level = int(child.getAttribute("outlinelevel") or 1)
                    doc.text.append(TextBlock(text, Location(doc.file, paragraph=counters["paragraph"]), level))
            elif qname == (TABLENS, "table"):
                counters["table"] += 1
                doc.grids.append(_table(child, doc.file, counters["table"], limits))
            elif getattr(child, "childNodes", None):
                walk(child)

    walk(document.text)


def _table(node, file: str, number: int, limits: Limits) -> Grid:
    rows: list[list[CellValue]] = []
    for r_index, row in enumerate(node.getElementsByType(_row_type()), start=1):
        if r_index > limits.max_rows:
            break
        cells: list[CellValue] = []
        for cell in row.childNodes:
            if len(cells) >= limits.max_columns:
                break
            text = teletype.extractText(cell).strip()
            # a cell repeated (``number-columns-repeated``) stands for that many columns:
            # the columns after it keep their place (a Gantt chart's marks)
            repeat = _repeated(cell)
            for _ in range(min(repeat, limits.max_columns - len(cells)) if text or repeat < 50 else 1):
                c_index = len(cells) + 1
                cells.append(CellValue(text or None, Location(file, table=number, row=r_index, column=c_index)))
        rows.append(cells)
    return Grid(f"tableau {number}", rows)


def _repeated(cell) -> int:
    try:
        return max(1, int(cell.getAttribute("numbercolumnsrepeated") or 1))
    except (ValueError, TypeError, AttributeError):
        return 1


def _row_type():
    from odf.table import TableRow

    return TableRow
