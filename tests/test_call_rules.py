"""Rules over the whole call (LOT): double funding, resubmissions; the envelope figure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import typed
from core.config import load_call
from judging.analysis import analyse_dossiers
from validators.call_figures import envelope_status


@pytest.fixture(scope="module")
def clean_dossier(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("lot-src")
    generate(out, calls=["ars-ara-2022-regional"], only=["clean-workbook"])
    [dossier] = (out / "ars-ara-2022-regional" / "dossiers").iterdir()
    return dossier


def _copy(src: Path, dest: Path, **form) -> Path:
    shutil.copytree(src, dest)
    path = dest / "dossier.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in form.items():
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dest


def _run(tmp_path: Path, dossiers: list[Path], config) -> dict[str, dict]:
    analyse_dossiers(dossiers, config, tmp_path / "out")
    return {
        d.name: json.loads((tmp_path / "out" / d.name / "report.json").read_text(encoding="utf-8")) for d in dossiers
    }


def test_essms_shared_with_an_earlier_dossier_are_excluded_then_the_rest_is_judged(tmp_path, clean_dossier):
    """LOT-01 excludes and recounts like GRP-06: the later dossier loses the shared ESSMS from
    its count and its funding, and is judged on what remains; here nothing remains, so it is
    non recevable through GRP-03, re-decided after the call's exclusions (rules.md)."""
    config = load_call("ars-ara-2022-regional")
    early = _copy(
        clean_dossier,
        tmp_path / "call" / "A",
        date_depot="2022-09-01T10:00:00+02:00",
        **{"porteur.finess_ej": "690781810", "porteur.raison_sociale": "GCSMS Rhône Numérique"},
    )
    late = _copy(clean_dossier, tmp_path / "call" / "B", date_depot="2022-09-20T10:00:00+02:00")
    reports = _run(tmp_path, [early, late], config)
    a, b = reports["A"], reports["B"]
    assert a["verdict"] == "recevable"
    assert {f["severity"] for f in a["findings"] if f["rule"] == "LOT-01"} == {"alerte"}
    assert a["essms_count"] == len(a["essms"]) and a["amount_eligible"] == a["basis"]["amount_eligible"]
    lot = [f for f in b["findings"] if f["rule"] == "LOT-01"]
    assert {f["severity"] for f in lot} == {"a_corriger"} and len(lot) == len(b["essms"])
    assert all("dossier A" in f["message"] and f["location"]["cell"] for f in lot)
    assert all(e["call_exclusion"] == "LOT-01" and not e["eligible"] and e["amount_eligible"] == 0 for e in b["essms"])
    assert b["essms_count"] == 0
    assert b["amount_eligible"] == pytest.approx(b["basis"]["amoa_eligible"])
    [size] = [f for f in b["findings"] if f["rule"] == "GRP-03"]
    assert size["severity"] == "bloquant" and size["recount"] and "voir LOT-01" in size["message"]
    assert b["verdict"] == "non_recevable" and "GRP-03" in b["verdict_reason"]
    html = (tmp_path / "out" / "B" / "report.html").read_text(encoding="utf-8")
    assert "LOT-01" in html and "Non recevable" in html


def _funded(config, finess: list[str]):
    history = config.history.model_copy(
        update={"previously_funded": config.history.previously_funded.model_copy(update={"value": finess})}
    )
    return config.model_copy(update={"history": history})


