"""Missing data is never a rejection (rules.md): a blank FINESS or organisme gestionnaire is
asked for, and the rules that count (GRP-03, GRP-04, GRP-07) do not decide on a count that
depends on it. Only what the dossier positively shows makes it non recevable."""

from __future__ import annotations

import pytest

from core.config import load_call
from core.models import CellValue, Severity
from extractors.extract import extract
from extractors.intake import open_dossier
from judging.analysis import read_dossier
from validators.engine import decide, run_rules


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("missing-src")
    generate(out, calls=["ars-ara-2022-regional"], only=["clean-workbook"])
    generate(out, calls=["ars-ara-2021-amorcage"], only=["clean-amorcage"])
    return out


def _data(generated, call_id: str):
    [path] = (generated / call_id / "dossiers").iterdir()
    config = load_call(call_id)
    with open_dossier(path) as dossier:
        data = read_dossier(dossier, config, extract)
    assert data.structures is not None
    return data, config


def _blank(row, field: str) -> None:
    cell = row.get(field)
    if cell is not None:
        row.cells[field] = CellValue(None, cell.location)


def _by_rule(findings, rule_id):
    return [f for f in findings if f.rule == rule_id]


def test_blank_finess_rows_are_asked_for_and_the_size_not_decided(generated):
    data, config = _data(generated, "ars-ara-2022-regional")
    minimum = config.grouping.min_essms.value
    rows = data.structures.rows
    blanks = len(rows) - minimum + 1  # with them the grouping reaches the minimum, without them it does not
    for row in rows[-blanks:]:
        _blank(row, "finess_et")
    findings = run_rules(data, config)
    assert data.essms_count == minimum - 1 and len(data.unidentified_essms) == blanks
    assert not data.excluded_essms  # a blank FINESS does not exclude
    grp01 = [f for f in _by_rule(findings, "GRP-01") if f.found == "(vide)"]
    assert len(grp01) == blanks and all(f.severity is Severity.A_CORRIGER and f.location.cell for f in grp01)
    [size] = _by_rule(findings, "GRP-03")
    assert size.severity is Severity.ALERTE and "n'ont pas de FINESS" in size.message
    assert not _by_rule(findings, "GRP-06")
    assert decide(findings).value == "a_completer"


def test_a_grouping_too_small_even_with_its_blank_rows_is_non_recevable(generated):
    data, config = _data(generated, "ars-ara-2022-regional")
    minimum = config.grouping.min_essms.value
    del data.structures.rows[minimum - 1 :]  # one row short of the minimum…
    _blank(data.structures.rows[0], "finess_et")  # …and one of them without FINESS
    findings = run_rules(data, config)
    [size] = _by_rule(findings, "GRP-03")
    assert size.severity is Severity.BLOQUANT and f"compte {minimum - 2} ESSMS" in size.message
    assert decide(findings).value == "non_recevable"


def test_blank_organismes_are_asked_for_when_the_count_depends_on_them(generated):
    data, config = _data(generated, "ars-ara-2021-amorcage")
    minimum = config.grouping.min_og.value
    owners = {}
    for row in data.structures.rows:
        owners.setdefault(row.get("finess_ej").text, []).append(row)
    assert len(owners) == minimum  # the clean amorçage dossier has exactly the minimum
    smallest = min(owners.values(), key=len)
    for row in smallest:
        _blank(row, "finess_ej")
        _blank(row, "organisme_gestionnaire")
    findings = run_rules(data, config)
    grp07 = _by_rule(findings, "GRP-07")
    assert len(grp07) == len(smallest) and {f.severity for f in grp07} == {Severity.A_CORRIGER}
    assert all("n'est pas indiqué" in f.message and f.location.cell for f in grp07)
    assert decide(findings).value == "a_completer"


def test_too_few_organismes_even_counting_the_blank_ones_is_non_recevable(generated):
    data, config = _data(generated, "ars-ara-2021-amorcage")
    owners = {}
    for row in data.structures.rows:
        owners.setdefault(row.get("finess_ej").text, []).append(row)
    keep = sorted(owners.values(), key=len)[-1]  # only the largest organisme remains
    data.structures.rows[:] = keep
    findings = run_rules(data, config)
    [grp07] = _by_rule(findings, "GRP-07")
    assert grp07.severity is Severity.BLOQUANT and "1 organisme gestionnaire ;" in grp07.message
