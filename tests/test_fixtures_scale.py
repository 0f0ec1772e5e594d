"""The scale generator (``python -m fixtures.scale``): many dossiers of one call, each with its
own number, FINESS numbers and owners, a mix of layouts and outcomes, and the verdict and
rules the real pipeline gives them (``esmsnum run``, as tests/test_pipeline.py does)."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from conftest import esmsnum, load_json, verdict_mismatch
from fixtures.scale import generate_call, main

CALL = "ars-ara-2022-regional"
N = 60


@pytest.fixture(scope="module")
def scale_run(tmp_path_factory) -> tuple[Path, dict, Path]:
    """(dossiers folder, expected dossiers, out dir of ``esmsnum run``)."""
    root = tmp_path_factory.mktemp("scale")
    call_dir = generate_call(root, CALL, N)
    expected = load_json(call_dir.parent / "expected.json")
    assert expected["call"] == CALL
    out = root / "out"
    proc = esmsnum("run", str(call_dir), "--call", CALL, "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return call_dir, expected["dossiers"], out


def _members(entry: Path) -> list[str]:
    """File names of a dossier, inside its zip or folder."""
    if entry.is_dir():
        return [p.name for p in entry.rglob("*") if p.is_file()]
    with zipfile.ZipFile(entry) as zf:
        return [n.rsplit("/", 1)[-1] for n in zf.namelist() if not n.endswith("/")]


def _pairs(expected: dict) -> set[frozenset[str]]:
    """The dossiers a case links on purpose (a LOT pair, a porteur shared with another project)."""
    return {frozenset((numero, item["partner"])) for numero, item in expected.items() if item["partner"]}


def test_every_dossier_has_its_own_number(scale_run):
    call_dir, expected, _ = scale_run
    entries = sorted(call_dir.iterdir())
    numbers = [p.stem if p.suffix == ".zip" else p.name for p in entries]
    assert len(numbers) == len(set(numbers)) == N
    assert set(numbers) == set(expected)


def test_finess_and_owners_are_shared_only_where_a_case_means_it(scale_run):
    """Read back by the pipeline: FINESS ET, FINESS EJ and porteurs of each dossier."""
    _, expected, out = scale_run
    pairs = _pairs(expected)
    ets: dict[str, set[str]] = {}
    ejs: dict[str, set[str]] = {}
    porteurs: dict[str, set[str]] = {}
    for numero in expected:
        report = load_json(out / numero / "report.json")
        for essms in report["essms"]:
            ets.setdefault(essms["finess"], set()).add(numero)
            if essms.get("finess_ej"):
                ejs.setdefault(essms["finess_ej"], set()).add(numero)
        porteur = report["porteur"]
        ejs.setdefault(porteur["finess_ej"], set()).add(numero)
        porteurs.setdefault(porteur["raison_sociale"], set()).add(numero)
    assert sum(len(v) for v in ets.values()) >= 15 * N  # every dossier's list was read
    for kind, owners in (("FINESS ET", ets), ("FINESS EJ", ejs), ("porteur", porteurs)):
        shared = {key: sorted(numbers) for key, numbers in owners.items() if len(numbers) > 1}
        unintended = {
            key: numbers for key, numbers in shared.items() if len(numbers) > 2 or frozenset(numbers) not in pairs
        }
        assert not unintended, (kind, unintended)
    linked = [item for item in expected.values() if item["partner"]]
    assert linked, "the mix of this seed holds at least one cross-dossier case"


def test_the_mix_holds_several_layouts_sizes_and_outcomes(scale_run):
    call_dir, expected, _ = scale_run
    presets = Counter(item["layout"].split("/")[0] for item in expected.values())
    containers = Counter(item["layout"].split("/")[1] for item in expected.values())
    assert len(presets) >= 5 and len(containers) >= 3, (presets, containers)
    extensions = Counter(name.rsplit(".", 1)[-1].lower() for entry in call_dir.iterdir() for name in _members(entry))
    assert {"xlsx", "csv", "pdf", "docx", "json"} <= set(extensions), extensions
    assert any(p.suffix == ".zip" for p in call_dir.iterdir()) and any(p.is_dir() for p in call_dir.iterdir())
    sizes = [item["essms"] for item in expected.values()]
    assert max(sizes) - min(sizes) >= 15
    verdicts = Counter(item["verdict"] for item in expected.values())
    assert verdicts["recevable"] > N / 2 and verdicts["a_completer"] + verdicts["non_recevable"] >= 5, verdicts
    faulty = {item["case"] for item in expected.values() if item["rules"]}
    assert len(faulty) >= 5, faulty


def test_every_dossier_gets_its_expected_verdict_and_rules(scale_run):
    _, expected, out = scale_run
    summary = load_json(out / "summary.json")
    assert {d["dossier"] for d in summary["dossiers"]} == set(expected)
    mismatches = []
    for numero, case in sorted(expected.items()):
        report = load_json(out / numero / "report.json")
        if problem := verdict_mismatch(f"{numero} ({case['case']}, {case['layout']})", case, report):
            mismatches.append(problem)
    assert not mismatches, "\n".join(mismatches)


def test_generation_is_deterministic_and_the_cli_reports_its_speed(tmp_path, capsys):
    first = generate_call(tmp_path / "a", "ars-grand-est-2023-regional", 6, seed=3)
    assert main([str(tmp_path / "b"), "--call", "ars-grand-est-2023-regional", "--dossiers", "6", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "6 dossiers" in printed and "fichiers/s" in printed
    second = tmp_path / "b" / "ars-grand-est-2023-regional" / "dossiers"
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        a, b = first / name, second / name
        files = sorted(a.rglob("*")) if a.is_dir() else [a]
        for path in files:
            if path.is_file():
                assert path.read_bytes() == (b / path.relative_to(a) if a.is_dir() else b).read_bytes(), path
    assert json.loads((first.parent / "expected.json").read_text(encoding="utf-8")) == json.loads(
        (second.parent / "expected.json").read_text(encoding="utf-8")
    )
