"""The deposit date of a dossier (DEP-01, DEP-02, LOT-01): read strictly, never guessed.

This is the one reading of ``date_depot``: the rules, the report and the web show the value
parsed here. Every form the dossier's sources write is read, with its precision:

- ISO 8601 (``dossier.json``, ``dateDepot`` of the Démarches simplifiées API):
  ``2022-09-28T17:42:10+02:00``; the CSV export of the démarche writes Ruby's ``Time#to_s``,
  ``2022-09-28 17:42:10 +0200``; a spreadsheet cell holds a date-time (Paris time);
- numeric: ``28/09/2022``, ``28/09/2022 17:42``, ``le 28/09/2022 à 17:42``;
- the « Déposé le » line of the Démarches simplifiées PDF export, printed with the
  ``time.formats.long`` format of its French locale, which changed over time (see
  ``DS_FORMS`` and docs/formats.md): « mercredi 28 septembre 2022 17h42 » (rails-i18n
  ``%A %d %B %Y %Hh%M``, until June 2023); « 28 septembre 22 17:09 » (``%d %B %y %H:%m``,
  June 2023 – April 2024: the two digits after the colon are the *month*, the minute is
  lost); « 28 septembre 22 17:42 » (``%d %B %y %H:%M``, since April 2024); and the worded
  forms of its later pages, « 28 septembre 2022 à 17:42 », « mercredi 28 septembre 2022 à 17:42 ».

A « Déposé le : » (or « Date de dépôt : ») label before the value is read past. A value
without offset is Paris time; the instants are compared in UTC (``instant``), so that the
hour repeated when summer time ends is not confused (zoneinfo, Europe/Paris).

Which of the two 2023–2024 forms a two-digit year is: the month-in-minutes form was printed
by every PDF export made from 22 June 2023 to 5 April 2024, whatever the deposit date; its
« minutes » are then always the deposit's month number. So: digits after the colon that
differ from the month are minutes (« ds-2024 »); a deposit on or after 5 April 2024 cannot
have been printed before the fix, its digits are minutes too; digits equal to the month on
an earlier deposit may be either (printed in the window, or a real minute equal to the month
by chance): the minute is not known, the deposit is read to the hour (« ds-2023 »). The precision says what is known: the day only (the
rules decide only what the whole day decides), the hour only (the 2023–2024 form: the rules
decide only what the whole hour decides), or the minute.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from core.config import PARIS
from core.french import MONTHS as MONTHS_FR

#: The PDF export printed « %d %B %y %H:%m » (the month after the colon) from the first date
#: to the second (docs/formats.md); a deposit from the second on was printed after the fix.
DS_MONTH_FORM_FROM = dt.date(2023, 6, 22)
DS_MONTH_FORM_UNTIL = dt.date(2024, 4, 5)

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

Precision = Literal["day", "hour", "minute"]

#: The written forms of a deposit date, by the name a parsed ``Deposit`` keeps (``form``),
#: with how a reviewer reads them. The Démarches simplifiées ones are the ``time.formats.long``
#: of its French locale (``try_format_date`` of its application helper, used for « Déposé le »
#: in ``app/views/dossiers/show.pdf.prawn``).
DS_FORMS: dict[str, str] = {
    "iso": "date-heure ISO 8601",
    "csv": "date-heure de l'export tableur (CSV) du téléservice",
    "cell": "cellule date de l'export tableur du téléservice",
    "numeric": "date JJ/MM/AAAA",
    "ds-2019": "export PDF de Démarches simplifiées jusqu'en juin 2023 (« mercredi 28 septembre 2022 17h42 »)",
    "ds-2023": (
        "export PDF de Démarches simplifiées de juin 2023 à avril 2024 (« 28 septembre 22 17:09 ») : les deux "
        "chiffres après les deux-points y sont le mois, non les minutes"
    ),
    "ds-2024": "export PDF de Démarches simplifiées depuis avril 2024 (« 28 septembre 22 17:42 »)",
    "worded": "date en toutes lettres (« 28 septembre 2022 à 17:42 »)",
}

#: The forms that carry their UTC offset: their instant is known (the others are Paris wall time).
OFFSET_FORMS = frozenset({"iso", "csv"})

#: What a reviewer is told when the minutes of a deposit are not known (the 2023–2024 form).
HOUR_ONLY_NOTE = (
    "l'export du téléservice n'indique pas les minutes de ce dépôt (de juin 2023 à avril 2024, Démarches "
    "simplifiées imprimait le mois à leur place) : l'heure n'est connue qu'à l'heure près"
)

_TIME = r"(?:\s*(?:a|,|-)?\s*(\d{1,2})\s*(h|:)\s*(\d{2})?(?:\s*:\s*(\d{2}))?)?"
_NUMERIC = re.compile(r"^(?:le\s+)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME + r"$")
_WORDED = re.compile(
    r"^(?:le\s+)?(?:(" + "|".join(WEEKDAYS) + r")\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4}|\d{2})" + _TIME + r"$"
)
_LABEL = re.compile(
    r"^\s*(?:d[ée]pos[ée]e?|date d[eu] d[ée]p[ôo]t|date de soumission)(?:\s+le)?\s*:\s*|^\s*d[ée]pos[ée]e?\s+le\s+",
    re.IGNORECASE,
)
_CSV = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{4}|UTC)$")


@dataclass(frozen=True)
class Deposit:
    """A deposit moment: the earliest it may have happened (aware, Europe/Paris), what is known
    of it (``precision``) and the written form it was read from (``form``, a key of ``DS_FORMS``)."""

    moment: dt.datetime
    precision: Precision = "minute"
    form: str = "iso"

    @property
    def day(self) -> dt.date:
        return self.moment.date()

    @property
    def day_only(self) -> bool:
        return self.precision == "day"

    @property
    def latest(self) -> dt.datetime:
        """The last second the deposit may have happened (the moment itself when the minute is known)."""
        if self.precision == "day":
            return dt.datetime.combine(self.day, dt.time(23, 59, 59), tzinfo=PARIS)
        if self.precision == "hour":
            return self.moment.replace(minute=59, second=59, fold=1)
        if self.form in OFFSET_FORMS:
            return self.moment
        return self.moment.replace(fold=1)  # a Paris wall time repeated when summer time ends: its later instant

    @property
    def day_end(self) -> dt.datetime:  # the name the rules used before the hour precision
        return self.latest

    @property
    def note(self) -> str | None:
        """Why the time is not fully known, in French (None when it is)."""
        if self.precision == "hour":
            return HOUR_ONLY_NOTE
        if self.precision == "day":
            return "l'heure du dépôt n'est pas indiquée"
        return None

    def describe(self) -> str:
        """``28 septembre 2022 à 17:42`` (Paris time), ``… entre 17:00 et 17:59``, or the day alone."""
        if self.precision == "hour":
            local = self.moment.astimezone(PARIS)
            return f"{describe_moment(local, with_time=False)} entre {local:%H}:00 et {local:%H}:59"
        return describe_moment(self.moment, with_time=not self.day_only)

    def to_dict(self) -> dict[str, Any]:
        """What report.json stores: the parsed value, shown by the report and the web as is."""
        return {
            "moment": self.moment.isoformat(),
            "latest": self.latest.isoformat(),
            "precision": self.precision,
            "form": self.form,
            "form_label": DS_FORMS.get(self.form, self.form),
            "description": self.describe(),
            "note": self.note,
        }


def instant(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC: what comparisons use (two Paris wall times compare by their
    clock, which confuses the hour repeated when summer time ends)."""
    return moment.astimezone(dt.UTC)


