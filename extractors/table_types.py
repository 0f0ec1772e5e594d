"""A table as read: its kind, rows and total rows, and how it was read (the column mapping
with each header's score, units, the columns left unread and why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.models import CellValue, Location
from extractors.units import Unit
from extractors.vocabulary import catalogue


@dataclass
class Row:
    cells: dict[str, CellValue]
    location: Location  # first cell of the row
    is_total: bool = False
    label: str = ""  # first text of the row (for totals)
    position: int = 0  # order in the grid (subtotals sum the rows since the previous one)
    # Cells of the columns no field was found for, by column index in the grid (the same
    # index as ``UnmappedColumn.index``); blanks left out.
    others: dict[int, CellValue] = field(default_factory=dict)

    def get(self, field_name: str) -> CellValue | None:
        return self.cells.get(field_name)


@dataclass
class UnmappedColumn:
    """A column of the table that no field was found for: never dropped silently.

    ``holds_amounts`` when most of its cells are amounts (a budget column not understood:
    the rules raise « colonne non reconnue » and may reconcile a total with it); its cells
    are in ``Row.others[index]`` of the table's rows and total rows, converted to euros by
    ``unit`` when the header or the line above the table states one."""

    index: int  # column index in the grid rows
    header: str  # as written, "" when the header cell is blank
    header_location: Location | None
    first: Location | None  # first and last non-blank body cells
    last: Location | None
    values: int  # non-blank body cells (total rows included)
    holds_amounts: bool
    reason: str  # French: why it was not read as a field
    guess: str | None = None  # the field it came closest to
    guess_score: float = 0.0
    unit: Unit | None = None
    read_as: str | None = None  # the field its amounts were added to, when they reconcile the row totals

    @property
    def cells(self) -> str:
        """French: « E5:E19 », or the first and last cells of a PDF or docx column."""
        return span(self.first, self.last)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.index + 1,
            "header": self.header,
            "header_location": self.header_location.to_dict() if self.header_location else None,
            "cells": self.cells,
            "values": self.values,
            "holds_amounts": self.holds_amounts,
            "reason": self.reason,
            "closest_field": self.guess,
            "closest_label": catalogue().meanings[self.guess].label if self.guess else None,
            "closest_score": round(self.guess_score, 2),
            "unit": self.unit.to_dict() if self.unit else None,
            "read_as": self.read_as,
            "read_as_label": catalogue().meanings[self.read_as].label if self.read_as else None,
        }


@dataclass
class ColumnReading:
    """How one header was read as a field."""

    field: str
    header: str  # the header text as written (two-row headers joined)
    score: float  # 0–1, text score weighed by the cells
    how: str  # "libellé" (a usual wording), "libellé approché", "mots", "calendrier" (Gantt)
    index: int | None = None
    unit: Unit | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "header": self.header,
            "score": round(self.score, 2),
            "how": self.how,
            "column": None if self.index is None else self.index + 1,
            "unit": self.unit.to_dict() if self.unit else None,
        }


@dataclass
class Table:
    kind: str
    file: str
    grid_name: str | None
    header_location: Location
    columns: dict[str, CellValue]  # field → header cell
    column_index: dict[str, int] = field(default_factory=dict)  # field → column in the grid
    rows: list[Row] = field(default_factory=list)
    total_rows: list[Row] = field(default_factory=list)
    score: float = 0.0
    header_rows: int = 1
    # How it was read (report.json ``readings``)
    readings: dict[str, ColumnReading] = field(default_factory=dict)  # field → how its header was read
    unmapped: list[UnmappedColumn] = field(default_factory=list)
    unit: Unit | None = None  # stated for the whole table (a line above it, the sheet name)
    source: str = "en-têtes"  # "en-têtes" (a header row), "calendrier" (a Gantt chart)
    # "lignes": one entry per row under a header row; "colonnes": the table turned, the
    # headers down its first column and one entry per column
    orientation: str = "lignes"
    notes: list[str] = field(default_factory=list)  # French: what was read differently, or left unread
    left_out: list[Location] = field(default_factory=list)  # rows whose only values are outside the read columns
    continued_in: list[str] = field(default_factory=list)  # grids read as its continuation (a PDF's next pages)
    # (header cells, header texts, header match, header row) while the table is being read; None after
    context: Any = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        return self.header_location.describe()

    def unit_of(self, field_name: str) -> Unit | None:
        """The unit the amounts of this field were written in (None: euros, basis unsaid)."""
        reading = self.readings.get(field_name)
        return reading.unit if reading is not None else None

    @property
    def amount_columns_unread(self) -> list[UnmappedColumn]:
        return [c for c in self.unmapped if c.holds_amounts and c.read_as is None]

    @property
    def last_location(self) -> Location | None:
        body = self.rows + self.total_rows
        return max(body, key=lambda r: r.position).location if body else None


def span(first: Location | None, last: Location | None) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return first.describe()
    if first.cell and last.cell and first.sheet == last.sheet:
        return f"{first.cell}:{last.cell}"
    return f"{first.describe()} à {last.detail or last.describe()}"
