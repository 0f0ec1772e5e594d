"""A corrupt, empty or unexpected dossier still gets a report with a clear finding."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from core.config import load_call
from judging.analysis import analyse_dossier


@pytest.fixture(scope="module")
def config():
    return load_call("ars-ara-2022-regional")


def _report(out: Path, numero: str) -> dict:
    return json.loads((out / numero / "report.json").read_text(encoding="utf-8"))


def test_corrupt_and_unsupported_files_give_pie_02(tmp_path, config):
    dossier = tmp_path / "call" / "2022-ARA-9001"
    dossier.mkdir(parents=True)
    (dossier / "budget.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (dossier / "vide.pdf").write_bytes(b"")
    (dossier / "ancien.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (dossier / "tronque.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    outcome = analyse_dossier(dossier, config, tmp_path / "out").to_json()
    report = _report(tmp_path / "out", "2022-ARA-9001")
    assert outcome["verdict"] == "a_completer" and not outcome["internal_error"]
    pie02 = {f["location"]["file"]: f["message"] for f in report["findings"] if f["rule"] == "PIE-02"}
    assert set(pie02) == {"budget.xlsx", "vide.pdf", "ancien.doc", "tronque.pdf"}
    assert "vide" in pie02["vide.pdf"]
    assert "format non pris en charge" in pie02["ancien.doc"]
    kinds = {d["file"]: d["kind"] for d in report["documents"]}
    assert kinds["budget.xlsx"] == "illisible"
    # missing pieces are à compléter, never "non recevable" for lack of a readable list
    assert {f["severity"] for f in report["findings"]} == {"a_corriger", "alerte"}
    # without the online form the deposit date is not known: said, never guessed (DEP-01)
    assert {f["rule"] for f in report["findings"] if f["severity"] == "alerte"} == {"DEP-01"}


def test_a_password_protected_pdf_is_named_as_such(tmp_path, config, hostile):
    dossier = tmp_path / "2022-ARA-9002"
    dossier.mkdir()
    (dossier / "budget.pdf").write_bytes((hostile / "locked.pdf").read_bytes())
    analyse_dossier(dossier, config, tmp_path / "out")
    [finding] = [f for f in _report(tmp_path / "out", "2022-ARA-9002")["findings"] if f["rule"] == "PIE-02"]
    assert "mot de passe" in finding["message"]


def test_a_corrupt_zip_dossier_gets_a_report(tmp_path, config):
    bad = tmp_path / "2022-ARA-9003.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    outcome = analyse_dossier(bad, config, tmp_path / "out").to_json()
    report = _report(tmp_path / "out", "2022-ARA-9003")
    assert outcome["verdict"] == "a_completer"
    assert any(f["rule"] == "PIE-02" and "zip" in f["message"] for f in report["findings"])


def test_zip_path_traversal_members_are_refused(tmp_path, config):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../evil.txt", "x")
        zf.writestr("/etc/evil.txt", "x")
        zf.writestr("ok/notes.txt", "bonjour")
    path = tmp_path / "2022-ARA-9004.zip"
    path.write_bytes(buffer.getvalue())
    analyse_dossier(path, config, tmp_path / "out")
    report = _report(tmp_path / "out", "2022-ARA-9004")
    assert not (tmp_path.parent / "evil.txt").exists()
    refused = [f["message"] for f in report["findings"] if f["rule"] == "PIE-02"]
    assert any("« .. »" in m for m in refused) and any("chemin absolu" in m for m in refused)
    assert [d["file"] for d in report["documents"]] == ["ok/notes.txt"]


def test_an_internal_error_still_writes_a_report(tmp_path, config, monkeypatch):
    import judging.analysis as analysis

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(analysis, "read_dossier", explode)
    dossier = tmp_path / "2022-ARA-9005"
    dossier.mkdir()
    outcome = analyse_dossier(dossier, config, tmp_path / "out").to_json()
    report = _report(tmp_path / "out", "2022-ARA-9005")
    assert outcome["internal_error"] and report["verdict"] == "a_completer"
    assert "erreur interne" in report["findings"][0]["message"]


def test_a_failing_rule_becomes_a_finding_not_a_crash(tmp_path, config, monkeypatch):
    from validators.registry import all_rules

    rule = all_rules()["GRP-03"]

    def broken(_data, _config):
        raise ZeroDivisionError

    import dataclasses

    rules = dict(all_rules())
    rules["GRP-03"] = dataclasses.replace(rule, check=broken)
    monkeypatch.setattr("validators.engine.all_rules", lambda: rules)
    dossier = tmp_path / "2022-ARA-9006"
    dossier.mkdir()
    analyse_dossier(dossier, config, tmp_path / "out")
    report = _report(tmp_path / "out", "2022-ARA-9006")
    grp03 = [f for f in report["findings"] if f["rule"] == "GRP-03"]
    assert grp03 and "erreur interne" in grp03[0]["message"]


def test_a_nested_archive_is_opened_once_and_deeper_ones_are_reported(tmp_path, config):
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w") as zf:
        zf.writestr("cache.txt", "x")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("notes.txt", "bonjour")
        zf.writestr("encore.zip", innermost.getvalue())
    dossier = tmp_path / "2022-ARA-9007"
    dossier.mkdir()
    (dossier / "pieces.zip").write_bytes(inner.getvalue())
    analyse_dossier(dossier, config, tmp_path / "out")
    report = _report(tmp_path / "out", "2022-ARA-9007")
    assert [d["file"] for d in report["documents"]] == ["pieces.zip/notes.txt"]
    [nested] = [f for f in report["findings"] if f["rule"] == "PIE-02"]
    assert nested["location"]["file"] == "pieces.zip/encore.zip" and "un seul niveau" in nested["message"]


def test_a_zip_bomb_member_is_refused(tmp_path, config):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bombe.csv", b"0" * 50_000_000)
        zf.writestr("ok.txt", "bonjour")
    path = tmp_path / "2022-ARA-9008.zip"
    path.write_bytes(buffer.getvalue())
    analyse_dossier(path, config, tmp_path / "out")
    report = _report(tmp_path / "out", "2022-ARA-9008")
    assert any("bombe zip" in f["message"] for f in report["findings"] if f["rule"] == "PIE-02")
    assert [d["file"] for d in report["documents"]] == ["ok.txt"]


def test_dossier_content_is_escaped_in_html(tmp_path, config):
    dossier = tmp_path / "2022-ARA-9009"
    dossier.mkdir()
    hostile = "<img src=x onerror=alert(1)>.xlsx"
    (dossier / hostile).write_bytes(b"PK\x03\x04 broken")
    analyse_dossier(dossier, config, tmp_path / "out")
    html = (tmp_path / "out" / "2022-ARA-9009" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in html