def describe_moment(moment: dt.datetime, *, with_time: bool = True) -> str:
    local = moment.astimezone(PARIS)
    day = f"{'1er' if local.day == 1 else local.day} {MONTHS_FR[local.month - 1]} {local.year}"
    return f"{day} à {local:%H:%M}" if with_time else day


def _plain(text: str) -> str:
    """Lower case, without accents, single spaces (punctuation kept: it separates the parts)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", bare).strip()


MONTHS = tuple(_plain(month) for month in MONTHS_FR)  # as a folded date text writes them


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment.astimezone(PARIS)


def _at(year: int, month: int, day: int, clock: tuple[int, int, int] | None, precision: Precision, form: str):
    if clock is None:
        return Deposit(dt.datetime(year, month, day, tzinfo=PARIS), "day", form)
    return Deposit(dt.datetime(year, month, day, *clock, tzinfo=PARIS), precision, form)


def _numeric(m: re.Match) -> Deposit:
    day, month, year, hour, _sep, minute, second = m.groups()
    clock = None if hour is None else (int(hour), int(minute or 0), int(second or 0))
    return _at(int(year), int(month), int(day), clock, "minute", "numeric")


def _worded(m: re.Match) -> Deposit | str:
    weekday, day_text, month_name, year_text, hour, sep, minute, second = m.groups()
    month, day = MONTHS.index(month_name) + 1, int(day_text)
    two_digit_year = len(year_text) == 2
    year = 2000 + int(year_text) if two_digit_year else int(year_text)
    clock = None if hour is None else (int(hour), int(minute or 0), int(second or 0))
    precision: Precision = "minute"
    if two_digit_year:
        # « 28 septembre 22 17:09 »: from June 2023 to April 2024 the digits after the colon
        # were the month. Digits equal to the month may be either: the minute is not known.
        printed_before_fix = dt.date(year, month, day) < DS_MONTH_FORM_UNTIL
        if (
            clock is not None
            and sep == ":"
            and minute is not None
            and int(minute) == month
            and second is None
            and printed_before_fix
        ):
            form, precision, clock = "ds-2023", "hour", (clock[0], 0, 0)
        else:
            form = "ds-2024"
    else:
        form = "ds-2019" if weekday and sep == "h" else "worded"
    deposit = _at(year, month, day, clock, precision, form)
    if weekday and WEEKDAYS[deposit.day.weekday()] != weekday:
        return (
            f"le jour de la semaine (« {weekday} ») ne correspond pas au "
            f"{describe_moment(deposit.moment, with_time=False)}"
        )
    return deposit


def parse_deposit(raw: Any) -> tuple[Deposit | None, str | None]:
    """(the deposit, None) or (None, why it cannot be read — French)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "date de dépôt absente"
    if isinstance(raw, dt.datetime):
        return Deposit(_aware(raw), "minute", "cell" if raw.tzinfo is None else "iso"), None
    if isinstance(raw, dt.date):
        return _at(raw.year, raw.month, raw.day, None, "day", "cell"), None
    if not isinstance(raw, str):
        return None, f"« {raw} » n'est pas une date"
    text = _LABEL.sub("", raw.strip(), count=1).strip() or raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            return _at(day.year, day.month, day.day, None, "day", "iso"), None
        if m := _CSV.match(text):
            offset = "+0000" if m[3] == "UTC" else m[3]
            moment = dt.datetime.strptime(f"{m[1]} {m[2]} {offset}", "%Y-%m-%d %H:%M:%S %z")
            return Deposit(_aware(moment), "minute", "csv"), None
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
            return Deposit(_aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00"))), "minute", "iso"), None
        folded = _plain(text)
        if m := _NUMERIC.match(folded):
            return _numeric(m), None
        if (m := _WORDED.match(folded)) and m[3] in MONTHS:
            parsed = _worded(m)
            if isinstance(parsed, str):
                return None, f"« {text} » n'est pas une date valide : {parsed}"
            return parsed, None
    except ValueError:
        return None, f"« {text} » n'est pas une date valide"
    return None, f"« {text} » n'est pas une date lisible"
