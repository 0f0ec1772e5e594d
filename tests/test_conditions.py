"""The conditions of access the texts set and the product did not check (issue 26): one DUI per
project (GRP-15), the vendor contract signed before the deposit (DEP-05), the SONS prestation
Ségur ordered for another DUI (GRP-16), a FEDER / FSE co-funding (BUD-09) — each on a failing and
a passing generated dossier — and BUD-05's small organisme counted in FINESS (every ET of its EJ),
with an alerte when no extract is loaded."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import verdict_mismatch
from core.config import load_call
from fixtures.finess_extract import EJ_FILE, ET_FILE
from fixtures.generate import generate
from judging.analysis import analyse_dossiers
from validators.finess import complete_with_key
from validators.finess_repository import import_extracts

CALL = "ars-ara-2022-regional"
CASES = ["GRP-15", "GRP-16", "DEP-05", "BUD-09", "clean-conditions", "clean-limites-budget"]


def entry(call_dir: Path, numero: str) -> Path:
    return next(p for p in (call_dir / "dossiers").iterdir() if p.name in (numero, f"{numero}.zip"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("conditions-gen")
    expected = generate(out, calls=[CALL], only=CASES)[CALL]
    return out / CALL, expected


def _judge(generated, out: Path, cases: list[str], finess: Path | None = None) -> dict[str, tuple[dict, dict]]:
    """case → (report, expected entry)."""
    call_dir, expected = generated
    numbers = {item["case"]: numero for numero, item in expected["dossiers"].items() if item["case"] in cases}
    reports = analyse_dossiers([entry(call_dir, n) for n in numbers.values()], load_call(CALL), out, finess=finess)
    return {case: (reports[n].to_json(), expected["dossiers"][n]) for case, n in numbers.items()}


@pytest.fixture(scope="module")
def judged(generated, tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    return _judge(generated, tmp_path_factory.mktemp("conditions-out"), CASES)


def _findings(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_each_condition_fails_and_passes_as_the_generator_says(judged):
    problems = [p for case, (report, exp) in judged.items() if (p := verdict_mismatch(case, exp, report))]
    assert not problems, "\n".join(problems)
    clean = judged["clean-conditions"][0]
    assert clean["verdict"] == "recevable"
    assert not any(f["rule"] in ("GRP-15", "GRP-16", "DEP-05", "BUD-09") for f in clean["findings"])


def test_the_findings_say_what_an_instructeur_checks(judged):
    [two] = _findings(judged["GRP-15"][0], "GRP-15")
    assert two["severity"] == "a_corriger" and "citent 2 logiciels DUI" in two["message"]
    assert two["message"].count("«") >= 2 and "Un projet porte sur un seul DUI." in two["message"]

    report = judged["GRP-16"][0]
    [sons] = _findings(report, "GRP-16")
    assert "prestation Ségur du SONS" in sons["message"] and "exclu du décompte et du financement" in sons["message"]
    excluded = [e for e in report["essms"] if e.get("excluded_reason")]
    assert len(excluded) == 1 and excluded[0]["finess"] in sons["message"]
    assert sons["location"]["cell"]  # the cell of the SONS column

    [contract] = _findings(judged["DEP-05"][0], "DEP-05")
    assert contract["severity"] == "a_corriger" and "avant le dépôt du dossier" in contract["message"]
    assert contract["found"].startswith("signé le ") and "2022" in contract["found"]

    [cofunding] = _findings(judged["BUD-09"][0], "BUD-09")
    assert "le FEDER" in cofunding["message"] and cofunding["severity"] == "a_corriger"


def _with_more_sites(call_dir: Path, target: Path, finess_ej: str, extra: int) -> Path:
    """The call's extract, with ``extra`` more establishments of the legal entity ``finess_ej``
    (its other sites, outside the dossier's grouping)."""
    target.mkdir(parents=True, exist_ok=True)
    lines = (call_dir / "finess" / ET_FILE).read_text(encoding="utf-8").splitlines()
    model = next(line for line in lines if line.startswith("structureet;") and f";{finess_ej};" in line)
    fields = next(csv.reader([model], delimiter=";"))
    added = []
    for index in range(extra):
        number = complete_with_key(f"{fields[1][:2]}8{index:05d}")
        row = [fields[0], number, *fields[2:]]
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="").writerow(row)
        added.append(out.getvalue())
    (target / ET_FILE).write_text("\n".join([lines[0], *added, *lines[1:]]) + "\n", encoding="utf-8")
    (target / EJ_FILE).write_bytes((call_dir / "finess" / EJ_FILE).read_bytes())
    return target


def test_bud05_counts_the_organisme_in_finess(generated, judged, tmp_path):
    call_dir, expected = generated
    # without FINESS: the equipment aid of the small organisme is asked, its size is not verified
    report, _ = judged["clean-limites-budget"]
    [unverified] = _findings(report, "BUD-05")
    assert unverified["severity"] == "alerte" and report["verdict"] == "recevable"
    assert "aucune extraction du répertoire FINESS n'était chargée" in unverified["message"]
    # with the call's extract: the organisme has no other site, nothing to say
    store = import_extracts([call_dir / "finess" / ET_FILE, call_dir / "finess" / EJ_FILE], tmp_path / "s1").info
    plain = _judge(generated, tmp_path / "o1", ["clean-limites-budget"], store.path)["clean-limites-budget"][0]
    assert not _findings(plain, "BUD-05") and plain["verdict"] == "recevable"
    # the small organisme has 14 more sites in FINESS: not small any more, the aid is refused
    threshold = load_call(CALL).funding.small_og_max_sites.value
    small = next(f for f in unverified["message"].split("FINESS ")[1:])[:9]
    ej = next(e["finess_ej"] for e in report["essms"] if e["finess"] == small)
    folder = _with_more_sites(call_dir, tmp_path / "bigger", ej, threshold - 1)
    bigger = import_extracts([folder / ET_FILE, folder / EJ_FILE], tmp_path / "s2").info
    judged_again = _judge(generated, tmp_path / "o2", ["clean-limites-budget"], bigger.path)["clean-limites-budget"][0]
    refused = _findings(judged_again, "BUD-05")
    assert refused and judged_again["verdict"] == "a_completer"
    assert all(f["severity"] == "a_corriger" for f in refused)
    assert f"établissements dans le répertoire FINESS (entité juridique {ej})" in refused[0]["message"]
