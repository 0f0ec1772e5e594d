"""Plannings drawn as Gantt charts: one row per phase, one column per month, quarter or week,
the active cells marked by a value or a fill colour.

The timeline is a header row whose cells are periods: real dates (``2023-01-01``), or text
(``janv. 2023``, ``01/2023``, ``T3 2023``, ``Q1 2024``, ``S12``, ``2023-S12``, ``Sem. 12``),
a period without its year taking it from a row above (``2023`` merged over the months) or
from the title. Each phase row becomes a row of a ``planning`` table with ``phase``,
``date_debut`` (start of its first marked period, located at that cell) and ``date_fin``
(end of its last marked period), so that the planning rules read it like any planning.
A row with a label and no mark, or marks without a label, is left unread and said so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.models import CellValue, Grid
from extractors.matcher import text_matches
from extractors.periods import (
    MIN_PERIODS,
    Period,
    Token,
    read_periods,
    token,
    year_hint,
)
from extractors.table_types import ColumnReading, Row, Table
from extractors.values import fold, is_blank

SCAN_ROWS = 120  # a timeline header is searched in the first rows of a grid
BLANK_ROWS_END = 3
_UNMARKED = frozenset({"0", "-", "--", "non", "no", "n", "—", "–", "."})


@dataclass
class Timeline:
    row: int  # index of the header row in the grid
    columns: dict[int, Period]  # column → period
    grain: str  # "mois", "trimestre", "semaine", "semestre", "jour"

    @property
    def first(self) -> int:
        return min(self.columns)

    @property
    def last(self) -> int:
        return max(self.columns)


def _row_tokens(row: list[CellValue]) -> dict[int, Token]:
    return {c: t for c, cell in enumerate(row) if (t := token(cell.raw)) is not None}


def _years_above(rows: list[list[CellValue]], r: int, columns: list[int]) -> dict[int, int | None]:
    """Year of each column from the rows above (a year merged over its months: the text is
    in its first column, or repeated by the reader), nearest row first."""
    years: dict[int, int | None] = dict.fromkeys(columns)
    for above in rows[max(0, r - 3) : r][::-1]:
        carried: int | None = None
        for c in range(min(columns), max(columns) + 1) if columns else ():
            hint = year_hint(above[c].raw) if c < len(above) else None
            if hint is not None:
                carried = hint
            if c in years and years[c] is None and carried is not None:
                years[c] = carried
    return years


def _title_year(rows: list[list[CellValue]], r: int) -> int | None:
    for row in rows[:r]:
        for cell in row:
            hint = year_hint(cell.raw) if isinstance(cell.raw, str) else None
            if hint is not None:
                return hint
    return None


def find_timeline(rows: list[list[CellValue]], start: int = 0) -> Timeline | None:
    """The first timeline header of the grid at or after row ``start`` (the finest row when
    several header rows are periods: years, then quarters, then months)."""
    for r in range(start, min(len(rows), SCAN_ROWS)):
        tokens = _row_tokens(rows[r])
        if len(tokens) < MIN_PERIODS:
            continue
        years = _years_above(rows, r, sorted(tokens))
        if all(y is None for y in years.values()):
            title = _title_year(rows, r)
            years = dict.fromkeys(years, title)
        read = read_periods(tokens, years)
        if read is None:
            continue
        read = (_fill_merged(rows[r], read[0]), read[1])
        # a finer header row right under (weeks under months)
        if r + 1 < len(rows):
            finer = _row_tokens(rows[r + 1])
            if len(finer) >= MIN_PERIODS:
                lower = read_periods(finer, {c: _nearest_year(read[0], c) for c in finer})
                if lower is not None and len(lower[0]) > len(read[0]):
                    return Timeline(r + 1, lower[0], lower[1])
        return Timeline(r, read[0], read[1])
    return None


def _fill_merged(header: list[CellValue], columns: dict[int, Period]) -> dict[int, Period]:
    """Blank header cells inside the timeline belong to the period on their left (a period
    merged over several columns, its text in the first one)."""
    out = dict(columns)
    current = None
    for c in range(min(columns), max(columns) + 1):
        if c in columns:
            current = columns[c]
        elif current is not None and c < len(header) and is_blank(header[c].raw):
            out[c] = current
    return out


def _nearest_year(columns: dict[int, Period], c: int) -> int | None:
    left = [k for k in columns if k <= c]
    return columns[max(left)].start.year if left else None


# ----------------------------------------------------------------------------- marks


def _mark_value(raw: Any) -> bool | None:
    """True for a mark (x, ■, 1, a word), False for an explicit no-mark, None for a blank;
    an amount (a number other than 0 and 1) is not a mark."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        return True if raw == 1 else False if raw == 0 else None
    text = str(raw).strip()
    return fold(text) not in _UNMARKED and text not in _UNMARKED


