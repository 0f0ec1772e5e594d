"""The one French of the product: dates and moments (shown in Europe/Paris, whatever the zone
they were stored in), amounts, numbers and percentages (Babel, ``fr_FR``), counts with their
plural (« 1 dossier », « 3 dossiers », never « (s) »), and the catalogue of the labels of the
codes a reviewer or a project owner reads (severities, verdicts, document kinds, form fields).

Every report, letter, export, web page and command message formats through here. Stored
moments are ISO 8601 with their offset (``iso``); a naive date-time is Paris time (what a form
filled in France means).

Labels are keyed by the code as written in ``report.json`` (``"a_corriger"``), which the enums
of ``core.models`` share (a ``str`` enum member finds its label under its value). A label is
written as it reads inside a sentence; ``sentence_case`` capitalises it where it starts one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal, format_percent

LOCALE = "fr_FR"
PARIS = ZoneInfo("Europe/Paris")
NONE = "—"  # what a missing value is shown as
NBSP = "\u00a0"  # before « € », « % », « : »
NNBSP = "\u202f"  # between groups of digits

# --------------------------------------------------------------------------- moments

_NUMERIC_FORMS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y à %H:%M", "%d/%m/%Y")


def moment(value: Any) -> dt.datetime | dt.date | None:
    """An aware date-time in Europe/Paris, or a plain date (a day with no time), from a
    ``datetime``/``date`` or a stored text: ISO 8601 (``Z`` accepted) or ``JJ/MM/AAAA [HH:MM]``.
    None when it is no date. A naive date-time is Paris time."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        found = value
    elif isinstance(value, dt.date):
        return value
    else:
        text = str(value).strip()
        if len(text) == 10 and text[4] == "-":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return None
        try:
            found = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            found = None
            for form in _NUMERIC_FORMS:
                try:
                    found = dt.datetime.strptime(text, form)
                except ValueError:
                    continue
                if form == "%d/%m/%Y":
                    return found.date()
                break
            if found is None:
                return None
    return found.replace(tzinfo=PARIS) if found.tzinfo is None else found.astimezone(PARIS)


def paris_day(value: Any) -> dt.date | None:
    """The calendar day in Paris of a date or moment."""
    found = moment(value)
    return found.date() if isinstance(found, dt.datetime) else found


def now_paris() -> dt.datetime:
    return dt.datetime.now(PARIS)


def iso(value: dt.datetime | dt.date) -> str:
    """What report.json and the databases' exports store: ISO 8601 with the Paris offset
    (``2022-09-28T17:42:10+02:00``); a date alone as ``2022-09-28``. A naive date-time is UTC
    (what SQLite gives back)."""
    if isinstance(value, dt.datetime):
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return aware.astimezone(PARIS).isoformat(timespec="seconds")
    return value.isoformat()


def _day(value: Any, form: Callable[[dt.date], str]) -> str:
    """``form`` of the day in Paris; a text that is no date as it is, « — » for none."""
    if value is None or value == "":
        return NONE
    day = paris_day(value)
    return form(day) if day else str(value)


def date_short(value: Any) -> str:
    """``28/09/2022`` (the day in Paris); a text that is no date as it is, « — » for none."""
    return _day(value, lambda day: day.strftime("%d/%m/%Y"))


def datetime_short(value: Any) -> str:
    """``28/09/2022 à 17:42`` in Paris time; a day alone as ``28/09/2022``."""
    if value is None or value == "":
        return NONE
    found = moment(value)
    if found is None:
        return str(value)
    if not isinstance(found, dt.datetime):
        return found.strftime("%d/%m/%Y")
    return found.strftime("%d/%m/%Y à %H:%M")


def date_long(value: Any) -> str:
    """``1er mars 2025``, ``15 avril 2025`` (the day in Paris)."""
    return _day(value, lambda day: _first_of_month(_babel_date(day, "d MMMM y", locale=LOCALE)))


def datetime_long(value: Any) -> str:
    """``28 septembre 2022 à 17:42`` in Paris time; a day alone as ``28 septembre 2022``."""
    found = moment(value)
    if not isinstance(found, dt.datetime):
        return date_long(value)
    return f"{date_long(found)} à {found:%H:%M}"


