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

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from core.models import CellValue, Grid
from extractors.matcher import text_matches
from extractors.table_types import ColumnReading, Row, Table
from extractors.values import fold, is_blank

SCAN_ROWS = 120  # a timeline header is searched in the first rows of a grid
MIN_PERIODS = 3  # consecutive period columns that make a timeline
BLANK_ROWS_END = 3
_MONTHS = {
    "janv": 1, "janvier": 1, "jan": 1, "fevr": 2, "fevrier": 2, "fev": 2, "feb": 2, "mars": 3, "mar": 3,
    "avr": 4, "avril": 4, "apr": 4, "mai": 5, "may": 5, "juin": 6, "jun": 6, "juil": 7, "juillet": 7, "jul": 7,
    "aout": 8, "aou": 8, "aug": 8, "sept": 9, "septembre": 9, "sep": 9, "oct": 10, "octobre": 10,
    "nov": 11, "novembre": 11, "dec": 12, "decembre": 12,
}
_MONTH_LABELS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(\d{4}|\d{2})"
_TEXT_PATTERNS = [
    ("month", re.compile(rf"^(?P<m>{_MONTH_WORD})\s*(?P<y>{_YEAR})?$")),
    ("month_num", re.compile(r"^(?P<m>\d{1,2})\s(?P<y>\d{4})$")),  # 01/2023 folded
    ("month_num", re.compile(r"^(?P<y>\d{4})\s(?P<m>\d{1,2})$")),  # 2023-01
    ("quarter", re.compile(rf"^(?:t|q|trim|trimestre)\s*(?P<n>[1-4])\s*(?P<y>{_YEAR})?$")),
    ("quarter", re.compile(r"^(?P<y>\d{4})\s*(?:t|q)\s*(?P<n>[1-4])$")),
    ("quarter", re.compile(rf"^(?P<n>[1-4])\s*(?:er|e|eme)?\s*trim(?:estre)?\s*(?P<y>{_YEAR})?$")),
    ("s", re.compile(rf"^(?:s|sem|semaine|w|wk)\s*(?P<n>\d{{1,2}})\s*(?P<y>{_YEAR})?$")),
    ("s", re.compile(r"^(?P<y>\d{4})\s*(?:s|w|sem)\s*(?P<n>\d{1,2})$")),
]
_YEAR_IN_TEXT = re.compile(r"\b(20\d{2})\b")
_UNMARKED = frozenset({"0", "-", "--", "non", "no", "n", "—", "–", "."})


@dataclass(frozen=True)
class Token:
    """A header cell read as a period, before its year is known."""

    grain: str  # month, quarter, s (week or semester), day (a real date)
    index: int  # month 1-12, quarter 1-4, week 1-53; ordinal day for a date
    year: int | None


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str  # French: « janv. 2023 », « T3 2023 », « S12 2023 »


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


@lru_cache(maxsize=20_000)
def _text_token(text: str) -> Token | None:
    if (day := _dmy_token(text)) is not None:
        return day
    folded = fold(text)
    if not folded or len(folded) > 30:
        return None
    for grain, pattern in _TEXT_PATTERNS:
        m = pattern.match(folded)
        if not m:
            continue
        year = _year(m.groupdict().get("y"))
        if year is not None and not 2000 <= year <= 2100:
            return None
        if grain == "month":
            return Token("month", _MONTHS[m["m"]], year)
        if grain == "month_num":
            month = int(m["m"])
            return Token("month", month, year) if 1 <= month <= 12 else None
        if grain == "quarter":
            return Token("quarter", int(m["n"]), year)
        number = int(m["n"])
        return Token("s", number, year) if 1 <= number <= 53 else None
    return None