def _numbers_share(rows: list[list[CellValue]], columns: list[int]) -> float:
    values = [row[c].raw for row in rows for c in columns if c < len(row) and not is_blank(row[c].raw)]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v not in (0, 1)]
    return len(numbers) / len(values) if values else 0.0


def _background(rows: list[list[CellValue]], columns: list[int]) -> set[str]:
    """Fill colours that are the sheet's background, not marks: one that fills nearly every
    timeline cell."""
    cells = [row[c] for row in rows for c in columns if c < len(row)]
    counts = Counter(cell.fill for cell in cells if cell.fill)
    return {colour for colour, n in counts.items() if cells and n >= 0.9 * len(cells)}


def _marked(row: list[CellValue], columns: list[int], label_col: int, background: set[str]) -> list[int]:
    fills = {c: row[c].fill for c in columns if c < len(row)}
    label_fill = row[label_col].fill if label_col < len(row) else None
    banded = label_fill is not None and len(fills) == len(columns) and set(fills.values()) == {label_fill}
    out = []
    for c in columns:
        if c >= len(row):
            continue
        value = _mark_value(row[c].raw)
        coloured = value is None and row[c].fill and row[c].fill not in background and not banded
        if value or coloured:
            out.append(c)
    return out


# ----------------------------------------------------------------------------- table


def _body(rows: list[list[CellValue]], start: int) -> list[tuple[int, list[CellValue]]]:
    out, blanks = [], 0
    for r in range(start, len(rows)):
        row = rows[r]
        if all(is_blank(c.raw) and not c.fill for c in row):
            blanks += 1
            if blanks >= BLANK_ROWS_END:
                break
            continue
        blanks = 0
        if len(_row_tokens(row)) >= MIN_PERIODS:
            break  # the next timeline
        out.append((r, row))
    return out


def _label_column(header: list[CellValue], body: list[tuple[int, list[CellValue]]], first: int) -> int | None:
    """The phase column: the one left of the timeline whose header names the phase, else
    the one with the most text."""
    for c in range(min(first, len(header))):
        if any(m.kind == "planning" and m.field == "phase" for m in text_matches(fold(header[c].text))):
            return c
    counts = Counter(
        c
        for _, row in body
        for c in range(min(first, len(row)))
        if isinstance(row[c].raw, str) and row[c].raw.strip() and token(row[c].raw) is None
    )
    return counts.most_common(1)[0][0] if counts else None


def _side_fields(header: list[CellValue], first: int, label: int) -> dict[str, tuple[int, float, str]]:
    """Other planning columns left of the timeline (responsable, livrable, ESSMS concernés)."""
    out: dict[str, tuple[int, float, str]] = {}
    for c in range(min(first, len(header))):
        if c == label:
            continue
        for m in text_matches(fold(header[c].text)):
            wanted = m.kind == "planning" and m.field not in ("phase", "date_debut", "date_fin") and m.score >= 0.6
            if wanted and (m.field not in out or m.score > out[m.field][1]):
                out[m.field] = (c, m.score, m.how)
    return out


def _label_cell(row: list[CellValue], label_col: int, first: int) -> CellValue | None:
    """The phase's label: in the phase column, else the nearest text left of the timeline
    (a group heading written one column to the left of its sub-phases)."""
    if label_col < len(row) and isinstance(row[label_col].raw, str) and row[label_col].raw.strip():
        return row[label_col]
    for c in range(min(first, len(row)) - 1, -1, -1):
        if isinstance(row[c].raw, str) and row[c].raw.strip() and token(row[c].raw) is None:
            return row[c]
    return None


