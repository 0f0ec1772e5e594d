"""DEP-01 and DEP-02: the deposit date against the call's window (Paris time), on a generated
dossier whose online form is changed field by field. A missing or unreadable date is an
alerte, never a guess; a date without time decides only what the whole day decides."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from core.config import load_call
from core.models import CellValue, Location, Severity
from extractors.extract import extract
from extractors.intake import open_dossier
from judging.analysis import read_dossier
from validators.deposit import parse_deposit
from validators.registry import all_rules


@pytest.fixture(scope="module")
def dossier_data(tmp_path_factory):
    """The clean regional dossier as the rules see it (read once)."""
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("dep-src")
    generate(out, calls=["ars-ara-2022-regional"], only=["clean-workbook"])
    [path] = (out / "ars-ara-2022-regional" / "dossiers").iterdir()
    config = load_call("ars-ara-2022-regional")
    with open_dossier(path) as dossier:
        data = read_dossier(dossier, config, extract)
    assert data.form is not None and data.form.get("date_depot") is not None
    return data


def _run(rule_id: str, data, config, **form):
    data = copy.copy(data)
    data.form = copy.deepcopy(data.form)
    for key, value in form.items():
        if value is _ABSENT:
            data.form.values.pop(key, None)
        else:
            data.form.values[key] = CellValue(value, Location("dossier.json", field=key))
    return list(all_rules()[rule_id].check(data, config))


_ABSENT = object()


@pytest.mark.parametrize(
    "date_depot, severity, words",
    [
        ("2022-09-28T17:42:10+02:00", None, None),  # well within the window
        ("2022-09-30T23:40:00+02:00", None, None),  # the last minutes of the closing day
        ("2022-09-30T23:40:00", None, None),  # no offset: Paris time
        ("2022-09-30", None, None),  # the closing day, no time: the whole day is in the window
        ("30/09/2022", None, None),  # as the téléservice prints it
        ("2022-09-30T22:30:00Z", Severity.BLOQUANT, "1er octobre 2022 à 00:30"),  # UTC: 00:30 in Paris, too late
        ("2022-10-03T10:12:00+02:00", Severity.BLOQUANT, "après la clôture de l'appel le 30 septembre 2022 à 23:59"),
        ("03/10/2022", Severity.BLOQUANT, "3 octobre 2022, après la clôture"),
        ("2022-03-14T18:00:00+01:00", Severity.BLOQUANT, "avant l'ouverture de l'appel le 15 mars 2022"),
        ("le 31/09/2022", Severity.ALERTE, "n'a pas pu être lue"),  # no such day: never guessed
        ("demain", Severity.ALERTE, "n'a pas pu être lue"),
        (_ABSENT, Severity.ALERTE, "ne porte pas de date de dépôt"),
    ],
)
def test_dep01_deposit_window(dossier_data, date_depot, severity, words):
    config = load_call("ars-ara-2022-regional")
    hits = _run("DEP-01", dossier_data, config, date_depot=date_depot)
    if severity is None:
        assert hits == []
        return
    [hit] = hits
    assert (hit.severity or all_rules()["DEP-01"].severity) is severity
    assert words in hit.message
    assert hit.location is not None and hit.location.file


def test_dep01_a_day_without_time_on_a_closing_day_at_noon_is_an_alerte(dossier_data):
    config = load_call("ars-ara-2022-regional")
    closes = config.submission.closes.model_copy(
        update={"value": config.submission.closes.value.replace(hour=12, minute=0, second=0)}
    )
    noon = config.model_copy(update={"submission": config.submission.model_copy(update={"closes": closes})})
    [hit] = _run("DEP-01", dossier_data, noon, date_depot="30/09/2022")
    assert hit.severity is Severity.ALERTE and "l'heure du dépôt n'est pas indiquée" in hit.message
    assert _run("DEP-01", dossier_data, noon, date_depot="30/09/2022 11:59") == []
    [late] = _run("DEP-01", dossier_data, noon, date_depot="30/09/2022 à 12h01")
    assert late.severity is None  # the rule's own severity: bloquant


def test_dep01_without_a_form_is_an_alerte(dossier_data):
    data = copy.copy(dossier_data)
    data.form = None
    [hit] = list(all_rules()["DEP-01"].check(data, load_call("ars-ara-2022-regional")))
    assert hit.severity is Severity.ALERTE and "formulaire" in hit.message


def _with_resubmission_date(day: dt.date):
    config = load_call("ars-ara-2022-regional")
    when = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=config.submission.closes.value.tzinfo)
    field = config.submission.resubmission_closes.model_copy(update={"value": when})
    return config.model_copy(update={"submission": config.submission.model_copy(update={"resubmission_closes": field})})


@pytest.mark.parametrize(
    "answer, date_depot, expected",
    [
        (True, "2022-06-20T14:02:00+02:00", Severity.BLOQUANT),
        ("Oui", "20/06/2022", Severity.BLOQUANT),
        (True, "2022-06-06T23:00:00+02:00", None),  # the deadline day is included
        (True, "2022-06-06", None),
        (False, "2022-06-20T14:02:00+02:00", None),  # a new project: the call's own window applies
        (_ABSENT, "2022-06-20T14:02:00+02:00", None),  # the form does not say: a new project
        ("peut-être", "2022-06-20T14:02:00+02:00", Severity.ALERTE),
        (True, _ABSENT, None),  # no deposit date: DEP-01 says so
    ],
)
def test_dep02_resubmitted_projects(dossier_data, answer, date_depot, expected):
    config = _with_resubmission_date(dt.date(2022, 6, 6))
    hits = _run("DEP-02", dossier_data, config, depot_anterieur_non_retenu=answer, date_depot=date_depot)
    if expected is None:
        assert hits == []
        return
    [hit] = hits
    assert (hit.severity or all_rules()["DEP-02"].severity) is expected
    if expected is Severity.BLOQUANT:
        assert "6 juin 2022 à 23:59" in hit.message and "20 juin 2022" in hit.message


def test_dep02_is_off_where_the_call_sets_no_date(dossier_data):
    config = load_call("ars-ara-2022-regional")
    assert config.submission.resubmission_closes.value is None
    assert (
        _run("DEP-02", dossier_data, config, depot_anterieur_non_retenu=True, date_depot="2022-09-28T10:00:00+02:00")
        == []
    )


@pytest.mark.parametrize(
    "raw, moment, day_only",
    [
        ("2022-09-28T17:42:10+02:00", (2022, 9, 28, 17, 42, 10), False),
        ("28 septembre 2022 à 17h42", (2022, 9, 28, 17, 42, 0), False),
        ("le 28/09/2022 à 17:42", (2022, 9, 28, 17, 42, 0), False),
        ("1er mars 2022", (2022, 3, 1, 0, 0, 0), True),
        (dt.date(2022, 9, 28), (2022, 9, 28, 0, 0, 0), True),
    ],
)
def test_deposit_dates_read_as_written(raw, moment, day_only):
    deposit, problem = parse_deposit(raw)
    assert problem is None and deposit.day_only is day_only
    assert deposit.moment.replace(tzinfo=None) == dt.datetime(*moment)
    assert deposit.moment.tzinfo is not None


@pytest.mark.parametrize("raw", ["12/13/2022", "hier", "2022-02-30", 20220928, ""])
def test_deposit_dates_are_never_guessed(raw):
    deposit, problem = parse_deposit(raw)
    assert deposit is None and problem


# --------------------------------------------------------------------------- every form the téléservice wrote


@pytest.mark.parametrize(
    "raw, moment, precision, form",
    [
        # rails-i18n time.formats.long, the « Déposé le » of the PDF export until June 2023
        ("mercredi 28 septembre 2022 17h42", (2022, 9, 28, 17, 42), "minute", "ds-2019"),
        ("Vendredi 07 juin 2019 11h47", (2019, 6, 7, 11, 47), "minute", "ds-2019"),
        # June 2023 – April 2024: %d %B %y %H:%m, the month after the colon: the hour alone is known
        ("28 septembre 22 17:09", (2022, 9, 28, 17, 0), "hour", "ds-2023"),
        ("30 septembre 23 23:09", (2023, 9, 30, 23, 0), "hour", "ds-2023"),
        # since April 2024: %d %B %y %H:%M (digits that are not the month are minutes)
        ("28 septembre 22 17:42", (2022, 9, 28, 17, 42), "minute", "ds-2024"),
        ("1er octobre 24 08:05", (2024, 10, 1, 8, 5), "minute", "ds-2024"),
        # later pages: « 22 octobre 2025 à 19:03 », « mercredi 22 octobre 2025 à 19:03 »
        ("22 octobre 2025 à 19:03", (2025, 10, 22, 19, 3), "minute", "worded"),
        ("mercredi 22 octobre 2025 à 19:03", (2025, 10, 22, 19, 3), "minute", "worded"),
        # the CSV export (Ruby Time#to_s), ISO, numeric, a spreadsheet cell
        ("2022-09-28 17:42:10 +0200", (2022, 9, 28, 17, 42, 10), "minute", "csv"),
        ("2022-09-28T15:42:10Z", (2022, 9, 28, 17, 42, 10), "minute", "iso"),
        ("28/09/2022 17:42", (2022, 9, 28, 17, 42), "minute", "numeric"),
        (dt.datetime(2022, 9, 28, 17, 42), (2022, 9, 28, 17, 42), "minute", "cell"),
        ("28/09/2022", (2022, 9, 28), "day", "numeric"),
    ],
)
def test_every_deposit_form_of_the_teleservice(raw, moment, precision, form):
    deposit, problem = parse_deposit(raw)
    assert problem is None, problem
    assert (deposit.precision, deposit.form) == (precision, form)
    assert deposit.moment.replace(tzinfo=None) == dt.datetime(*moment)
    assert str(deposit.moment.tzinfo) == "Europe/Paris"


def test_a_weekday_that_contradicts_the_date_is_not_read():
    deposit, problem = parse_deposit("lundi 28 septembre 2022 17h42")
    assert deposit is None and "jour de la semaine" in problem


def test_an_hour_only_deposit_covers_the_whole_hour():
    deposit, _ = parse_deposit("30 septembre 23 23:09")
    assert deposit.latest.replace(tzinfo=None) == dt.datetime(2023, 9, 30, 23, 59, 59)
    assert deposit.describe() == "30 septembre 2023 entre 23:00 et 23:59"
    assert "mois à leur place" in deposit.to_dict()["note"]


def _closing(config, closes: dt.datetime):
    submission = config.submission.model_copy(
        update={"closes": config.submission.closes.model_copy(update={"value": closes})}
    )
    return config.model_copy(update={"submission": submission})


@pytest.mark.parametrize(
    "date_depot, late",
    [
        ("vendredi 30 septembre 2022 23h40", False),
        ("samedi 01 octobre 2022 00h10", True),
        ("30 septembre 22 23:09", False),  # 2023-2024 form: 23:00-23:59, before 23:59:59
        ("01 octobre 22 00:10", True),  # 2023-2024 form: 00:00-00:59 the next day
        ("30 septembre 22 23:41", False),
        ("01 octobre 22 00:01", True),
    ],
)
def test_dep01_in_each_teleservice_form(dossier_data, date_depot, late):
    config = load_call("ars-ara-2022-regional")
    hits = _run("DEP-01", dossier_data, config, date_depot=date_depot)
    assert [h.severity or all_rules()["DEP-01"].severity for h in hits] == ([Severity.BLOQUANT] if late else [])


def test_dep01_explains_a_deposit_in_the_closing_hour_without_minutes(dossier_data):
    """The 2023-2024 form at a call closing at noon: 12:00-12:59 straddles the deadline."""
    config = load_call("ars-ara-2022-regional")
    config = _closing(config, dt.datetime(2022, 9, 30, 12, 0, tzinfo=config.submission.closes.value.tzinfo))
    [hit] = _run("DEP-01", dossier_data, config, date_depot="30 septembre 22 12:09")
    assert hit.severity is Severity.ALERTE
    assert "entre 12:00 et 12:59" in hit.message and "mois à leur place" in hit.message
    assert _run("DEP-01", dossier_data, config, date_depot="30 septembre 22 11:09") == []
    [late] = _run("DEP-01", dossier_data, config, date_depot="30 septembre 22 13:09")
    assert (late.severity or all_rules()["DEP-01"].severity) is Severity.BLOQUANT
