"""The committee's figures from a summary: recevable dossiers only, group A first, the running
total against the envelope, the balance of départements, sectors and capacities (amounts
split pro rata of each dossier's eligible ESSMS)."""

from __future__ import annotations

import io

import pytest

from conftest import a_report
from core.records import DossierState
from web.committee import capacity_bin, committee, committee_xlsx

SUMMARY = {
    "sector_labels": {"personnes_agees": "personnes âgées", "personnes_handicapees": "personnes handicapées"},
    "totals": {"envelope": {"envelope": 1_000_000.0, "envelope_source": "arrêté du 1er mars"}},
    "dossiers": [
        {
            "dossier": "D1",
            "verdict": "recevable",
            "porteur": '=HYPERLINK("x")',
            "departments": ["07"],
            "sectors": ["personnes_agees"],
            "essms_count": 2,
            "amount_eligible": 600_000.0,
            "counts": {"leves": 1},
        },
        {
            "dossier": "D2",
            "verdict": "recevable",
            "porteur": "B",
            "departments": ["26", "38"],
            "sectors": ["personnes_handicapees"],
            "essms_count": 2,
            "amount_eligible": 500_000.0,
        },
        {"dossier": "D3", "verdict": "a_completer", "porteur": "C", "amount_eligible": 900_000.0},
    ],
}
REPORTS = {
    "D1": a_report(
        dossier="D1",
        essms=[
            {"finess": "070000011", "department": "07", "sector": "personnes_agees", "capacity": 80},
            {"finess": "070000029", "department": "07", "sector": "personnes_agees", "capacity": None},
            {"finess": "070000037", "department": "07", "sector": "ahi", "capacity": 10, "eligible": False},
        ],
    ),
    "D2": a_report(
        dossier="D2",
        essms=[
            {"finess": "260000013", "department": "26", "sector": "personnes_handicapees", "capacity": 20},
            {"finess": "380000014", "department": "38", "sector": "personnes_handicapees", "capacity": 120},
        ],
    ),
}


def test_running_total_against_the_envelope_and_the_balance():
    states = {"D2": DossierState("appel", "D2", version=3, decision="A", decision_motif="Solide")}
    c = committee(SUMMARY, states, REPORTS.__getitem__)
    assert [r["dossier"] for r in c["rows"]] == ["D2", "D1", "D3"], "every dossier, recevables and group A first"
    assert [r["running"] for r in c["rows"]] == [500_000.0, 1_100_000.0, None], "the running total of recevables"
    assert [r["over"] for r in c["rows"]] == [False, True, None]
    assert (c["amount_proposed"], c["balance"], c["ratio"]) == (500_000.0, 500_000.0, 0.5)
    assert c["by_group"]["A"] == 1 and c["undecided"] == 2
    departments = {d["label"]: d for d in c["departments"]}
    assert departments["26"]["amount_a"] == pytest.approx(250_000.0) and departments["07"]["dossiers_a"] == 0
    sectors = {s["code"]: s for s in c["sectors"]}
    assert sectors["personnes_agees"]["essms"] == 2 and "ahi" not in sectors, "ineligible ESSMS left out"
    assert sectors["personnes_handicapees"]["share_a"] == 1.0
    capacities = {b["label"]: b["essms"] for b in c["capacities"]}
    assert capacities == {
        "moins de 30 places": 1,
        "60 à 99 places": 1,
        "100 places ou plus": 1,
        "capacité non renseignée": 1,
    }
    assert capacity_bin(30) == "30 à 59 places" and capacity_bin(29) == "moins de 30 places"


def test_the_export_writes_text_as_text():
    import openpyxl

    c = committee(SUMMARY, {}, REPORTS.__getitem__)
    workbook = openpyxl.load_workbook(io.BytesIO(committee_xlsx("Appel", "REF", c)))
    sheet = workbook["Comité"]
    header = [cell.value for cell in sheet[1]]
    porteurs = [row[header.index("Porteur")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("x")' in porteurs
    assert all(cell.data_type != "f" for ws in workbook.worksheets for row in ws.iter_rows() for cell in row)


def test_every_dossier_by_verdict_and_group_and_every_department_of_the_call():
    states = {
        "D2": DossierState("appel", "D2", version=1, decision="A"),
        "D3": DossierState("appel", "D3", version=1, decision="C"),
    }
    summary = {**SUMMARY, "call_snapshot": {"departments": ["01", "07", "26", "38", "73"]}}
    c = committee(summary, states, REPORTS.__getitem__)
    by_verdict = {v["verdict"]: v for v in c["by_verdict"]}
    assert by_verdict["recevable"]["groups"] == {"A": 1, "B": 0, "C": 0, "D": 0, None: 1}
    assert by_verdict["a_completer"]["groups"]["C"] == 1 and c["by_group"]["C"] == 1, "C and D counted too"
    departments = {d["label"]: d for d in c["departments"]}
    assert set(departments) >= {"01", "07", "26", "38", "73"} and departments["73"]["dossiers"] == 0


def test_without_an_envelope_nothing_is_compared_and_the_decideurs_envelope_wins():
    import openpyxl

    from core.french import now_paris
    from core.records import Event

    bare = {**SUMMARY, "totals": {}}
    c = committee(bare, {}, REPORTS.__getitem__)
    assert c["envelope"] is None and c["balance"] is None and all(r["over"] is None for r in c["rows"])
    sheet = openpyxl.load_workbook(io.BytesIO(committee_xlsx("Appel", "REF", c)))["Comité"]
    assert "Au-delà de l'enveloppe" not in [cell.value for cell in sheet[1]]
    entered = Event(1, "appel", "", "enveloppe", "paul", now_paris(), {"before": None, "after": 1_500_000.0})
    c = committee(SUMMARY, {}, REPORTS.__getitem__, entered)
    assert c["envelope"] == 1_500_000.0 and "saisie par paul" in c["envelope_source"]
    assert [r["over"] for r in c["rows"]] == [False, False, None]
