"""The national FINESS repository (issue 16): importing an etalab extract, choosing the one a
run uses, and the checks of the REF rules and GRP-06 / GRP-05 against it, on the extract the
fixtures generator writes for its dossiers."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import esmsnum, load_json
from core.config import load_call
from extractors.finess_extract import (
    ExtractError,
    ExtractReader,
    department_code,
    split_routing,
)
from fixtures.finess_extract import EJ_FILE, ET_FILE, EXTRACT_DATE
from fixtures.generate import generate
from judging.analysis import analyse_dossiers
from validators.finess import is_valid_finess
from validators.finess_repository import (
    FinessRepository,
    RepositoryError,
    available,
    import_extracts,
    read_info,
    resolve_store,
)

CALL = "ars-ara-2022-regional"
CASES = ["clean-workbook", "clean-ds", "REF-01", "GRP-06-repertoire", "REF-02", "REF-03", "GRP-05"]
DATE_FR = EXTRACT_DATE.strftime("%d/%m/%Y")
SAMPLE_WORDS = "échantillon fictif généré par esmsnum, pas le répertoire national, "


def entry(call_dir: Path, numero: str) -> Path:
    """A generated dossier: a folder, or a zip (Démarches simplifiées export)."""
    return next(p for p in (call_dir / "dossiers").iterdir() if p.name in (numero, f"{numero}.zip"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The generator's dossiers of a few cases and the call's extract: (call folder, case → numero)."""
    out = tmp_path_factory.mktemp("finess-gen")
    expected = generate(out, calls=[CALL], only=CASES)[CALL]
    return out / CALL, {item["case"]: numero for numero, item in expected["dossiers"].items()}


@pytest.fixture(scope="module")
def store(generated, tmp_path_factory) -> Path:
    call_dir, _ = generated
    folder = tmp_path_factory.mktemp("finess-store")
    outcome = import_extracts([call_dir / "finess" / ET_FILE, call_dir / "finess" / EJ_FILE], folder)
    return outcome.info.path


