"""Corrected submissions: a re-run redoes only what changed, and shows what changed.

Every run here is the real ``esmsnum run`` (Prefect flow, cache, history database) on
generated dossiers; "what was redone" is read from the run counters the flow writes in
``summary.json`` (cache hits and task runs), never from timings.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import ROOT, esmsnum, load_json
from judging.lock import OutputLock

CALL = "ars-ara-2022-regional"
CASES = "clean-workbook,clean-zip,BUD-03,PIE-01,GRP-01,LOT-01-premier,LOT-01-second"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("resub-src")
    generate(out, calls=[CALL], only=CASES.split(","))
    return out / CALL / "dossiers"


def _run(call_dir: Path, out: Path, call: str = CALL) -> dict:
    proc = esmsnum("run", str(call_dir), "--call", call, "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return load_json(out / "summary.json")


def _copied(source: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the generated call folder to change, and the output folder of its runs."""
    call_dir = tmp_path / "call"
    shutil.copytree(source, call_dir)
    return call_dir, tmp_path / "out"


def _report(out: Path, numero: str) -> dict:
    return load_json(out / numero / "report.json")


def _dossier_with(summary: dict, rule: str) -> str:
    return next(d["dossier"] for d in summary["dossiers"] if rule in d["rules"])


def _set_cell(xlsx: Path, sheet: str, cell: str, value: float) -> None:
    """What an owner does in Excel: change one cell and save (totals recomputed).

    openpyxl does not compute formulas, so every formula cell of the sheet is replaced by
    its value computed from the new figures (the generator writes SUM ranges and sums)."""
    formulas = openpyxl.load_workbook(xlsx)
    values = openpyxl.load_workbook(xlsx, data_only=True)[sheet]
    ws = formulas[sheet]
    grid = {c.coordinate: c.value for row in values.iter_rows() for c in row}
    grid[cell] = value

    def number(ref: str) -> float:
        v = grid.get(ref)
        return v if isinstance(v, (int, float)) else 0.0

    def evaluate(formula: str) -> float:
        total = 0.0
        for term in formula.lstrip("=").split("+"):
            m = re.fullmatch(r"SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", term.strip())
            if m:
                c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
                cols = [
                    openpyxl.utils.get_column_letter(i)
                    for i in range(
                        openpyxl.utils.column_index_from_string(c1), openpyxl.utils.column_index_from_string(c2) + 1
                    )
                ]
                total += sum(number(f"{c}{r}") for c in cols for r in range(r1, r2 + 1))
            else:
                total += number(term.strip())
        return total

    ws[cell] = value
    for _ in range(2):  # row totals first, then column totals that sum them
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    grid[c.coordinate] = evaluate(c.value)
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.value = grid[c.coordinate]
    formulas.save(xlsx)


