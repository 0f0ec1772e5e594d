"""Periods as written in the header of a Gantt chart: real dates, months (``janv. 2023``,
``01/2023``, ``2023-01``), quarters (``T3 2023``, ``Q1 2024``, ``1er trimestre``), weeks
(``S12``, ``2023-S12``, ``Sem. 12``) or semesters, a period without its year taking it from
the caller (a row above, the title) and rolling over (``déc.`` → ``janv.``)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from core.french import month_year
from extractors.values import MONTH_NUMBERS, fold

MIN_PERIODS = 3  # distinct periods that make a timeline
# a French date's month words (extractors.values), and the English ones of some plannings' headers
_MONTHS = MONTH_NUMBERS | {"feb": 2, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aou": 8, "aug": 8}
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


def year_hint(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool) and 2000 <= raw <= 2100:
        return raw
    if isinstance(raw, float) and raw.is_integer() and 2000 <= raw <= 2100:
        return int(raw)
    if isinstance(raw, str):
        m = _YEAR_IN_TEXT.search(raw)
        return int(m[1]) if m else None
    return None


def _month_period(year: int, month: int, months: int = 1) -> Period:
    last = month + months - 1
    end = dt.date(year, last, calendar.monthrange(year, last)[1])
    return Period(dt.date(year, month, 1), end, "")


def read_periods(tokens: dict[int, Token], years: dict[int, int | None]) -> tuple[dict[int, Period], str] | None:
    """Tokens of one row (column → token) as periods, years completed and rolled over
    (``nov.``, ``déc.``, ``janv.`` → the next year); None when it does not read as a timeline."""
    grains = Counter(t.grain for t in tokens.values())
    grain, count = grains.most_common(1)[0]
    if count < MIN_PERIODS:
        return None
    columns = sorted(c for c, t in tokens.items() if t.grain == grain)
    if grain == "day":
        return _day_periods({c: dt.date.fromordinal(tokens[c].index) for c in columns})
    semesters = (
        grain == "s"
        and max(tokens[c].index for c in columns) <= 2
        and len({tokens[c].year for c in columns} - {None}) > 1
    )
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
        return Period(p.start, p.end, month_year(p.start, short=True))
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
            out[c] = Period(p.start, p.end, month_year(d, short=True))
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