def token(raw: Any) -> Token | None:
    """A header cell as a period token, or None."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return Token("day", raw.toordinal(), raw.year) if 2000 <= raw.year <= 2100 else None
    if isinstance(raw, str):
        return _text_token(raw)
    return None


_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")


def _dmy_token(text: str) -> Token | None:
    m = _DMY.match(text)
    if not m:
        return None
    try:
        day = dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return Token("day", day.toordinal(), day.year) if 2000 <= day.year <= 2100 else None


def _year_hint(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool) and 2000 <= raw <= 2100:
        return raw
    if isinstance(raw, float) and raw.is_integer() and 2000 <= raw <= 2100:
        return int(raw)
    if isinstance(raw, str):
        m = _YEAR_IN_TEXT.search(raw)
        return int(m[1]) if m else None
    return None


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


def _month_period(year: int, month: int, months: int = 1) -> Period:
    last = month + months - 1
    end = dt.date(year, last, calendar.monthrange(year, last)[1])
    return Period(dt.date(year, month, 1), end, "")


def _periods(tokens: dict[int, Token], years: dict[int, int | None]) -> tuple[dict[int, Period], str] | None:
    """Tokens of one row (column → token) as periods, years completed and rolled over
    (``nov.``, ``déc.``, ``janv.`` → the next year); None when it does not read as a timeline."""
    grains = Counter(t.grain for t in tokens.values())
    grain, count = grains.most_common(1)[0]
    if count < MIN_PERIODS:
        return None
    columns = sorted(c for c, t in tokens.items() if t.grain == grain)
    if grain == "day":
        return _day_periods({c: dt.date.fromordinal(tokens[c].index) for c in columns})
    semesters = grain == "s" and max(tokens[c].index for c in columns) <= 2 and \
        len({tokens[c].year for c in columns} - {None}) > 1
    out: dict[int, Period] = {}
    year: int | None = None
    hinted: int | None = None
    previous = 0
    for c in columns:
        t = tokens[c]
        if t.year is not None:
            year = t.year
        elif years.get(c) is not None and years[c] != hinted:
            year = hinted = years[c]  # a new year in the row above
        elif year is not None and t.index < previous:
            year += 1  # déc. → janv.: the next year
        previous = t.index
        if year is None:
            return None
        try:
            out[c] = _period(grain, t.index, year, semesters)
        except ValueError:
            return None
    if not _in_order(out):
        return None
    label = {"month": "mois", "quarter": "trimestre", "s": "semestre" if semesters else "semaine"}[grain]
    return out, label


def _in_order(columns: dict[int, Period]) -> bool:
    """Periods left to right in time order (a period merged over several columns repeats),
    at least ``MIN_PERIODS`` distinct ones."""
    starts = [columns[c].start for c in sorted(columns)]
    return all(b >= a for a, b in pairwise(starts)) and len(set(starts)) >= MIN_PERIODS


def _period(grain: str, index: int, year: int, semesters: bool) -> Period:
    if grain == "month":
        p = _month_period(year, index)
        return Period(p.start, p.end, f"{_MONTH_LABELS[index - 1]} {year}")
    if grain == "quarter":
        p = _month_period(year, 3 * index - 2, 3)
        return Period(p.start, p.end, f"T{index} {year}")
    if semesters:
        p = _month_period(year, 6 * index - 5, 6)
        return Period(p.start, p.end, f"S{index} {year}")
    start = dt.date.fromisocalendar(year, index, 1)
    return Period(start, start + dt.timedelta(days=6), f"S{index} {year}")


def _day_periods(dates: dict[int, dt.date]) -> tuple[dict[int, Period], str] | None:
    columns = sorted(dates)
    steps = [(dates[b] - dates[a]).days for a, b in pairwise(columns)]
    if any(s < 0 for s in steps) or len(set(dates.values())) < MIN_PERIODS:
        return None
    steps = [s for s in steps if s > 0]  # a date merged over several columns repeats
    step = sorted(steps)[len(steps) // 2]
    out: dict[int, Period] = {}
    if 28 <= step <= 31:
        for c in columns:
            d = dates[c]
            p = _month_period(d.year, d.month)
            out[c] = Period(p.start, p.end, f"{_MONTH_LABELS[d.month - 1]} {d.year}")
        return out, "mois"
    if 89 <= step <= 92:
        for c in columns:
            d = dates[c]
            q = (d.month - 1) // 3 + 1
            p = _month_period(d.year, 3 * q - 2, 3)
            out[c] = Period(p.start, p.end, f"T{q} {d.year}")
        return out, "trimestre"
    grain = "semaine" if 6 <= step <= 8 else "jour" if step == 1 else "période"
    distinct = sorted(set(dates.values()))
    for c in columns:
        d = dates[c]
        i = distinct.index(d)
        end = distinct[i + 1] - dt.timedelta(days=1) if i + 1 < len(distinct) else d + dt.timedelta(days=step - 1)
        out[c] = Period(d, end, d.strftime("%d/%m/%Y"))
    return out, grain


def _row_tokens(row: list[CellValue]) -> dict[int, Token]:
    return {c: t for c, cell in enumerate(row) if (t := token(cell.raw)) is not None}


def _years_above(rows: list[list[CellValue]], r: int, columns: list[int]) -> dict[int, int | None]:
    """Year of each column from the rows above (a year merged over its months: the text is
    in its first column, or repeated by the reader), nearest row first."""
    years: dict[int, int | None] = {c: None for c in columns}
    for above in rows[max(0, r - 3):r][::-1]:
        carried: int | None = None
        for c in range(min(columns), max(columns) + 1) if columns else ():
            hint = _year_hint(above[c].raw) if c < len(above) else None
            if hint is not None:
                carried = hint
            if c in years and years[c] is None and carried is not None:
                years[c] = carried
    return years


def _title_year(rows: list[list[CellValue]], r: int) -> int | None:
    for row in rows[:r]:
        for cell in row:
            hint = _year_hint(cell.raw) if isinstance(cell.raw, str) else None
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
            years = {c: title for c in years}
        read = _periods(tokens, years)
        if read is None:
            continue
        read = (_fill_merged(rows[r], read[0]), read[1])
        # a finer header row right under (weeks under months)
        if r + 1 < len(rows):
            finer = _row_tokens(rows[r + 1])
            if len(finer) >= MIN_PERIODS:
                lower = _periods(finer, {c: _nearest_year(read[0], c) for c in finer})
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
    counts = Counter(c for _, row in body for c in range(min(first, len(row)))
                     if isinstance(row[c].raw, str) and row[c].raw.strip() and token(row[c].raw) is None)
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
    phase_header = header[label_col] if label_col < len(header) and not is_blank(header[label_col].raw) \
        else body[0][1][label_col]
    table = Table(
        kind="planning", file=file, grid_name=grid.name, header_location=header[min(label_col, len(header) - 1)].location,
        columns={"phase": phase_header, "date_debut": header[timeline.first], "date_fin": header[timeline.last],
                 **{f: header[c] for f, (c, _, _) in side.items()}},
        column_index={"phase": label_col, **{f: c for f, (c, _, _) in side.items()}},
        score=0.9, source="calendrier",
    )
    span = f"« {first_period.label} » à « {last_period.label} »"
    table.readings = {
        "phase": ColumnReading("phase", header[label_col].text if label_col < len(header) else "", 0.9, "calendrier", label_col),
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
            table.notes.append(f"« {label} » ({label_cell.location.describe()}) : aucune période marquée, ligne non lue")
            table.left_out.append(label_cell.location)
            continue
        if not label:
            table.notes.append(f"ligne {r + 1} : périodes marquées sans intitulé de phase, ligne non lue")
            table.left_out.append(row[marks[0]].location)
            continue
        start, end = timeline.columns[marks[0]], timeline.columns[marks[-1]]
        gaps = [c for c in columns if marks[0] < c < marks[-1] and c not in marks]
        if gaps:
            table.notes.append(f"« {label} » : périodes marquées discontinues, lue de « {start.label} » à « {end.label} »")
        cells = {"phase": label_cell,
                 "date_debut": CellValue(start.start, row[marks[0]].location),
                 "date_fin": CellValue(end.end, row[marks[-1]].location)}
        for f, (c, _, _) in side.items():
            if c < len(row):
                cells[f] = row[c]
        table.rows.append(Row(cells, row[0].location, False, label, r))
    if not table.rows:
        return None
    marks_kind = "une valeur ou une couleur" if any(c.fill for _, row in body for c in row) else "une valeur"
    table.notes.insert(0, f"planning lu comme un diagramme de Gantt : une colonne par {timeline.grain} de {span} "
                          f"(en-tête {header[timeline.first].location.describe()}), périodes actives marquées par {marks_kind}")
    return table


def has_timeline(rows: list[list[CellValue]]) -> bool:
    """Cheap test for readers: whether the grid holds a timeline header (then the fill
    colours of its cells are worth reading)."""
    return find_timeline(rows) is not None


def timeline_in(rows: list[list], head: int = 8) -> bool:
    """Whether one of the first rows of a table of plain values (a PDF table) has enough
    period cells to be a timeline (then its cells' fill colours are worth reading)."""
    return any(sum(1 for v in row if token(v) is not None) >= MIN_PERIODS for row in rows[:head])