def find_gantts(grid: Grid, file: str) -> list[Table]:
    """Every Gantt chart of the grid, as ``planning`` tables."""
    tables: list[Table] = []
    start = 0
    rows = grid.rows
    while start < min(len(rows), SCAN_ROWS):
        timeline = find_timeline(rows, start)
        if timeline is None:
            break
        table = _read(grid, file, timeline)
        start = timeline.row + 1
        if table is not None:
            tables.append(table)
            start = max(start, max((r.position for r in table.rows), default=timeline.row) + 1)
    return tables


def _read(grid: Grid, file: str, timeline: Timeline) -> Table | None:
    rows = grid.rows
    header = rows[timeline.row]
    body = _body(rows, timeline.row + 1)
    columns = sorted(timeline.columns)
    if not body or _numbers_share([row for _, row in body], columns) > 0.5:
        return None  # amounts by month: a budget, not a planning
    label_col = _label_column(header, body, timeline.first)
    if label_col is None:
        return None
    background = _background([row for _, row in body], columns)
    side = _side_fields(header, timeline.first, label_col)
    first_period, last_period = timeline.columns[timeline.first], timeline.columns[timeline.last]
    phase_header = (
        header[label_col] if label_col < len(header) and not is_blank(header[label_col].raw) else body[0][1][label_col]
    )
    table = Table(
        kind="planning",
        file=file,
        grid_name=grid.name,
        header_location=header[min(label_col, len(header) - 1)].location,
        columns={
            "phase": phase_header,
            "date_debut": header[timeline.first],
            "date_fin": header[timeline.last],
            **{f: header[c] for f, (c, _, _) in side.items()},
        },
        column_index={"phase": label_col, **{f: c for f, (c, _, _) in side.items()}},
        score=0.9,
        source="calendrier",
    )
    span = f"« {first_period.label} » à « {last_period.label} »"
    table.readings = {
        "phase": ColumnReading(
            "phase", header[label_col].text if label_col < len(header) else "", 0.9, "calendrier", label_col
        ),
        "date_debut": ColumnReading("date_debut", f"calendrier de {span}", 0.9, "calendrier", timeline.first),
        "date_fin": ColumnReading("date_fin", f"calendrier de {span}", 0.9, "calendrier", timeline.last),
        **{f: ColumnReading(f, header[c].text, s, how, c) for f, (c, s, how) in side.items()},
    }
    for r, row in body:
        label_cell = _label_cell(row, label_col, timeline.first)
        label = label_cell.text if label_cell is not None else ""
        marks = _marked(row, columns, label_col, background)
        if not label and not marks:
            continue
        if not marks:
            table.notes.append(
                f"« {label} » ({label_cell.location.describe()}) : aucune période marquée, ligne non lue"
            )
            table.left_out.append(label_cell.location)
            continue
        if not label:
            table.notes.append(f"ligne {r + 1} : périodes marquées sans intitulé de phase, ligne non lue")
            table.left_out.append(row[marks[0]].location)
            continue
        start, end = timeline.columns[marks[0]], timeline.columns[marks[-1]]
        gaps = [c for c in columns if marks[0] < c < marks[-1] and c not in marks]
        if gaps:
            table.notes.append(
                f"« {label} » : périodes marquées discontinues, lue de « {start.label} » à « {end.label} »"
            )
        cells = {
            "phase": label_cell,
            "date_debut": CellValue(start.start, row[marks[0]].location),
            "date_fin": CellValue(end.end, row[marks[-1]].location),
        }
        for f, (c, _, _) in side.items():
            if c < len(row):
                cells[f] = row[c]
        table.rows.append(Row(cells, row[0].location, False, label, r))
    if not table.rows:
        return None
    marks_kind = "une valeur ou une couleur" if any(c.fill for _, row in body for c in row) else "une valeur"
    table.notes.insert(
        0,
        f"planning lu comme un diagramme de Gantt : une colonne par {timeline.grain} de {span} "
        f"(en-tête {header[timeline.first].location.describe()}), périodes actives marquées par {marks_kind}",
    )
    return table


def has_timeline(rows: list[list[CellValue]]) -> bool:
    """Cheap test for readers: whether the grid holds a timeline header (then the fill
    colours of its cells are worth reading)."""
    return find_timeline(rows) is not None


def timeline_in(rows: list[list], head: int = 8) -> bool:
    """Whether one of the first rows of a table of plain values (a PDF table) has enough
    period cells to be a timeline (then its cells' fill colours are worth reading)."""
    return any(sum(1 for v in row if token(v) is not None) >= MIN_PERIODS for row in rows[:head])
