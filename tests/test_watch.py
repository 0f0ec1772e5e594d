"""Watch mode (``esmsnum suivre``): a corrected dossier dropped into the call folder is
re-judged by the running process, its report and the summary rewritten; a zip still being
copied is never judged; Ctrl+C stops the process cleanly. Waits are bounded; nothing here
asserts a duration."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import NO_FINESS, ROOT, generated_cases, import_finess, load_json
from flows.watch import Arrivals, complete_zip, readable_zips, watched_name

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return generated_cases(tmp_path_factory, "watch-src", CALL, ["clean-workbook", "PIE-01", "BUD-03"])


def _corrected_zip(call_dir: Path, numero: str) -> bytes:
    """The dossier's files plus the planning it lacked (taken from another dossier), zipped
    as an owner's corrected deposit (members stored: the workbooks are zips themselves)."""
    donor = next(
        p
        for p in call_dir.iterdir()
        if p.is_dir() and p.name != numero and any("planning" in f.name.lower() for f in p.iterdir())
    )
    planning = next(f for f in donor.iterdir() if "planning" in f.name.lower())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for file in sorted((call_dir / numero).rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(call_dir / numero).as_posix())
        zf.write(planning, planning.name)
    return buffer.getvalue()


def test_a_zip_cut_anywhere_is_never_complete(source, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # stored members: the workbooks inside are zips too
        for file in sorted(source.rglob("*")):
            if file.is_file() and file.suffix != ".zip":
                zf.write(file, file.relative_to(source).as_posix())
    data = buffer.getvalue()
    whole = tmp_path / "whole.zip"
    whole.write_bytes(data)
    assert complete_zip(whole) and readable_zips(whole)
    cut = tmp_path / "cut.zip"
    for size in range(0, len(data), max(1, len(data) // 400)):
        cut.write_bytes(data[:size])
        assert not complete_zip(cut), size
    folder = tmp_path / "dossier"
    folder.mkdir()
    (folder / "pieces.zip").write_bytes(data[: len(data) // 2])
    assert not readable_zips(folder)


def test_an_entry_is_ready_once_unchanged_for_the_settle_time(tmp_path):
    arrivals = Arrivals(tmp_path, settle=1.0)
    folder = tmp_path / "2022-ARA-0099"
    folder.mkdir()
    (folder / "budget.csv").write_text("a;b\n", encoding="utf-8")
    arrivals.touch(folder.name, now=0.0)
    arrivals.touch(".cache", now=0.0)
    arrivals.touch("2022-ARA-0098.zip.part", now=0.0)
    assert sorted(arrivals.pending) == [folder.name]
    assert arrivals.ready(now=0.5) == ([], [folder.name])
    (folder / "budget.csv").write_text("a;b\n1;2\n", encoding="utf-8")  # still being written
    assert arrivals.ready(now=1.2) == ([], [folder.name])
    assert arrivals.ready(now=2.3) == ([folder.name], [])
    assert not arrivals.pending
    assert watched_name("2022-ARA-0001.zip") and not watched_name("~$budget.xlsx")


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(
                f"esmsnum suivre s'est arrêté (code {proc.returncode}) avant : {what}\n"
                f"{log.read_text(encoding='utf-8')[-3000:]}"
            )
        time.sleep(0.5)
    pytest.fail(f"délai dépassé en attendant : {what}\n{log.read_text(encoding='utf-8')[-3000:]}")


def _verdict(out: Path, numero: str) -> str | None:
    try:
        return load_json(out / numero / "report.json")["verdict"]
    except (OSError, ValueError):
        return None


def test_a_corrected_dossier_dropped_while_watching_gets_its_new_verdict(source, tmp_path):
    import shutil

    call_dir = tmp_path / "appel"
    shutil.copytree(source, call_dir)
    out = tmp_path / "rapports"
    log = tmp_path / "suivre.log"
    finess = import_finess(source.parent, tmp_path / "finess")  # every run checks the ESSMS in it
    env = dict(os.environ)
    env["ESMSNUM_FINESS_DIR"] = str(NO_FINESS)  # --finess names the extract: never the operator's own
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    script = Path(sys.executable).with_name("esmsnum")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "esmsnum"]
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            command
            + ["suivre", str(call_dir), "--call", CALL, "--out", str(out), "--attente", "1", "--finess", str(finess)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=ROOT,
        )
    try:
        _wait_for(lambda: "Suivi de" in log.read_text(encoding="utf-8"), 900, "la première analyse", proc, log)
        summary = load_json(out / "summary.json")
        assert "Répertoire FINESS : extraction du" in log.read_text(encoding="utf-8")
        assert summary["finess_repository"]["checked"]
        numero = next(d["dossier"] for d in summary["dossiers"] if "PIE-01" in d["rules"])
        assert _verdict(out, numero) == "a_completer"
        first_generated = summary["generated_at"]

        # Half of the corrected zip lands and stays there: it is not judged.
        data = _corrected_zip(call_dir, numero)
        target = call_dir / f"{numero}.zip"
        with open(target, "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            _wait_for(
                lambda: "copie incomplète" in log.read_text(encoding="utf-8"),
                120,
                "le signalement de la copie incomplète",
                proc,
                log,
            )
            assert load_json(out / "summary.json")["generated_at"] == first_generated
            assert _verdict(out, numero) == "a_completer"
            fh.write(data[len(data) // 2 :])

        # The copy completes: the dossier is judged again, its report and the summary rewritten.
        _wait_for(lambda: _verdict(out, numero) == "recevable", 600, "le nouveau verdict", proc, log)
        report = load_json(out / numero / "report.json")
        assert "PIE-01" not in {f["rule"] for f in report["findings"]}
        assert report["finess_repository"]["checked"]  # the re-run checked it in the same extract
        assert "PIE-01" in [f["rule"] for f in report["evolution"]["resolved"]]
        _wait_for(lambda: load_json(out / "summary.json")["superseded"], 60, "la synthèse réécrite", proc, log)
        again = load_json(out / "summary.json")
        assert again["superseded"] == [{"dossier": numero, "file": numero, "kept": f"{numero}.zip"}]
        assert again["run"]["dossiers_analysed"] == 1
        assert again["changes"] == [{"dossier": numero, "before": "a_completer", "after": "recevable"}]
        _wait_for(
            lambda: f"{numero} : À compléter → Recevable" in log.read_text(encoding="utf-8"),
            60,
            "le compte rendu de l'analyse",
            proc,
            log,
        )

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0
        assert "Suivi arrêté (2 analyses)" in log.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
