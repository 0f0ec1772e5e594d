"""The catalogue of file problems: one code, title, template and description per problem;
every refusal (sniffing, readers, intake, online form) is one of them; PIE-02 words it from
the catalogue; the call summary counts unreadable files by type."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from conftest import require_corpus
from core import file_problems as problems
from core.config import load_call
from core.limits import Limits
from core.models import Attachment
from extractors.extract import extract
from extractors.form import read_form_json
from extractors.intake import open_dossier, sha256_file
from fixtures.hostile import password_pdf
from judging.analysis import analyse_dossiers
from judging.finalize import outcome_of
from judging.report import snapshot
from reports.summary import build_summary, write_summary

CALL = "ars-ara-2022-regional"


def _read(path: Path) -> tuple[str | None, str | None]:
    attachment = Attachment(path.name, sha256_file(path), path.stat().st_size, str(path))
    doc = extract(attachment, Limits(isolate=False))
    return doc.problem, doc.error


# --------------------------------------------------------------------------- the catalogue


def test_every_problem_has_a_code_a_title_a_template_and_a_description():
    codes = [p.code for p in problems.CATALOGUE.values()]
    assert len(codes) == len(set(codes)) >= 20
    for code, entry in problems.CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code), code
        assert entry.title[:1].isupper() and not entry.title.endswith("."), code
        assert entry.description.endswith(".") and len(entry.description) > 40, code
        message = entry.message(**dict.fromkeys(entry.params, "x"))
        assert "{" not in message and message[:1].islower(), code  # follows « n'a pas pu être lu : »
        assert problems.problem(code) is entry and problems.title_of(code) == entry.title
    assert problems.title_of("code-d-une-version-future") == "code-d-une-version-future"


def test_a_reason_carries_its_code_and_its_rendered_message():
    reason = problems.TIMEOUT.reason(seconds="60")
    assert reason.code == "timeout" and reason.problem is problems.TIMEOUT
    assert reason.message.startswith("lecture interrompue après 60 s")


# --------------------------------------------------------------------------- where problems come from


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("pdf/password-example.pdf", "password-protected"),
        ("xlsx/protected_passtika.xlsx", "password-protected"),
        ("xlsx/poc-xmlbomb.xlsx", "xml-dtd"),
        ("pdf/issue-297-example.pdf", "pdf-without-page"),
        ("pdf/empty.pdf", "empty-file"),
    ],
)
def test_corpus_files_are_refused_with_a_problem_of_the_catalogue(name, code):
    found, error = _read(require_corpus() / name)
    assert found == code, (name, found, error)
    assert error and problems.problem(code).title


def test_sniffed_problems_name_their_type(tmp_path):
    cases = {
        "vide.pdf": (b"", "empty-file"),
        "ancien.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "unsupported-format"),
        "coupe.xlsx": (b"PK\x03\x04 this is not a workbook", "damaged"),
    }
    for name, (data, code) in cases.items():
        (tmp_path / name).write_bytes(data)
        found, error = _read(tmp_path / name)
        assert found == code, (name, found, error)
    assert _read(tmp_path / "vide.pdf")[1] == problems.EMPTY.message()
    assert (
        _read(tmp_path / "coupe.xlsx")[1] == "fichier endommagé ou tronqué (archive illisible) : le déposer à nouveau"
    )


def test_a_password_is_worded_once_whichever_way_it_is_detected(tmp_path):
    encrypted_ooxml = tmp_path / "budget.xlsx"  # an Office file encrypted with a password (OLE container)
    encrypted_ooxml.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600
    )
    locked_pdf = tmp_path / "annexe.pdf"  # a PDF encrypted with a user password
    locked_pdf.write_bytes(password_pdf())
    from_sniffing = _read(encrypted_ooxml)
    from_reader = _read(locked_pdf)
    assert from_sniffing == from_reader == ("password-protected", problems.PASSWORD.message())


def test_intake_refusals_are_problems_of_the_catalogue(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bombe.csv", b"0" * 20_000_000)
        zf.writestr("../evil.txt", "x")
        zf.writestr("ok.txt", "bonjour")
    path = tmp_path / "2022-ARA-9100.zip"
    path.write_bytes(buffer.getvalue())
    with open_dossier(path) as dossier:
        codes = {p.file.split(":", 1)[-1]: p.reason.code for p in dossier.problems}
    assert codes == {"bombe.csv": "zip-bomb", "../evil.txt": "unsafe-path"}


def test_an_unreadable_form_is_a_problem_of_the_catalogue(tmp_path):
    (tmp_path / "dossier.json").write_text('{"numero": "2022-ARA-0001", ', encoding="utf-8")
    form = read_form_json(tmp_path / "dossier.json", "dossier.json")
    assert form.problem is not None and form.problem.code == "form-invalid-json"
    assert form.problem.message.startswith("formulaire dossier.json illisible (JSON invalide")


# --------------------------------------------------------------------------- PIE-02 and the summary


@pytest.fixture(scope="module")
def call_run(tmp_path_factory):
    """A generated dossier with a damaged attachment, one with a password-protected PDF
    added, and a clean one: reports and call summary."""
    from fixtures.generate import generate

    root = tmp_path_factory.mktemp("file-problems")
    generate(root / "gen", calls=[CALL], only=["PIE-02", "clean-workbook"])
    call_dir = root / "gen" / CALL / "dossiers"
    expected = json.loads((call_dir.parent / "expected.json").read_text(encoding="utf-8"))["dossiers"]
    by_case = {d["case"]: numero for numero, d in expected.items()}
    clean = call_dir / by_case["clean-workbook"]
    (clean / "annexe signée.pdf").write_bytes(password_pdf())
    (clean / "notes.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    config = load_call(CALL)
    out = root / "out"
    typed_reports = analyse_dossiers(sorted(call_dir.iterdir()), config, out)
    reports = {numero: report.to_json() for numero, report in typed_reports.items()}
    outcomes = [outcome_of(report, out / numero) for numero, report in typed_reports.items()]
    summary = build_summary(snapshot(config), outcomes, out, 1.0)
    write_summary(summary, out)
    return by_case, reports, summary, out


def test_pie_02_words_the_reason_from_the_catalogue(call_run):
    by_case, reports, _, _ = call_run
    report = reports[by_case["PIE-02"]]
    [finding] = [f for f in report["findings"] if f["rule"] == "PIE-02"]
    reason = problems.DAMAGED.message(what="fichier", note=" (archive illisible)")
    assert finding["message"] == f"Le fichier annexe_convention.xlsx n'a pas pu être lu : {reason}."
    assert finding["found"] == reason
    [record] = [d for d in report["documents"] if d["file"] == "annexe_convention.xlsx"]
    assert record["problem"] == "damaged" and record["error"] == reason
    assert report["file_problems"] == [
        {
            "file": "annexe_convention.xlsx",
            "problem": "damaged",
            "title": "Fichier endommagé ou tronqué",
            "message": reason,
        }
    ]


def test_the_summary_counts_unreadable_files_by_type(call_run):
    by_case, _, summary, out = call_run
    totals = summary["totals"]["by_file_problem"]
    assert totals == {
        "damaged": {"title": "Fichier endommagé ou tronqué", "files": 1, "dossiers": 1},
        "password-protected": {"title": "Fichier protégé par mot de passe", "files": 1, "dossiers": 1},
        "unsupported-format": {"title": "Format non pris en charge", "files": 1, "dossiers": 1},
    }
    rows = {d["dossier"]: d["file_problems"] for d in summary["dossiers"]}
    assert rows[by_case["clean-workbook"]] == {"password-protected": 1, "unsupported-format": 1}
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["totals"]["by_file_problem"] == totals
    page = (out / "summary.html").read_text(encoding="utf-8")
    section = page[page.index('id="fichiers-illisibles"') : page.index('id="departements"')]
    for entry in totals.values():
        assert f'<th scope="row">{entry["title"]}</th><td class="num">1</td><td class="num">1</td>' in section