def test_a_corrected_budget_is_the_only_thing_redone(source, tmp_path):
    call_dir, out = _copied(source, tmp_path)

    cold = _run(call_dir, out)
    n = cold["totals"]["dossiers"]
    assert cold["run"]["dossiers_analysed"] == n and cold["run"]["dossiers_cached"] == 0
    assert cold["run"]["reports_written"] == n

    warm = _run(call_dir, out)
    assert warm["run"].pop("stage_seconds").keys() >= {"intake", "analysis", "call_rules", "reports"}
    assert warm["run"].pop("files_hashed") == 0 and warm["run"].pop("files_known") > 0  # nothing re-read
    assert warm["run"] == {
        "dossiers": n,
        "dossiers_cached": n,
        "dossiers_analysed": 0,
        "documents_extracted": 0,
        "documents_cached": 0,
        "reports_written": 0,
    }
    assert [d["verdict"] for d in warm["dossiers"]] == [d["verdict"] for d in cold["dossiers"]]

    # The owner fixes the cell BUD-03 pointed at.
    numero = _dossier_with(cold, "BUD-03")
    before = _report(out, numero)
    finding = next(f for f in before["findings"] if f["rule"] == "BUD-03")
    loc = finding["location"]
    ceiling = float(re.sub(r"[^\d]", "", finding["expected"]))
    _set_cell(call_dir / numero / loc["file"], loc["sheet"], loc["cell"], ceiling)
    documents = len([d for d in before["documents"] if d["format"] != "json"])

    fixed = _run(call_dir, out)
    assert fixed["run"]["dossiers_analysed"] == 1 and fixed["run"]["dossiers_cached"] == n - 1
    assert fixed["run"]["documents_extracted"] == 1, "only the corrected budget is read again"
    assert fixed["run"]["documents_cached"] == documents - 1
    assert fixed["run"]["reports_written"] == 1
    after = _report(out, numero)
    assert after["verdict"] == "recevable"
    assert [f["rule"] for f in after["evolution"]["resolved"]] == ["BUD-03"]
    assert after["evolution"]["previous_verdict"] == "a_completer"
    assert {"dossier": numero, "before": "a_completer", "after": "recevable"} in fixed["changes"]
    timeline = esmsnum("history", numero, "--out", str(out))
    assert timeline.returncode == 0, timeline.stderr
    assert "2 analyses enregistrées" in timeline.stdout and "résolu : BUD-03" in timeline.stdout

    # A new export of the call: the same files, re-zipped, new timestamps: nothing is redone.
    export = tmp_path / "export2"
    export.mkdir()
    for folder in sorted(p for p in call_dir.iterdir() if p.is_dir()):
        with zipfile.ZipFile(export / f"{folder.name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(folder.rglob("*")):
                if file.is_file():
                    zf.write(file, file.relative_to(folder).as_posix())
    for z in call_dir.glob("*.zip"):
        shutil.copy2(z, export / z.name)
    reexported = _run(export, out)
    assert reexported["run"]["dossiers_cached"] == n and reexported["run"]["reports_written"] == 0


def test_a_changed_configuration_revalidates_every_dossier_without_rereading(source, tmp_path):
    out = tmp_path / "out"
    first = _run(source, out)
    n = first["totals"]["dossiers"]
    config = yaml.safe_load((ROOT / "calls" / f"{CALL}.yaml").read_text(encoding="utf-8"))
    config["title"] += " (rectificatif)"
    custom = tmp_path / "call.yaml"
    custom.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    second = _run(source, out, call=str(custom))
    assert second["run"]["dossiers_analysed"] == n and second["run"]["dossiers_cached"] == 0
    assert second["run"]["documents_extracted"] == 0 and second["run"]["documents_cached"] > 0
    assert second["call_title"].endswith("(rectificatif)")
    assert [d["verdict"] for d in second["dossiers"]] == [d["verdict"] for d in first["dossiers"]]


def test_a_waiver_survives_reruns_until_its_evidence_changes(source, tmp_path):
    call_dir, out = _copied(source, tmp_path)
    summary = _run(call_dir, out)
    numero = _dossier_with(summary, "BUD-03")

    lever = esmsnum(
        "lever",
        numero,
        "BUD-03",
        "--out",
        str(out),
        "--motif",
        "Surcoût justifié par l'annexe 2",
        "--par",
        "Instructrice ARS",
    )
    assert lever.returncode == 0, lever.stderr
    assert "À compléter → Recevable" in lever.stdout
    report = _report(out, numero)
    waived = next(f for f in report["findings"] if f["rule"] == "BUD-03")
    assert waived["waiver"]["motif"] == "Surcoût justifié par l'annexe 2"
    assert report["verdict"] == "recevable" and report["counts"]["leves"] == 1
    assert "levé par l'instructeur" in (out / numero / "report.html").read_text(encoding="utf-8").lower()
    assert (
        next(d for d in load_json(out / "summary.json")["dossiers"] if d["dossier"] == numero)["verdict"] == "recevable"
    )

    again = _run(call_dir, out)
    assert again["run"]["reports_written"] == 0
    assert _report(out, numero)["verdict"] == "recevable"

    # The owner changes the figure: new evidence, the waiver no longer applies.
    loc = waived["location"]
    _set_cell(call_dir / numero / loc["file"], loc["sheet"], loc["cell"], 9000)
    changed = _run(call_dir, out)
    report = _report(out, numero)
    finding = next(f for f in report["findings"] if f["rule"] == "BUD-03")
    assert "waiver" not in finding and "9" in finding["found"]
    assert report["verdict"] == "a_completer"
    assert {"dossier": numero, "before": "recevable", "after": "a_completer"} in changed["changes"]

    refused = esmsnum("lever", numero, "GRP-04", "--out", str(out), "--motif", "x")
    assert refused.returncode == 2 and "aucun constat GRP-04" in refused.stderr


def test_a_dossier_dropped_beside_its_previous_version_replaces_it(source, tmp_path):
    call_dir, out = _copied(source, tmp_path)
    summary = _run(call_dir, out)
    numero = _dossier_with(summary, "PIE-01")
    # The owner sends the missing planning: the operator drops a zip of the new version.
    donor = next(
        p
        for p in call_dir.iterdir()
        if p.is_dir() and p.name != numero and any("planning" in f.name.lower() for f in p.iterdir())
    )
    planning = next(f for f in donor.iterdir() if "planning" in f.name.lower())
    time.sleep(1.1)
    with zipfile.ZipFile(call_dir / f"{numero}.zip", "w") as zf:
        for file in sorted((call_dir / numero).rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(call_dir / numero).as_posix())
        zf.write(planning, planning.name)
    again = _run(call_dir, out)
    assert again["totals"]["dossiers"] == summary["totals"]["dossiers"]
    assert again["run"]["dossiers_analysed"] == 1
    assert again["superseded"] == [{"dossier": numero, "file": numero, "kept": f"{numero}.zip"}]
    report = _report(out, numero)
    assert "PIE-01" not in {f["rule"] for f in report["findings"]}
    assert "PIE-01" in [f["rule"] for f in report["evolution"]["resolved"]]


def test_a_second_run_on_the_same_output_is_refused(source, tmp_path):
    out = tmp_path / "out"
    with OutputLock(out):
        proc = esmsnum("run", str(source), "--call", CALL, "--out", str(out))
    assert proc.returncode == 1
    assert "Une analyse est déjà en cours" in proc.stderr and str(os.getpid()) in proc.stderr
    assert not (out / "summary.json").exists()


def test_a_run_killed_midway_then_rerun_loses_and_duplicates_nothing(source, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PREFECT_HOME=str(ROOT / ".prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    script = Path(sys.executable).with_name("esmsnum")
    proc = subprocess.Popen(
        [str(script), "run", str(source), "--call", CALL, "--out", str(out)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    from flows.cache import storage_setting

    cache = storage_setting(out)  # the private state folder of the session (conftest)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if cache.is_dir() and sum(1 for p in cache.iterdir() if p.name.startswith("document-")) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    summary = _run(source, out)
    numbers = sorted(p.name for p in source.iterdir())
    numbers = sorted({n.removesuffix(".zip") for n in numbers})
    assert [d["dossier"] for d in summary["dossiers"]] == numbers
    run = summary["run"]
    assert run["dossiers_cached"] + run["documents_cached"] >= 1, "what the killed run finished is reused"
    for numero in numbers:
        report = _report(out, numero)
        assert report["dossier"] == numero and report["digest"]
    assert not list(out.rglob("*.tmp"))
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) == numbers
    history = esmsnum("history", numbers[0], "--out", str(out))
    assert "1 analyse enregistrée" in history.stdout
