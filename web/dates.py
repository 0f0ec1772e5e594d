"""French dates for reviewers: Europe/Paris, « 12 mars 2025 à 14:05 » (babel)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

PARIS = ZoneInfo("Europe/Paris")


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def parse(value: object) -> dt.datetime | dt.date | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if not value:
        return None
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None


def datetime_fr(value: object) -> str:
    """``12 mars 2025 à 14:05`` in Paris time; a date alone as ``12 mars 2025``; ``—`` if none."""
    moment = parse(value)
    if moment is None:
        return "—" if not value else str(value)
    if not isinstance(moment, dt.datetime):
        return _first(format_date(moment, "d MMMM y", locale="fr_FR"))
    return _first(format_datetime(_aware(moment), "d MMMM y 'à' HH:mm", tzinfo=PARIS, locale="fr_FR"))


def date_fr(value: object) -> str:
    moment = parse(value)
    if moment is None:
        return "—" if not value else str(value)
    if isinstance(moment, dt.datetime):
        moment = _aware(moment).astimezone(PARIS).date()
    return _first(format_date(moment, "d MMMM y", locale="fr_FR"))


def _first(text: str) -> str:
    """« 1er mars », as French writes the first of the month."""
    return "1er" + text[1:] if text.startswith("1 ") else text


def iso_paris(value: dt.datetime) -> str:
    """For a ``<time datetime>`` attribute."""
    return _aware(value).astimezone(PARIS).isoformat(timespec="seconds")
