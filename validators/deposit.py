"""The deposit date of a dossier (DEP-01, DEP-02, LOT-01): read strictly, never guessed.

The online form gives it as ISO 8601 (``dossier.json``: ``2022-09-28T17:42:10+02:00``) or as
the Démarches simplifiées export prints it (``28/09/2022``, ``28/09/2022 à 17:42``,
``28 septembre 2022 à 17h42``). A value without offset is Paris time. A value with a day and
no time is known to the day only: the rules then decide only what the whole day decides.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from core.config import PARIS

MONTHS = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

_TIME = r"(?:\s*(?:a|,|-)?\s*(\d{1,2})\s*[h:]\s*(\d{2})?(?:\s*:\s*(\d{2}))?)?"
_NUMERIC = re.compile(r"^(?:le\s+)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME + r"$")
_WORDED = re.compile(r"^(?:le\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4})" + _TIME + r"$")


@dataclass(frozen=True)
class Deposit:
    """A deposit moment. ``day_only``: the time is not known (the moment is 00:00 that day)."""

    moment: dt.datetime  # aware, Europe/Paris
    day_only: bool = False

    @property
    def day(self) -> dt.date:
        return self.moment.date()

    @property
    def day_end(self) -> dt.datetime:
        """The last second the deposit may have happened."""
        if not self.day_only:
            return self.moment
        return dt.datetime.combine(self.day, dt.time(23, 59, 59), tzinfo=PARIS)

    def describe(self) -> str:
        """``28 septembre 2022 à 17:42`` (Paris time), or the day alone."""
        return describe_moment(self.moment, with_time=not self.day_only)


def describe_moment(moment: dt.datetime, *, with_time: bool = True) -> str:
    local = moment.astimezone(PARIS)
    day = f"{'1er' if local.day == 1 else local.day} {MONTHS_FR[local.month - 1]} {local.year}"
    return f"{day} à {local:%H:%M}" if with_time else day


def _plain(text: str) -> str:
    """Lower case, without accents, single spaces (punctuation kept: it separates the parts)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", bare).strip()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment.astimezone(PARIS)


def _clock(groups: tuple[str | None, ...]) -> tuple[int, int, int] | None:
    hour, minute, second = groups
    if hour is None:
        return None
    return int(hour), int(minute or 0), int(second or 0)


def _from_parts(year: int, month: int, day: int, clock: tuple[int, int, int] | None) -> Deposit:
    if clock is None:
        return Deposit(dt.datetime(year, month, day, tzinfo=PARIS), day_only=True)
    return Deposit(dt.datetime(year, month, day, *clock, tzinfo=PARIS))


def parse_deposit(raw: Any) -> tuple[Deposit | None, str | None]:
    """(the deposit, None) or (None, why it cannot be read — French)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "date de dépôt absente"
    if isinstance(raw, dt.datetime):
        return Deposit(_aware(raw)), None
    if isinstance(raw, dt.date):
        return _from_parts(raw.year, raw.month, raw.day, None), None
    if not isinstance(raw, str):
        return None, f"« {raw} » n'est pas une date"
    text = raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            return _from_parts(day.year, day.month, day.day, None), None
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
            return Deposit(_aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))), None
        folded = _plain(text)
        if m := _NUMERIC.match(folded):
            return _from_parts(int(m[3]), int(m[2]), int(m[1]), _clock(m.groups()[3:])), None
        if (m := _WORDED.match(folded)) and m[2] in MONTHS:
            return _from_parts(int(m[3]), MONTHS.index(m[2]) + 1, int(m[1]), _clock(m.groups()[3:])), None
    except ValueError:
        return None, f"« {text} » n'est pas une date valide"
    return None, f"« {text} » n'est pas une date lisible"
