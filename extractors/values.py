"""Typed values out of what owners type: French amounts, dates, booleans, project types.

Every parser returns ``Parsed(value, problem)``: ``problem`` is a French explanation when
the text cannot be read without guessing, so that the caller reports it with its cell
instead of coercing it silently.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as single spaces: for matching words."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


# ----------------------------------------------------------------------------- amounts

_CURRENCY = re.compile(r"(€|eur(os?)?\b|ttc\b|ht\b)", re.IGNORECASE)
_KILO = re.compile(r"^(?P<num>.+?)\s*k\s*(€|eur(os?)?)?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")


def parse_amount(raw: Any) -> Parsed[float]:
    """``12 000,00 €``, ``12.000,00``, ``12000 EUR``, ``12 k€``, numbers → euros."""
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, f"« {raw} » n'est pas un montant")
    if isinstance(raw, (int, float)):
        return Parsed(float(raw))
    text = str(raw).strip()
    multiplier = 1.0
    kilo = _KILO.match(text)
    if kilo:
        multiplier = 1000.0
        text = kilo.group("num")
    text = _CURRENCY.sub("", text)
    text = _SPACES.sub("", text)
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-+()")
    if not text or not re.fullmatch(r"[0-9.,]+", text):
        return Parsed(None, f"« {str(raw).strip()} » n'est pas un montant lisible")
    number = _decimal_text(text)
    if number is None:
        return Parsed(None, f"« {str(raw).strip()} » : séparateurs de milliers et de décimales ambigus")
    value = float(number) * multiplier
    return Parsed(-value if negative else value)


def _decimal_text(text: str) -> str | None:
    """Digits with ``.`` and ``,`` → a Python float literal, or None when ambiguous."""
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        integer, _, frac = text.rpartition(decimal)
        if not re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})*", integer):
            return None
        return integer.replace(thousands, "") + "." + frac
    for sep in (",", "."):
        if sep in text:
            parts = text.split(sep)
            if len(parts) > 2:  # 1.000.000 or 1,000,000: thousands separators
                if all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3:
                    return "".join(parts)
                return None
            integer, frac = parts
            if sep == "." and len(frac) == 3 and integer and integer != "0":
                return integer + frac  # French thousands separator: 12.000
            if sep == "," and len(frac) == 3 and len(integer) <= 3 and integer != "0":
                # 12,000 reads 12 thousand in English and 12 in French: refuse to guess
                return None
            return integer + "." + frac
    return text


# ----------------------------------------------------------------------------- numbers


def parse_int(raw: Any) -> Parsed[int]:
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, f"« {raw} » n'est pas un nombre entier")
    if isinstance(raw, int):
        return Parsed(raw)
    if isinstance(raw, float):
        return Parsed(int(raw)) if raw.is_integer() else Parsed(None, f"« {raw} » n'est pas un nombre entier")
    text = _SPACES.sub("", str(raw))
    if re.fullmatch(r"[+-]?\d+", text):
        return Parsed(int(text))
    if re.fullmatch(r"[+-]?\d+[.,]0+", text):
        return Parsed(int(re.split(r"[.,]", text)[0]))
    return Parsed(None, f"« {str(raw).strip()} » n'est pas un nombre entier")


# ----------------------------------------------------------------------------- dates

MONTH_NUMBERS = {  # a month word of a date, folded (extractors.values.fold), its number
    "janv": 1,
    "janvier": 1,
    "jan": 1,
    "fevr": 2,
    "fevrier": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avr": 4,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juil": 7,
    "juillet": 7,
    "aout": 8,
    "sept": 9,
    "septembre": 9,
    "sep": 9,
    "oct": 10,
    "octobre": 10,
    "nov": 11,
    "novembre": 11,
    "dec": 12,
    "decembre": 12,
}
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+(?:à\s+)?\d{1,2}[:h]\d{2}(?::\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?$")
_MONTH_YEAR = re.compile(r"^([a-z]+)\s+(\d{4})$")
# « 3 mars 2025 », « 1er mars 2025 », « lundi 3 mars 2025 » (folded: no accents, lower case)
_DAY_MONTH_YEAR = re.compile(r"^(?:[a-z]+\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$")
_NUM_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_PERIOD = re.compile(r"^(t|q|s)\s*([1-4])\s+(\d{4})$")
_EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 … 2119: plausible project dates


def _period(year: int, first_month: int, months: int, end: bool) -> dt.date:
    if not end:
        return dt.date(year, first_month, 1)
    last_month = first_month + months - 1
    return dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


def parse_date(raw: Any, *, end_of_period: bool = False) -> Parsed[dt.date]:
    """Dates as met in plannings; a month, quarter or semester gives its first day, or its
    last day when ``end_of_period`` (for end dates)."""
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, dt.datetime):
        return Parsed(raw.date())
    if isinstance(raw, dt.date):
        return Parsed(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if _EXCEL_SERIAL_RANGE[0] <= raw <= _EXCEL_SERIAL_RANGE[1]:
            return Parsed(dt.date(1899, 12, 30) + dt.timedelta(days=int(raw)))
        return Parsed(None, f"« {raw} » n'est pas une date")
    text = fold(str(raw)) if not _DMY.match(str(raw).strip()) else str(raw).strip()
    try:
        if m := _DMY.match(text):
            day, month, year = (int(g) for g in m.groups())
            if year < 100:
                year += 2000
            return Parsed(dt.date(year, month, day))
        if m := _YMD.match(str(raw).strip().lower()):
            return Parsed(dt.date(int(m[1]), int(m[2]), int(m[3])))
        if m := _MONTH_YEAR.match(text):
            month = MONTH_NUMBERS.get(m[1])
            if month:
                return Parsed(_period(int(m[2]), month, 1, end_of_period))
        if m := _DAY_MONTH_YEAR.match(text):
            month = MONTH_NUMBERS.get(m[2])
            if month:
                return Parsed(dt.date(int(m[3]), month, int(m[1])))
        if m := _NUM_MONTH_YEAR.match(str(raw).strip()):
            return Parsed(_period(int(m[2]), int(m[1]), 1, end_of_period))
        if m := _PERIOD.match(text):
            index, year = int(m[2]), int(m[3])
            if m[1] in "tq":
                return Parsed(_period(year, 3 * index - 2, 3, end_of_period))
            if index <= 2:
                return Parsed(_period(year, 6 * index - 5, 6, end_of_period))
    except ValueError:
        return Parsed(None, f"« {str(raw).strip()} » n'est pas une date valide")
    return Parsed(None, f"« {str(raw).strip()} » n'est pas une date lisible")


# ----------------------------------------------------------------------------- categories

_TRUE = {"oui", "o", "x", "yes", "y", "true", "vrai", "1", "ok", "✓", "✔", "☑"}
_FALSE = {"non", "n", "no", "false", "faux", "0", "", "✗", "✘", "☐"}


def parse_bool(raw: Any) -> Parsed[bool]:
    if raw is None:
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(raw)
    text = str(raw).strip().lower()
    if text in _TRUE or fold(text) in _TRUE:
        return Parsed(True)
    if text in _FALSE or fold(text) in _FALSE:
        return Parsed(None) if text == "" else Parsed(False)
    return Parsed(None, f"« {str(raw).strip()} » : Oui ou Non attendu")


def parse_project_type(raw: Any) -> Parsed[str]:
    """``acquisition`` or ``mise_en_conformite`` (``mixte`` for the form only)."""
    if is_blank(raw):
        return Parsed(None)
    text = fold(str(raw))
    if "acqui" in text or "changement de dui" in text or "remplacement" in text:
        return Parsed("acquisition")
    if "conformit" in text or "montee de version" in text or "evolution" in text:
        return Parsed("mise_en_conformite")
    if "mixte" in text:
        return Parsed("mixte")
    return Parsed(None, f"« {str(raw).strip()} » : « Acquisition » ou « Mise en conformité » attendu")


def format_euros(value: float | None) -> str:
    """12000.5 → ``12 000,50 €`` (narrow no-break spaces as French typography wants)."""
    if value is None:
        return "—"
    negative = value < 0
    cents = round(abs(value) * 100)
    units, cents = divmod(cents, 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    text = grouped if cents == 0 else f"{grouped},{cents:02d}"
    return f"{'-' if negative else ''}{text}\u00a0€"


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"
