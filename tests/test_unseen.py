"""The unseen family (``fixtures/unseen``) through ``esmsnum run``: dossiers written as project
owners write them, judged as an instructeur would judge them.

The family is generated once per session and each call's folder is run once; every dossier
is then its own test (verdict, rules that must appear with their severity, rules that must
not decide, key figures, findings located at a cell, what the report must mention). The
wordings of the family must never be added to the vocabulary: the matcher has to find them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, esmsnum, load_json
from fixtures.unseen.generate import catalogue, generate
from fixtures.unseen.wordings import all_wordings, fold, guarded

VOCABULARY = ROOT / "extractors" / "headers.yaml"
CASES = catalogue()
DECISIVE = ("bloquant", "a_corriger")

# What the product does not read right yet (issue 14 stays open on these): each case fails for
# the reason given, and is expected to pass once it is fixed (xfail, not strict: a case that
# starts passing is reported as XPASS, to be removed from this list).
KNOWN_GAPS: dict[str, str] = {}  # case id → why it still fails (xfail, not strict): none today


def _case_param(call_id, numero, case):
    marks = [pytest.mark.xfail(reason=KNOWN_GAPS[case.id], strict=False)] if case.id in KNOWN_GAPS else []
    return pytest.param(call_id, numero, case, marks=marks, id=f"{numero}-{case.id}")


@pytest.fixture(scope="session")
def unseen(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("unseen")
    generate(out)
    return out


@pytest.fixture(scope="session")
def unseen_runs(unseen, tmp_path_factory) -> dict[str, tuple[Path, object]]:
    """``esmsnum run`` on each call folder of the family: call id → (out dir, process)."""
    runs = {}
    for call_dir in sorted(p for p in unseen.iterdir() if p.is_dir()):
        out = tmp_path_factory.mktemp(f"unseen-out-{call_dir.name}")
        proc = esmsnum("run", str(call_dir / "dossiers"), "--call", call_dir.name, "--out", str(out))
        runs[call_dir.name] = (out, proc)
    return runs


def _describe(report: dict) -> str:
    lines = [
        (
            f"verdict {report['verdict']}; essms_count={report.get('essms_count')} "
            f"essms_listed={report.get('essms_listed')} amount_requested={report.get('amount_requested')} "
            f"amount_eligible={report.get('amount_eligible')}"
        )
    ]
    for f in report["findings"]:
        loc = f["location"]
        where = " ".join(str(x) for x in (loc.get("file"), loc.get("sheet"), loc.get("cell"), loc.get("page")) if x)
        lines.append(f"  {f['rule']} [{f['severity']}] {f['message'][:200]} ({where})")
    return "\n".join(lines)


def problems_of(expected: dict, report: dict) -> list[str]:
    """What the report gets wrong against the expectation (empty: the dossier passes)."""
    problems = []
    findings = report["findings"]
    if report["verdict"] != expected["verdict"]:
        problems.append(f"verdict {report['verdict']!r}, attendu {expected['verdict']!r}")
    for rule, severity in expected["rules"].items():
        hits = [f for f in findings if f["rule"] == rule]
        if not hits:
            problems.append(f"{rule} attendu, absent")
        elif severity and not any(f["severity"] == severity for f in hits):
            problems.append(f"{rule} attendu en {severity}, trouvé en {sorted({f['severity'] for f in hits})}")
    for rule in expected["forbidden"]:
        decisive = [f for f in findings if f["rule"] == rule and f["severity"] in DECISIVE]
        if decisive:
            problems.append(f"{rule} ne doit pas décider ({len(decisive)} constat(s) {decisive[0]['severity']})")
    for key, value in expected["figures"].items():
        found = report.get(key)
        if found is None or abs(float(found) - float(value)) > (1.0 if key.startswith("amount") else 0):
            problems.append(f"{key} = {found}, attendu {value}")
    for spot in expected["located"]:
        if not any(
            f["severity"] == spot["severity"]
            and (f["location"].get("file") or "").endswith(spot["file"])
            and f["location"].get("sheet") == spot["sheet"]
            and f["location"].get("cell") == spot["cell"]
            for f in findings
        ):
            problems.append(
                f"aucun constat {spot['severity']} situé en {spot['file']} / {spot['sheet']} / {spot['cell']}"
            )
    for mention in expected["mentions"]:
        text = fold(mention["text"])
        if not any(
            f["severity"] == mention["severity"]
            and (text in fold(f["message"]) or text == fold(f["location"].get("sheet") or ""))
            for f in findings
        ):
            problems.append(f"aucun constat {mention['severity']} ne mentionne « {mention['text']} »")
    return problems


@pytest.mark.parametrize(("call_id", "numero", "case"), [_case_param(*c) for c in CASES])
def test_unseen_dossier_is_judged_as_an_instructeur_would(call_id, numero, case, unseen, unseen_runs):
    out, proc = unseen_runs[call_id]
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = load_json(unseen / call_id / "expected.json")["dossiers"][numero]
    report = load_json(out / numero / "report.json")
    problems = problems_of(expected, report)
    assert not problems, (
        f"{numero} ({case.id} : {case.description})\n- " + "\n- ".join(problems) + "\n" + _describe(report)
    )


# --------------------------------------------------------------------------- the wordings


def _vocabulary_strings(node) -> set[str]:
    """Every string of the vocabulary file the matcher reads, folded, wherever it sits (a
    meaning's ``label`` is the French name the report shows for a field, never matched)."""
    if isinstance(node, str):
        return {fold(node)}
    if isinstance(node, dict):
        values = [v for k, v in node.items() if k != "label"]
        return set().union(*(_vocabulary_strings(v) for v in values)) if values else set()
    if isinstance(node, list):
        return set().union(*(_vocabulary_strings(v) for v in node)) if node else set()
    return set()


def test_no_wording_of_the_family_is_in_the_vocabulary():
    vocabulary = _vocabulary_strings(yaml.safe_load(VOCABULARY.read_text(encoding="utf-8")))
    offenders = [f"{kind}.{name}: « {w} »" for kind, name, w in guarded() if fold(w) in vocabulary]
    assert not offenders, (
        "Ces intitulés de la famille « unseen » ont été ajoutés tels quels au vocabulaire "
        "(extractors/headers.yaml) : c'est au rapprochement par les mots de les reconnaître.\n" + "\n".join(offenders)
    )


def test_the_family_has_at_least_forty_unseen_wordings():
    assert len({fold(w) for _, _, w in guarded()}) >= 40


def test_the_guard_folds_as_the_vocabulary_matches():
    """A wording copied with another case, accents or spacing is still caught."""
    vocabulary = _vocabulary_strings({"x": ["  numero   FINESS de l'ESMS ", "PART EDITEUR"]})
    assert fold("Numéro FINESS de l'ESMS") in vocabulary
    assert fold("Part éditeur") in vocabulary


def _texts(name: str, data: bytes) -> list[str]:
    """The text a person sees in a generated file (cells, paragraphs, table cells, PDF text)."""
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    if suffix == "csv":
        return [data.decode("cp1252")]
    if suffix == "docx":
        import docx

        document = docx.Document(io.BytesIO(data))
        return [p.text for p in document.paragraphs] + [
            c.text for t in document.tables for r in t.rows for c in r.cells
        ]
    if suffix == "odt":
        from odf import teletype
        from odf.opendocument import load
        from odf.text import P

        return [teletype.extractText(p) for p in load(io.BytesIO(data)).getElementsByType(P)]
    if suffix == "pdf":
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:  # table cells whole: a header wraps inside its cell
            cells = [c for page in pdf.pages for table in page.extract_tables() for row in table for c in row if c]
            return [page.extract_text() or "" for page in pdf.pages] + cells
    return []


def _files(dossier: Path) -> list[tuple[str, bytes]]:
    if dossier.is_dir():
        return [(p.name, p.read_bytes()) for p in sorted(dossier.rglob("*")) if p.is_file()]
    with zipfile.ZipFile(dossier) as zf:
        return [(n, zf.read(n)) for n in zf.namelist() if not n.endswith("/")]


def test_every_wording_is_written_in_a_generated_dossier(unseen):
    """Each wording of the catalogue heads a column of at least one dossier, as written."""
    seen: set[tuple[str, str, str]] = set()
    for call_dir in sorted(p for p in unseen.iterdir() if p.is_dir()):
        for numero, item in load_json(call_dir / "expected.json")["dossiers"].items():
            path = call_dir / "dossiers" / numero
            text = fold(
                " ".join(
                    t
                    for name, data in _files(path if path.exists() else path.with_suffix(".zip"))
                    for t in _texts(name, data)
                )
            )
            for kind, name, wording in item["wordings"]:
                assert fold(wording) in text, f"{numero}: « {wording} » n'est écrit dans aucun de ses fichiers"
                seen.add((kind, name, wording))
    unused = [w for w in all_wordings() if w not in seen]
    assert not unused, f"intitulés du catalogue jamais utilisés : {unused}"


# --------------------------------------------------------------------------- columns and hidden content


def _numero(unseen: Path, call_id: str, case_id: str) -> str:
    dossiers = load_json(unseen / call_id / "expected.json")["dossiers"]
    return next(numero for numero, d in dossiers.items() if d["case"] == case_id)


def _judged_with(unseen: Path, tmp_path: Path, change) -> dict:
    """The « colonnes-a-reconcilier » dossier judged after ``change(sheet)`` edits its
    per-ESSMS budget (columns: FINESS, name, MOA, bonus, licences, paramétrage, total)."""
    import shutil

    import openpyxl

    from extractors.extract import extract
    from judging.analysis import judge_dossier
    from validators.engine import load_call

    call_id = "ars-ara-2022-regional"
    dossier = tmp_path / _numero(unseen, call_id, "colonnes-a-reconcilier")
    shutil.copytree(unseen / call_id / "dossiers" / dossier.name, dossier)
    book = openpyxl.load_workbook(dossier / "Annexes.xlsx", data_only=True)  # formulas kept as their values
    change(book["Demande par ESMS"])
    book.save(dossier / "Annexes.xlsx")
    return judge_dossier(dossier, load_call(call_id), extract).to_json()


def _budget_reading(report: dict) -> dict:
    return next(t for t in report["readings"]["tables"] if t["kind"] == "budget_essms")


def test_an_amount_column_that_reconciles_the_totals_is_read_as_part_of_the_forfait(unseen, tmp_path):
    report = _judged_with(unseen, tmp_path, lambda sheet: None)
    assert report["verdict"] == "recevable"
    assert not [f for f in report["findings"] if f["rule"] in ("BUD-02", "PIE-06")]
    [column] = [c for c in _budget_reading(report)["unmapped_columns"] if c["holds_amounts"]]
    assert column["read_as"] == "forfait_editeur"
    assert any("lue comme partie du forfait éditeur" in note for note in _budget_reading(report)["notes"])


def test_one_wrong_total_among_reconciled_rows_is_the_only_finding(unseen, tmp_path):
    def wrong_total(sheet):
        sheet["G5"] = sheet["G5"].value + 500  # the third ESSMS's total, 500 € too high

    report = _judged_with(unseen, tmp_path, wrong_total)
    totals = [f for f in report["findings"] if f["rule"] == "BUD-02"]
    # that row, and the « Total » row under the column, whose sum moved by the same 500 €
    assert [f["location"]["cell"] for f in totals if f["location"]["sheet"] == "Demande par ESMS"] == ["G5", "G19"]
    assert any("15 ESSMS sur 16" in note for note in _budget_reading(report)["notes"])
    assert report["verdict"] == "a_completer"


def test_an_amount_column_that_reconciles_nothing_is_an_alerte_located_to_its_cells(unseen, tmp_path):
    def unrelated(sheet):
        for row in range(3, sheet.max_row + 1):
            if isinstance(sheet.cell(row, 6).value, (int, float)):
                sheet.cell(row, 6).value = 999

    report = _judged_with(unseen, tmp_path, unrelated)
    [alerte] = [f for f in report["findings"] if f["rule"] == "PIE-06"]
    assert alerte["severity"] == "alerte"
    assert "« Paramétrage et reprise par l'éditeur (€) »" in alerte["message"]
    assert "F3:F" in alerte["message"]
    assert (alerte["location"]["sheet"], alerte["location"]["cell"]) == ("Demande par ESMS", "F2")
    assert [f for f in report["findings"] if f["rule"] == "BUD-02"], "the totals the column does not explain"


def test_hidden_content_is_named_in_the_report_and_leaves_the_verdict(unseen, unseen_runs):
    call_id = "ars-ara-2022-regional"
    out, _ = unseen_runs[call_id]
    numero = _numero(unseen, call_id, "feuille-masquee")
    report = load_json(out / numero / "report.json")
    assert report["verdict"] == "recevable"
    [hidden] = [f for f in report["findings"] if f["rule"] == "PIE-05"]
    assert "« Budget (ancienne version) »" in hidden["message"] and hidden["severity"] == "alerte"
    html = (out / numero / "report.html").read_text(encoding="utf-8")
    assert "Lecture des tableaux" in html and "Contenu masqué, non examiné" in html
    assert "feuille masquée « Budget (ancienne version) »" in html
