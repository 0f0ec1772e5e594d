"""Real-world files nobody here wrote (../shared/corpus): every file read or reported clearly.

A call is built whose attachments are every file of the corpus (52 PDF, 154 xlsx from the
public test suites of pdfplumber and Apache POI: malformed, encrypted, XML bombs, odd
structures) and run through ``esmsnum run``. The slowest files are printed with their times.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CONTRACT_KINDS, esmsnum, load_json

FILES_PER_DOSSIER = 12


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, corpus):
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in (".pdf", ".xlsx"))
    assert len(files) >= 200, "the shared corpus is incomplete"
    call = tmp_path_factory.mktemp("corpus-call")
    for index in range(0, len(files), FILES_PER_DOSSIER):
        dossier = call / f"CORPUS-{index // FILES_PER_DOSSIER + 1:03d}"
        dossier.mkdir()
        for file in files[index : index + FILES_PER_DOSSIER]:
            shutil.copy(file, dossier / f"{file.parent.name}-{file.name}")
    out = tmp_path_factory.mktemp("corpus-out")
    proc = esmsnum("run", str(call), "--call", "ars-ara-2022-regional", "--out", str(out), timeout=1800)
    return files, call, out, proc


def test_every_dossier_of_the_corpus_call_has_a_report(corpus_run):
    files, call, out, proc = corpus_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    dossiers = sorted(p.name for p in call.iterdir())
    summary = load_json(out / "summary.json")
    assert sorted(d["dossier"] for d in summary["dossiers"]) == dossiers
    assert summary["totals"]["internal_errors"] == 0
    for name in dossiers:
        assert (out / name / "report.json").is_file() and (out / name / "report.html").is_file()


def test_every_file_has_a_kind_or_a_clear_finding(corpus_run):
    files, call, out, _ = corpus_run
    seen = 0
    timings = []
    for report_path in sorted(out.glob("*/report.json")):
        report = load_json(report_path)
        unreadable = {f["location"]["file"]: f["message"] for f in report["findings"] if f["rule"] == "PIE-02"}
        for document in report["documents"]:
            seen += 1
            timings.append((document["read_seconds"], document["file"]))
            if document["kind"] == "illisible":
                message = unreadable.get(document["file"], "")
                assert message, f"{document['file']} is unreadable without a PIE-02 finding"
                assert "n'a pas pu être lu" in message and "(" not in message.split(":")[0]
            else:
                assert document["kind"] in CONTRACT_KINDS - {"illisible"}
    assert seen == len(files)
    print("\nslowest corpus files (s):")
    for seconds, name in sorted(timings, reverse=True)[:10]:
        print(f"  {seconds:7.2f}  {name}")


def test_hostile_corpus_files_are_named_for_what_they_are(corpus_run):
    _, _, out, _ = corpus_run
    messages = {}
    for report_path in out.glob("*/report.json"):
        for finding in load_json(report_path)["findings"]:
            if finding["rule"] == "PIE-02":
                messages[Path(finding["location"]["file"]).name] = finding["message"]
    assert "mot de passe" in messages["pdf-password-example.pdf"]
    assert "XML" in messages["xlsx-poc-xmlbomb.xlsx"]
    assert "mot de passe" in messages["xlsx-protected_passtika.xlsx"]
