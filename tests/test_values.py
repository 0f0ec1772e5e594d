"""French amounts, dates and booleans as owners type them."""

import datetime as dt

import pytest

from core.french import euros as format_euros
from extractors.values import parse_amount, parse_bool, parse_date, parse_int, parse_project_type


@pytest.mark.parametrize(
    "raw, expected",
    [
        (12000, 12000.0),
        (12000.5, 12000.5),
        ("12 000", 12000.0),
        ("12 000,00 €", 12000.0),
        ("12\u00a0000,50\u00a0€", 12000.5),
        ("12\u202f000 €", 12000.0),
        ("12.000,00", 12000.0),
        ("12.000", 12000.0),
        ("1.234.567,89", 1234567.89),
        ("12000 EUR", 12000.0),
        ("12000 euros", 12000.0),
        ("12 k€", 12000.0),
        ("2,5 k€", 2500.0),
        ("7000,5", 7000.5),
        ("-500", -500.0),
        ("1,234.56", 1234.56),
        ("0,50", 0.5),
    ],
)
def test_amounts_are_read_as_french_owners_write_them(raw, expected):
    parsed = parse_amount(raw)
    assert parsed.ok, parsed.problem
    assert parsed.value == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["à préciser", "douze mille", "12,000", "1.23.4", "N/A", True])
def test_unreadable_or_ambiguous_amounts_are_reported_not_guessed(raw):
    parsed = parse_amount(raw)
    assert parsed.value is None
    assert parsed.problem and "«" in parsed.problem


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_amount_is_missing_not_an_error(raw):
    assert parse_amount(raw).value is None and parse_amount(raw).ok


@pytest.mark.parametrize(
    "raw, end, expected",
    [
        (dt.datetime(2022, 9, 28, 10, 0), False, dt.date(2022, 9, 28)),
        (dt.date(2023, 1, 2), False, dt.date(2023, 1, 2)),
        ("28/09/2022", False, dt.date(2022, 9, 28)),
        ("28-09-22", False, dt.date(2022, 9, 28)),
        ("2022-09-28", False, dt.date(2022, 9, 28)),
        (44832, False, dt.date(2022, 9, 28)),  # Excel serial
        ("sept. 2022", False, dt.date(2022, 9, 1)),
        ("sept. 2022", True, dt.date(2022, 9, 30)),
        ("Février 2024", True, dt.date(2024, 2, 29)),
        ("T3 2023", False, dt.date(2023, 7, 1)),
        ("T3 2023", True, dt.date(2023, 9, 30)),
        ("S2 2024", True, dt.date(2024, 12, 31)),
        ("S1 2025", False, dt.date(2025, 1, 1)),
        ("09/2023", True, dt.date(2023, 9, 30)),
    ],
)
def test_dates_in_planning_formats(raw, end, expected):
    parsed = parse_date(raw, end_of_period=end)
    assert parsed.ok, parsed.problem
    assert parsed.value == expected


@pytest.mark.parametrize("raw", ["31/02/2023", "bientôt", "T5 2023", 12])
def test_bad_dates_are_reported(raw):
    parsed = parse_date(raw)
    assert parsed.value is None and parsed.problem


def test_booleans_and_project_types():
    assert parse_bool("Oui").value is True
    assert parse_bool("X").value is True
    assert parse_bool("✓").value is True
    assert parse_bool("Non").value is False
    assert parse_bool("peut-être").problem
    assert parse_project_type("Acquisition").value == "acquisition"
    assert parse_project_type("Mise en conformité").value == "mise_en_conformite"
    assert parse_project_type("montée de version").value == "mise_en_conformite"
    assert parse_project_type("autre chose").problem


def test_integers_and_euro_formatting():
    assert parse_int("17").value == 17
    assert parse_int(17.0).value == 17
    assert parse_int("17,5").problem
    assert format_euros(8000) == "8\u202f000\u00a0€"
    assert format_euros(1234.5) == "1\u202f234,50\u00a0€"


def test_a_filing_date_with_its_time_reads_as_the_day():
    assert parse_date("28/09/2022 17:42").value == dt.date(2022, 9, 28)
    assert parse_date("28/09/2022 à 17h42").value == dt.date(2022, 9, 28)