def test_a_previously_funded_essms_is_excluded_and_the_dossier_recounted(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    alone = json.loads(json.dumps(_run(tmp_path, [_copy(clean_dossier, tmp_path / "call" / "X")], config)["X"]))
    assert alone["verdict"] == "recevable" and alone["essms_count"] > config.grouping.min_essms.value
    entry = next(e for e in alone["essms"] if e["amount_eligible"])
    reports = _run(
        tmp_path / "again", [_copy(clean_dossier, tmp_path / "again-call" / "Y")], _funded(config, [entry["finess"]])
    )
    y = reports["Y"]
    [lot] = [f for f in y["findings"] if f["rule"] == "LOT-01"]
    assert lot["severity"] == "a_corriger" and "déjà été financé" in lot["message"] and "exclu" in lot["message"]
    assert y["verdict"] == "a_completer" and "LOT-01" in y["verdict_reason"]
    assert y["essms_count"] == alone["essms_count"] - 1 and y["essms_listed"] == alone["essms_listed"]
    assert y["amount_eligible"] == pytest.approx(alone["amount_eligible"] - entry["amount_eligible"], abs=0.01)
    excluded = next(e for e in y["essms"] if e["finess"] == entry["finess"])
    assert excluded["call_exclusion"] == "LOT-01" and excluded["amount_eligible"] == 0
    assert not any(f["rule"] == "GRP-03" for f in y["findings"])
    # the figures, the owner's action and the letter say the same thing
    html = (tmp_path / "again" / "out" / "Y" / "report.html").read_text(encoding="utf-8")
    assert f"{y['essms_count']} / {y['essms_listed']}" in html
    assert "exclu du financement de ce projet" in lot["action"]
    assert (tmp_path / "again" / "out" / "Y" / "courrier.docx").is_file()


def test_exclusions_under_the_minimum_make_the_dossier_non_recevable_through_grp03(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    alone = json.loads(json.dumps(_run(tmp_path, [_copy(clean_dossier, tmp_path / "call" / "X")], config)["X"]))
    minimum = config.grouping.min_essms.value
    funded = [e["finess"] for e in alone["essms"][: alone["essms_count"] - minimum + 1]]
    y = _run(tmp_path / "again", [_copy(clean_dossier, tmp_path / "again-call" / "Y")], _funded(config, funded))["Y"]
    assert y["essms_count"] == minimum - 1
    [size] = [f for f in y["findings"] if f["rule"] == "GRP-03"]
    assert size["severity"] == "bloquant" and f"compte {minimum - 1} ESSMS" in size["message"]
    assert y["verdict"] == "non_recevable"


def test_a_waived_exclusion_puts_the_essms_back(tmp_path, clean_dossier):
    """A reviewer who waives LOT-01 keeps the ESSMS: count, amount and GRP-03 come back to the
    dossier's own reading; finalizing again changes nothing (the waiver path re-finalizes)."""
    import datetime as dt

    from core.records import Waiver
    from judging.finalize import finalize_report

    config = load_call("ars-ara-2022-regional")
    alone = json.loads(json.dumps(_run(tmp_path, [_copy(clean_dossier, tmp_path / "call" / "X")], config)["X"]))
    minimum = config.grouping.min_essms.value
    funded = [e["finess"] for e in alone["essms"][: alone["essms_count"] - minimum + 1]]
    y = _run(tmp_path / "again", [_copy(clean_dossier, tmp_path / "again-call" / "Y")], _funded(config, funded))["Y"]
    assert y["verdict"] == "non_recevable"
    again = finalize_report(typed(y), lot=[], waivers=[], latest=None, submission_sha256="x").report.to_json()
    assert again["essms_count"] == y["essms_count"] and again["verdict"] == y["verdict"]
    assert [f["rule"] for f in again["findings"]] == [f["rule"] for f in y["findings"]]
    waiver = Waiver(
        1,
        "Y",
        "LOT-01",
        [f["fingerprint"] for f in y["findings"] if f["rule"] == "LOT-01"],
        "financement antérieur pour un autre logiciel",
        "instructeur",
        dt.datetime.now(dt.UTC),
    )
    waived = finalize_report(typed(y), lot=[], waivers=[waiver], latest=None, submission_sha256="x").report.to_json()
    assert waived["essms_count"] == alone["essms_count"]
    assert waived["amount_eligible"] == pytest.approx(alone["amount_eligible"])
    assert not any(f["rule"] == "GRP-03" for f in waived["findings"])
    assert waived["verdict"] == "recevable"


def test_a_resubmission_is_flagged_not_blocked(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    first = _copy(clean_dossier, tmp_path / "call" / "V1", date_depot="2022-09-01T10:00:00+02:00")
    second = _copy(clean_dossier, tmp_path / "call" / "V2", date_depot="2022-09-25T10:00:00+02:00")
    reports = _run(tmp_path, [first, second], config)
    for name in ("V1", "V2"):
        rules = {f["rule"] for f in reports[name]["findings"]}
        if not reports[name]["finess_repository"]["checked"]:  # the organisme's size is not verified: an alerte
            rules -= {
                f["rule"] for f in reports[name]["findings"] if f["rule"] == "BUD-05" and f["severity"] == "alerte"
            }
        assert rules == {"LOT-02"}, reports[name]["findings"]
        assert reports[name]["verdict"] == "recevable"
    message = next(f["message"] for f in reports["V1"]["findings"] if f["rule"] == "LOT-02")
    assert "V2" in message and "fait foi" in message and "V1 est remplacé" in message


def test_envelope_status():
    assert envelope_status(None, "non fixée", 1000.0)["envelope"] is None
    status = envelope_status(500.0, "arrêté", 1000.0)
    assert status["exceeded"] is True and status["balance"] == -500.0
