"""Dates as a French reviewer reads them: ``29/11/2026 à 08:01`` in Europe/Paris time, whatever
the time zone the value was stored in (``report.json`` holds ISO 8601, often UTC), and the
long form of letters (``1er mars 2025``). One place for every report, export, letter and the
command line.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

PARIS_NAME = "Europe/Paris"
NONE = "—"


@lru_cache(maxsize=1)
def paris_zone() -> ZoneInfo:
    return ZoneInfo(PARIS_NAME)


def parse_moment(value: Any) -> dt.datetime | dt.date | None:
    """A datetime (aware, in Europe/Paris) or a plain date from a ``datetime``/``date`` or an
    ISO 8601 text (``Z`` accepted), or ``JJ/MM/AAAA [HH:MM]``; None when it is not a date. A
    naive datetime is taken as Paris time (what a form filled in France means)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return value
    else:
        text = str(value).strip()
        moment = None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if moment is None:
                return None
            if moment.time() == dt.time() and len(text) <= 10:
                return moment.date()
        if len(text) == 10 and moment.time() == dt.time() and moment.tzinfo is None:
            return moment.date()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=paris_zone())
    return moment.astimezone(paris_zone())


def paris_day(value: Any) -> dt.date | None:
    """The calendar day in Paris of a date or moment."""
    moment = parse_moment(value)
    if isinstance(moment, dt.datetime):
        return moment.date()
    return moment


def date_fr(value: Any) -> str:
    """``12/03/2025`` (the day in Paris); the text itself when it is not a date, « — » for none."""
    if value is None or value == "":
        return NONE
    day = paris_day(value)
    return day.strftime("%d/%m/%Y") if day else str(value)


def datetime_fr(value: Any) -> str:
    """``12/03/2025 à 14:05`` in Paris time; a date alone (no time) as ``12/03/2025``."""
    if value is None or value == "":
        return NONE
    moment = parse_moment(value)
    if moment is None:
        return str(value)
    if not isinstance(moment, dt.datetime):
        return moment.strftime("%d/%m/%Y")
    return moment.strftime("%d/%m/%Y à %H:%M")


def date_long(value: Any) -> str:
    """``1er mars 2025``, ``15 avril 2025`` (the day in Paris)."""
    day = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else paris_day(value)
    if day is None:
        return NONE
    text = format_date(day, "d MMMM y", locale="fr_FR")
    return "1er" + text[1:] if day.day == 1 else text


def now_paris() -> dt.datetime:
    return dt.datetime.now(paris_zone())
