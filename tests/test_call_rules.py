"""Rules over the whole call (LOT): double funding, resubmissions; the envelope figure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
    return {d.name: json.loads((tmp_path / "out" / d.name / "report.json").read_text(encoding="utf-8"))
            for d in dossiers}


def test_an_essms_in_two_dossiers_blocks_the_later_one(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    early = _copy(clean_dossier, tmp_path / "call" / "A", date_depot="2022-09-01T10:00:00+02:00",
                  **{"porteur.finess_ej": "690781810", "porteur.raison_sociale": "GCSMS Rhône Numérique"})
    late = _copy(clean_dossier, tmp_path / "call" / "B", date_depot="2022-09-20T10:00:00+02:00")
    reports = _run(tmp_path, [early, late], config)
    assert reports["B"]["verdict"] == "non_recevable"
    assert {f["severity"] for f in reports["B"]["findings"] if f["rule"] == "LOT-01"} == {"bloquant"}
    assert reports["A"]["verdict"] == "recevable"
    assert {f["severity"] for f in reports["A"]["findings"] if f["rule"] == "LOT-01"} == {"alerte"}
    lot = next(f for f in reports["B"]["findings"] if f["rule"] == "LOT-01")
    assert "dossier A" in lot["message"] and lot["location"]["cell"]
    html = (tmp_path / "out" / "B" / "report.html").read_text(encoding="utf-8")
    assert "LOT-01" in html and "Non recevable" in html


def test_a_resubmission_is_flagged_not_blocked(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    first = _copy(clean_dossier, tmp_path / "call" / "V1", date_depot="2022-09-01T10:00:00+02:00")
    second = _copy(clean_dossier, tmp_path / "call" / "V2", date_depot="2022-09-25T10:00:00+02:00")
    reports = _run(tmp_path, [first, second], config)
    for name in ("V1", "V2"):
        rules = {f["rule"] for f in reports[name]["findings"]}
        assert rules == {"LOT-02"}, reports[name]["findings"]
        assert reports[name]["verdict"] == "recevable"
    message = reports["V1"]["findings"][0]["message"]
    assert "V2" in message and "fait foi" in message and "V1 est remplacé" in message


def test_a_previously_funded_essms_is_blocked(tmp_path, clean_dossier):
    config = load_call("ars-ara-2022-regional")
    report = json.loads(json.dumps(_run(tmp_path, [_copy(clean_dossier, tmp_path / "call" / "X")], config)["X"]))
    finess = report["essms"][0]["finess"]
    history = config.history.model_copy(update={
        "previously_funded": config.history.previously_funded.model_copy(update={"value": [finess]})})
    funded = config.model_copy(update={"history": history})
    reports = _run(tmp_path / "again", [_copy(clean_dossier, tmp_path / "again-call" / "Y")], funded)
    [lot] = [f for f in reports["Y"]["findings"] if f["rule"] == "LOT-01"]
    assert lot["severity"] == "bloquant" and "déjà été financé" in lot["message"]


def test_envelope_status():
    config = load_call("ars-ara-2022-regional")
    assert envelope_status(config, 1000.0)["envelope"] is None
    envelope = config.history.model_copy(update={"envelope": config.history.envelope.model_copy(update={"value": 500.0})})
    status = envelope_status(config.model_copy(update={"history": envelope}), 1000.0)
    assert status["exceeded"] is True and status["balance"] == -500.0