def hour_long(value: Any) -> str:
    """``28 septembre 2022 entre 17 h et 18 h``: a moment known to the hour only."""
    found = moment(value)
    if not isinstance(found, dt.datetime):
        return date_long(value)
    return (
        f"{date_long(found)} entre {found:%H} h et {found.hour + 1:02d} h"
        if found.hour < 23
        else f"{date_long(found)} après 23 h"
    )


def _first_of_month(text: str) -> str:
    """« 1er mars », as French writes the first of the month."""
    return "1er" + text[1:] if text.startswith("1 ") else text


# --------------------------------------------------------------------------- months

MONTHS = (
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
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def month_year(day: dt.date, *, short: bool = False) -> str:
    """``mars 2023``; ``sept. 2022`` when ``short``."""
    return f"{(MONTHS_SHORT if short else MONTHS)[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------- numbers


def euros(value: float | int | None) -> str:
    """``12 000 €``, ``12 000,50 €`` (narrow no-break spaces between groups, a no-break space
    before the sign; cents only when there are some); « — » for none."""
    if value is None or value == "":
        return NONE
    amount = float(value)
    whole = round(amount * 100) % 100 == 0
    text = format_decimal(amount, format="#,##0" if whole else "#,##0.00", locale=LOCALE)
    return f"{text}{NBSP}€"


def number(value: float | int | None, decimals: int = 0) -> str:
    """``1 250``, ``0,88`` (``decimals`` digits after the comma); « — » for none."""
    if value is None or value == "":
        return NONE
    form = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=form, locale=LOCALE)


def percent(ratio: float | None, decimals: int = 1) -> str:
    """``50,7 %`` for 0.507 (a no-break space before the sign); « — » for none."""
    if ratio is None:
        return NONE
    form = "#,##0" + ("." + "0" * decimals if decimals else "") + NBSP + "%"
    return format_percent(ratio, format=form, locale=LOCALE)


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``0 dossier``, ``1 dossier``, ``3 dossiers`` (French: 0 and 1 take the singular);
    ``plural`` when it is not the singular with an « s » (« 2 nouveaux »)."""
    return f"{n} {singular if abs(n) <= 1 else (plural or singular + 's')}"


def duration(seconds: float) -> str:
    """A length of time in words: « 45 secondes », « 30 minutes », « 1 heure 30 minutes »."""
    total = max(0, round(seconds))
    if total < 60:
        return count(total, "seconde")
    hours, minutes = divmod(total // 60, 60)
    parts = ([count(hours, "heure")] if hours else []) + ([count(minutes, "minute")] if minutes else [])
    return " ".join(parts)


def word(n: int, singular: str, plural: str | None = None) -> str:
    """The word alone, agreed with ``n`` (« levé » / « levés »)."""
    return singular if abs(n) <= 1 else (plural or singular + "s")


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    """A code's French label, alone (``singular``) and for a count of several (``plural``)."""

    singular: str
    plural: str

    def count(self, n: int) -> str:
        """``1 constat bloquant``, ``3 constats bloquants``."""
        return count(n, self.singular, self.plural)


# --------------------------------------------------------------------------- severities

SEVERITY_RANK = {"bloquant": 0, "a_corriger": 1, "alerte": 2}
SEVERITY_LABELS = {"bloquant": "Bloquant", "a_corriger": "À corriger", "alerte": "Alerte"}
#: What a count of findings of a severity is called (« 2 constats bloquants »).
SEVERITY_FINDINGS = {
    "bloquant": Label("constat bloquant", "constats bloquants"),
    "a_corriger": Label("constat à corriger", "constats à corriger"),
    "alerte": Label("alerte", "alertes"),
}

# --------------------------------------------------------------------------- verdicts

VERDICT_RANK = {"non_recevable": 0, "a_completer": 1, "recevable": 2}  # the most serious first
VERDICT_LABELS = {"recevable": "Recevable", "a_completer": "À compléter", "non_recevable": "Non recevable"}
#: How several dossiers of a verdict are called (« 3 dossiers recevables »).
VERDICT_DOSSIERS = {
    "recevable": Label("recevable", "recevables"),
    "a_completer": Label("à compléter", "à compléter"),
    "non_recevable": Label("non recevable", "non recevables"),
}