@pytest.fixture(scope="module")
def reports(generated, store, tmp_path_factory) -> dict[str, dict]:
    """Final reports of the cases, judged with the extract loaded: case → report."""
    call_dir, numbers = generated
    out = tmp_path_factory.mktemp("finess-out")
    paths = [entry(call_dir, numero) for numero in numbers.values()]
    by_numero = {n: r.to_json() for n, r in analyse_dossiers(paths, load_call(CALL), out, finess=store).items()}
    for numero, report in by_numero.items():
        report["_html"] = (out / numero / "report.html").read_text(encoding="utf-8")
    return {case: by_numero[numero] for case, numero in numbers.items()}


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _findings(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


# --------------------------------------------------------------------------- the extract files


def test_the_generated_extract_has_the_official_layout(generated):
    call_dir, _ = generated
    lines = _lines(call_dir / "finess" / ET_FILE)
    assert lines[0] == f"finess;etalab;96;{EXTRACT_DATE.isoformat()}"
    records = [line for line in lines[1:] if line.startswith("structureet;")]
    geo = [line for line in lines[1:] if line.startswith("geolocalisation;")]
    assert records and len(geo) == len(records)
    reader = ExtractReader(call_dir / "finess" / ET_FILE)
    establishments = list(reader.establishments())
    assert len(establishments) == len(records)
    assert all(is_valid_finess(e.finess) and is_valid_finess(e.finess_ej) for e in establishments)
    ehpad = next(e for e in establishments if e.category == "500")
    assert ehpad.category_label == "Etablissement d'hébergement pour personnes âgées dépendantes"
    assert ehpad.postcode.startswith(ehpad.department) and ehpad.city
    entities = list(ExtractReader(call_dir / "finess" / EJ_FILE).entities())
    assert {e.finess_ej for e in establishments} <= {e.finess_ej for e in entities}


def test_real_line_readings():
    # fields as the 2026 extracts write them: a department ``9F``, a CEDEX routing line
    assert department_code("9F") == "976" and department_code("9A") == "971" and department_code("1") == "01"
    assert department_code("2A") == "2A"
    assert split_routing("97306 CAYENNE CEDEX") == ("97306", "CAYENNE")
    assert split_routing("01440 VIRIAT") == ("01440", "VIRIAT")


def test_a_quoted_name_and_a_trailing_separator_are_read(generated, tmp_path):
    call_dir, _ = generated
    lines = _lines(call_dir / "finess" / ET_FILE)
    index, line = next((i, x) for i, x in enumerate(lines) if x.startswith("structureet;"))
    fields = line.split(";")
    fields[3] = '"LIEU DE VIE ""LES SOURCES"""'
    lines[index] = ";".join(fields) + ";"
    path = tmp_path / ET_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = next(ExtractReader(path).establishments())
    assert first.finess == fields[1] and first.name == 'LIEU DE VIE "LES SOURCES"'


# --------------------------------------------------------------------------- importing


def test_import_utf8_and_latin1_give_the_same_store(generated, tmp_path):
    call_dir, _ = generated
    source = call_dir / "finess" / ET_FILE
    latin = tmp_path / "latin" / ET_FILE
    latin.parent.mkdir()
    latin.write_bytes(source.read_text(encoding="utf-8").encode("latin-1"))
    assert ExtractReader(latin).info.encoding == "latin-1"
    first = import_extracts([source], tmp_path / "utf8-store")
    second = import_extracts([latin], tmp_path / "latin-store")
    assert first.info.establishments == second.info.establishments > 0
    assert first.info.extract_date == second.info.extract_date == EXTRACT_DATE
    with FinessRepository(first.info) as a, FinessRepository(second.info) as b:
        number = next(ExtractReader(source).establishments()).finess
        assert a.establishment(number) == b.establishment(number)
        assert "é" in (a.establishment(number).category_label + "é")  # accents survive both readings
    accented = [e for e in ExtractReader(latin).establishments() if "é" in e.category_label]
    assert accented


def test_the_command_imports_once_and_info_tells_the_date(generated, tmp_path):
    call_dir, _ = generated
    folder = tmp_path / "store"
    before = esmsnum("finess", "info", "--finess", str(folder))
    assert before.returncode == 0 and "Aucune extraction FINESS importée" in before.stdout
    files = [str(call_dir / "finess" / ET_FILE), str(call_dir / "finess" / EJ_FILE)]
    first = esmsnum("finess", "importer", *files, "--finess", str(folder))
    assert first.returncode == 0, first.stderr
    assert f"Extraction FINESS du {DATE_FR} importée" in first.stdout and "entités juridiques" in first.stdout
    again = esmsnum("finess", "importer", *files, "--finess", str(folder))
    assert again.returncode == 0 and "déjà importée à l'identique" in again.stdout
    info = esmsnum("finess", "info", "--finess", str(folder))
    assert info.returncode == 0 and f"extraction du {DATE_FR}" in info.stdout and ET_FILE in info.stdout
    [stored] = available(folder)
    assert stored.path.name == f"finess-{EXTRACT_DATE.isoformat()}.sqlite" and stored.entities > 0


def test_a_malformed_line_is_refused_with_its_number(generated, tmp_path):
    call_dir, _ = generated
    lines = _lines(call_dir / "finess" / ET_FILE)
    lines[4] = ";".join(lines[4].split(";")[:12])  # a truncated record on line 5
    path = tmp_path / ET_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = tmp_path / "store"
    proc = esmsnum("finess", "importer", str(path), "--finess", str(folder))
    assert proc.returncode == 1
    assert "ligne 5" in proc.stderr and "champs au lieu de 32" in proc.stderr
    assert not available(folder)
    assert not folder.exists() or not list(folder.glob("*.sqlite"))


def test_a_file_that_is_not_an_extract_is_refused(generated, tmp_path):
    call_dir, _ = generated
    path = tmp_path / "liste.csv"
    path.write_text("FINESS ET;Raison sociale\n690000000;EHPAD\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="ligne 1 : en-tête d'extraction FINESS attendu"):
        ExtractReader(path)
    lines = _lines(call_dir / "finess" / ET_FILE)
    lines[2] = lines[2].replace(lines[2].split(";")[1], "69ABC", 1)
    bad = tmp_path / ET_FILE
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"ligne 3 : numéro FINESS ET « 69ABC » invalide"):
        list(ExtractReader(bad).establishments())


def test_the_legal_entities_alone_need_the_establishments_of_their_date(generated, tmp_path):
    call_dir, _ = generated
    with pytest.raises(RepositoryError, match="importer d'abord"):
        import_extracts([call_dir / "finess" / EJ_FILE], tmp_path / "store")
    import_extracts([call_dir / "finess" / ET_FILE], tmp_path / "store")
    outcome = import_extracts([call_dir / "finess" / EJ_FILE], tmp_path / "store")
    assert outcome.info.entities > 0 and outcome.info.establishments > 0


# --------------------------------------------------------------------------- which extract a run uses


def test_the_latest_extract_is_used_unless_one_is_named(generated, store, tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(store, folder / store.name)
    older = folder / "finess-2025-12-11.sqlite"
    shutil.copy(store, older)
    import sqlite3

    with sqlite3.connect(older) as db:
        db.execute("UPDATE meta SET value = '2025-12-11' WHERE key = 'extract_date'")
    assert resolve_store(None, None, folder).extract_date == EXTRACT_DATE
    assert resolve_store("2025-12-11", None, folder).extract_date == dt.date(2025, 12, 11)
    assert resolve_store("11/12/2025", None, folder).extract_date == dt.date(2025, 12, 11)
    assert resolve_store(None, dt.date(2025, 12, 11), folder).extract_date == dt.date(2025, 12, 11)
    assert resolve_store(str(folder / store.name), dt.date(2025, 12, 11), folder).extract_date == EXTRACT_DATE
    assert resolve_store("aucune", None, folder) is None
    assert resolve_store(None, None, tmp_path / "empty") is None
    with pytest.raises(RepositoryError, match="L'extraction FINESS du 01/01/2024 n'est pas importée"):
        resolve_store("2024-01-01", None, folder)


def test_a_new_extract_changes_the_dossier_cache_key(generated, store):
    from flows.cache import dossier_key
    from judging.submission import Submission

    call_dir, numbers = generated
    config = load_call(CALL)
    submission = Submission(numero="X", path=entry(call_dir, numbers["clean-workbook"]), documents=(("a", "b"),))
    plain = dossier_key(submission, config)
    checked = dossier_key(submission, config, read_info(store).fingerprint)
    assert plain != checked and checked != dossier_key(submission, config, "another extract")


# --------------------------------------------------------------------------- the checks


def test_a_valid_key_finess_missing_from_the_repository_gets_the_instructeur_finding(reports, store):
    report = reports["REF-01"]
    assert report["verdict"] == "a_completer"
    findings = _findings(report, "REF-01")
    assert len(findings) == 2 and {f["severity"] for f in findings} == {"a_corriger"}
    with FinessRepository.open(store) as repository:
        for finding in findings:
            assert finding["location"]["file"] and (finding["location"]["cell"] or finding["location"]["page"])
            number = re.search(r"FINESS ET « (\w{9}) »", finding["message"]).group(1)
            assert is_valid_finess(number) and repository.establishment(number) is None
            assert f"introuvable dans le répertoire FINESS (extraction du {DATE_FR})" in finding["message"]
        # the mistyped one: its establishment is proposed under its real number, by name
        typo = [f for f in findings if "plus proches" in f["message"]]
        assert typo
        listed = {e["finess"]: e["name"] for e in report["essms"]}
        proposed = [m for f in typo for m in re.findall(r"\(FINESS (\w{9}), ", f["message"])]
        names = {repository.establishment(n).name for n in proposed}
        assert any(name.upper().replace("É", "E") in names for name in listed.values()), (names, listed)
    assert "Corriger le FINESS géographique" in findings[0]["action"]
    known = sum(e["registered"] for e in report["essms"])
    assert known == len(report["essms"]) - 2
    assert f"{known} ESSMS trouvés sur {len(report['essms'])}" in report["_html"]


def test_a_hospital_listed_as_an_ehpad_is_excluded_by_its_repository_category(reports):
    report = reports["GRP-06-repertoire"]
    assert report["verdict"] == "a_completer"
    [finding] = _findings(report, "GRP-06")
    assert finding["severity"] == "a_corriger"
    assert "Centre Hospitalier (C.H.) (catégorie 355)" in finding["message"]
    assert "comme l'indique la liste" in finding["message"] and "est exclu du décompte" in finding["message"]
    assert finding["location"]["cell"]  # the category cell of the list
    assert not _findings(report, "REF-02") and not _findings(report, "REF-03")
    excluded = [e for e in report["essms"] if not e["eligible"]]
    assert len(excluded) == 1 and excluded[0]["category"].startswith("Centre hospitalier")
    assert report["essms_count"] == report["essms_listed"] - 1


def test_the_same_hospital_is_counted_as_typed_without_the_repository(generated, tmp_path):
    call_dir, numbers = generated
    numero = numbers["GRP-06-repertoire"]
    [report] = [r.to_json() for r in analyse_dossiers([entry(call_dir, numero)], load_call(CALL), tmp_path).values()]
    assert report["verdict"] == "recevable" and not report["findings"]
    assert report["finess_repository"]["checked"] is False and report["finess_repository"]["extract_date"] is None
    html = (tmp_path / numero / "report.html").read_text(encoding="utf-8")
    assert "existence non vérifiée" in html


def test_another_category_in_the_repository_is_an_alert(reports):
    report = reports["REF-02"]
    assert report["verdict"] == "recevable"
    [finding] = _findings(report, "REF-02")
    assert finding["severity"] == "alerte" and "(catégorie 448)" in finding["message"]
    assert "« FAM » (catégorie 437)" in finding["message"]
    listed = next(e for e in report["essms"] if e["finess"] in finding["message"])
    assert listed["category"].startswith("EAM") and listed["eligible"]


def test_another_manager_in_the_repository_is_an_alert_with_both_names(reports):
    report = reports["REF-03"]
    assert report["verdict"] == "recevable"
    [finding] = _findings(report, "REF-03")
    assert finding["severity"] == "alerte"
    assert (
        "ASSOCIATION LES AMIS" in finding["message"] and "comme l'indique la liste des structures" in finding["message"]
    )
    assert len(re.findall(r"FINESS EJ \w{9}", finding["message"])) == 2


def test_the_department_comes_from_the_repository(reports):
    report = reports["GRP-05"]
    [finding] = _findings(report, "GRP-05")
    assert "(selon le répertoire FINESS)" in finding["message"]


def test_recevable_dossiers_stay_recevable_and_say_what_was_checked(reports):
    for case in ("clean-workbook", "clean-ds"):
        report = reports[case]
        assert report["verdict"] == "recevable" and not report["findings"], report["findings"]
        assert report["finess_repository"]["checked"] and report["finess_repository"]["extract_date"] == "2026-03-11"
        assert all(e["registered"] for e in report["essms"])
        # the generator's extract is a sample: the report says so, never presents it as the national repository
        assert f"vérifié dans le répertoire FINESS ({SAMPLE_WORDS}extraction du {DATE_FR})" in report["_html"]


def test_the_run_command_uses_the_latest_imported_extract(generated, store, tmp_path):
    call_dir, numbers = generated
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(store, folder / store.name)
    source = tmp_path / "call"
    source.mkdir()
    dossier = entry(call_dir, numbers["GRP-06-repertoire"])
    shutil.copytree(dossier, source / dossier.name)
    out = tmp_path / "out"
    proc = esmsnum("run", str(source), "--call", CALL, "--out", str(out), finess_dir=folder)
    assert proc.returncode == 0, proc.stderr
    assert f"Répertoire FINESS : extraction du {DATE_FR}" in proc.stderr
    report = load_json(out / numbers["GRP-06-repertoire"] / "report.json")
    assert report["verdict"] == "a_completer" and report["finess_repository"]["checked"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["finess_repository"]["extract_date"] == "2026-03-11"
    assert f"vérifié dans le répertoire FINESS ({SAMPLE_WORDS}extraction du {DATE_FR})" in (
        out / "summary.html"
    ).read_text(encoding="utf-8")
    unchecked = esmsnum(
        "run", str(source), "--call", CALL, "--out", str(tmp_path / "out2"), "--finess", "aucune", finess_dir=folder
    )
    assert unchecked.returncode == 0 and "ne sera pas vérifiée" in unchecked.stderr
    assert load_json(tmp_path / "out2" / numbers["GRP-06-repertoire"] / "report.json")["verdict"] == "recevable"
    missing = esmsnum(
        "run", str(source), "--call", CALL, "--out", str(tmp_path / "out3"), "--finess", "2020-01-01", finess_dir=folder
    )
    assert missing.returncode == 2 and "n'est pas importée" in missing.stderr


def test_the_legal_entity_number_typed_as_establishment_is_named(generated, store, reports, tmp_path):
    """The FINESS EJ of the manager typed in the FINESS ET column: REF-01 says whose number it is."""
    import openpyxl

    call_dir, numbers = generated
    clean = reports["clean-workbook"]
    first = clean["essms"][0]
    source = entry(call_dir, numbers["clean-workbook"])
    dossier = tmp_path / source.name
    shutil.copytree(source, dossier)
    where = first["location"]
    book = openpyxl.load_workbook(dossier / where["file"])
    book[where["sheet"]][where["cell"]].value = first["finess_ej"]
    book.save(dossier / where["file"])
    [report] = [
        r.to_json() for r in analyse_dossiers([dossier], load_call(CALL), tmp_path / "out", finess=store).values()
    ]
    [finding] = [f for f in _findings(report, "REF-01") if first["finess_ej"] in f["message"]]
    assert (
        "celui de l'entité juridique" in finding["message"] and "indiquer le FINESS géographique" in finding["message"]
    )
    assert finding["location"]["cell"] == where["cell"]