# --------------------------------------------------------------------------- document kinds

KIND_LABELS = {
    "budget": "budget détaillé",
    "structures": "liste des structures engagées",
    "planning": "planning du projet",
    "gouvernance": "gouvernance du projet",
    "strategie_deploiement": "stratégie de déploiement",
    "conduite_changement": "plan de conduite du changement",
    "autre": "autre pièce",
    "illisible": "pièce illisible",
}
FORM_LABEL = "formulaire en ligne"  # what the owner filled online (dossier.json or its PDF export)

# --------------------------------------------------------------------------- online form

#: Keys of ``dossier.json`` (dossier-format.md) → the field's name on the online form. The
#: PDF export is read by the same names (``extractors/headers.yaml`` ``form_labels``, whose
#: first synonym of each key is this label).
FORM_FIELD_LABELS = {
    "numero": "Numéro de dossier",
    "appel": "Appel à projets",
    "date_depot": "Date de dépôt",
    "porteur.raison_sociale": "Raison sociale du porteur",
    "porteur.finess_ej": "FINESS juridique du porteur",
    "porteur.siret": "SIRET",
    "porteur.contact.nom": "Nom du contact",
    "porteur.contact.email": "Courriel du contact",
    "porteur.contact.telephone": "Téléphone du contact",
    "type_projet": "Type de projet",
    "nb_essms_declare": "Nombre d'ESSMS du projet",
    "montant_demande": "Montant total demandé",
    "editeur": "Éditeur",
    "logiciel": "Logiciel",
    "referencement_segur": "Référencement Ségur",
}


def sentence_case(text: str) -> str:
    """The first letter in capital, the rest untouched (``FINESS`` stays ``FINESS``)."""
    return text[:1].upper() + text[1:]


def _code(value: object) -> str:
    return getattr(value, "value", value) if value is not None else ""  # an enum member or its code


def severity_label(value: object) -> str:
    """``Bloquant``, ``À corriger``, ``Alerte``; an unknown code as it is."""
    code = _code(value)
    return SEVERITY_LABELS.get(code, str(code))


def verdict_label(value: object) -> str:
    """``Recevable``, ``À compléter``, ``Non recevable``; an unknown code as it is."""
    code = _code(value)
    return VERDICT_LABELS.get(code, str(code))


def kind_label(value: object) -> str:
    """``budget détaillé``…, in a sentence; an unknown code as it is."""
    code = _code(value)
    return KIND_LABELS.get(code, str(code))


def form_field_label(key: str) -> str:
    """The online form's name of a ``dossier.json`` key. A key the catalogue does not know
    (a field added by the téléservice) is shown with its words, never its dotted code:
    ``porteur.adresse_postale`` → ``porteur, adresse postale``."""
    label = FORM_FIELD_LABELS.get(key)
    if label:
        return label
    return ", ".join(part.replace("_", " ").strip() for part in key.split(".") if part.strip()) or key


# --------------------------------------------------------------------------- call configuration values

#: A configuration value's confidence (core.config.Sourced) as a reviewer reads it.
CONFIDENCE_LABELS = {"confirme": "confirmé", "partiel": "partiel", "a_confirmer": "à confirmer"}

_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def config_value(key: str, value: Any) -> str:
    """A configuration value (as the snapshot holds it: JSON) as a reviewer reads it."""
    if value is None:
        return "non fixé pour cet appel"
    if isinstance(value, bool):
        return "oui" if value else "non"
    money = any(word in key for word in ("forfait", "ceiling", "envelope", "moa", "editeur", "bonus", "amount"))
    if isinstance(value, (int, float)):
        if money:
            return euros(float(value))
        return number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, (list, tuple)):
        if money and all(isinstance(v, (int, float)) for v in value) and len(value) == 2:
            return f"{euros(float(value[0]))} (à partir du palier réduit : {euros(float(value[1]))})"
        return ", ".join(config_value(key, v) for v in value) or "aucun"
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {config_value(key, v)}" for k, v in value.items()) or "aucun"
    if isinstance(value, dt.datetime):
        return datetime_short(value)
    if isinstance(value, dt.date):
        return date_short(value)
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return datetime_short(value) if len(value) > 10 else date_short(value)
    return str(value)
