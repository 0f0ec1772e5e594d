"""Whole dossiers judged in worker processes (``flows.workers``): the same reports as the
flow's threads, and the per-file limits kept — a file that takes too long or too much memory
ends its worker, never its dossier, whose report says which file could not be read."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future
from pathlib import Path

import pytest

from conftest import esmsnum, load_json
from flows import workers
from judging.submission import fingerprint
from validators.engine import load_call

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("workers-src")
    generate(out, calls=[CALL], only=["clean-workbook", "PIE-01", "BUD-03", "clean-zip", "GRP-01"])
    return out / CALL / "dossiers"


def _config(**limits):
    config = load_call(CALL)
    return config.model_copy(update={"limits": config.limits.model_copy(update=limits)})


def _judged_with_hostile_file(
    source: Path, hostile: Path, tmp_path: Path, piece: tuple[str, str] = ("slow.pdf", "annexe lente.pdf"), **limits
) -> tuple[str, dict]:
    """A clean dossier with a hostile file added (by default a slow PDF, ``piece``: the
    hostile file and the name it gets), judged in the worker processes under these limits
    (the pool shut down after): the dossier's name and the worker's result."""
    clean = next(p for p in sorted(source.iterdir()) if p.is_dir())
    dossier = tmp_path / clean.name
    shutil.copytree(clean, dossier)
    shutil.copy(hostile / piece[0], dossier / piece[1])
    try:
        return dossier.name, workers.judge(fingerprint(dossier), _config(**limits), tmp_path / "cache")
    finally:
        workers.shutdown()


def _unreadable(report: dict) -> dict[str, str]:
    return {f["location"]["file"]: f["found"] for f in report["findings"] if f["rule"] == "PIE-02"}


def test_a_file_over_its_time_ends_the_worker_not_the_dossier(source, hostile, tmp_path):
    name, result = _judged_with_hostile_file(source, hostile, tmp_path, seconds_per_file=2)
    report = result["report"]
    assert not report["internal_error"] and report["dossier"] == name
    assert "lecture interrompue après 2 s" in _unreadable(report)["annexe lente.pdf"]
    assert len(_unreadable(report)) == 1  # the dossier's other files were read
    assert "annexe lente.pdf" in result["extracted"]


def test_a_file_over_its_memory_costs_a_finding_not_the_dossier(source, hostile, tmp_path):
    piece = ("sparse.xlsx", "annexe budget.xlsx")  # 5 KB that a dense reader turns into gigabytes
    name, result = _judged_with_hostile_file(source, hostile, tmp_path, piece, memory_mb_per_file=200)
    report = result["report"]
    # each file is read in the sandbox's processes, under the cap; the dossier still gets its report
    assert not report["internal_error"] and report["dossier"] == name
    assert "mémoire" in _unreadable(report)["annexe budget.xlsx"]
    assert len(_unreadable(report)) == 1  # the dossier's other files were read


def test_workers_give_the_reports_of_the_flow_threads(source, tmp_path, monkeypatch):
    runs = {}
    for mode in ("0", "1"):  # 0: judged in the flow's threads; 1: in worker processes
        monkeypatch.setenv(workers.DOSSIER_WORKERS_ENV, mode)
        out = tmp_path / f"out-{mode}"
        proc = esmsnum("run", str(source), "--call", CALL, "--out", str(out), "--workers", "2")
        assert proc.returncode == 0, proc.stderr[-3000:]
        summary = load_json(out / "summary.json")
        assert summary["run"]["dossiers_analysed"] == len(os.listdir(source)) >= 4
        runs[mode] = {
            d["dossier"]: (d["verdict"], d["rules"], load_json(out / d["report"])["digest"])
            for d in summary["dossiers"]
        }
        assert all((out / d["report_html"]).is_file() for d in summary["dossiers"])
    assert runs["1"] == runs["0"]


def test_workers_check_the_essms_in_the_finess_extract(tmp_path):
    """The FINESS store of the run reaches the worker processes and their isolated fallback:
    the same report as a dossier judged in the flow's threads with that store."""
    from fixtures.generate import generate
    from judging.analysis import judge_dossier
    from validators.finess_repository import import_extracts

    expected = generate(tmp_path / "in", calls=[CALL], only=["GRP-06-repertoire"])[CALL]
    [numero] = expected["dossiers"]
    call_dir = tmp_path / "in" / CALL
    dossier = next(p for p in (call_dir / "dossiers").iterdir() if p.name in (numero, f"{numero}.zip"))
    store = str(import_extracts(sorted((call_dir / "finess").glob("etalab-*.csv")), tmp_path / "finess").info.path)
    config = load_call(CALL)
    try:
        in_worker = workers.judge(fingerprint(dossier), config, tmp_path / "cache-w", store)["report"]
    finally:
        workers.shutdown()
    isolated = workers.judge_isolated(fingerprint(dossier), config, tmp_path / "cache-i", finess=store)["report"]
    threads = judge_dossier(dossier, config, finess=store).to_json()
    unchecked = judge_dossier(dossier, config).to_json()
    assert threads["finess_repository"]["checked"] and not unchecked["finess_repository"]["checked"]
    assert threads["verdict"] != unchecked["verdict"]  # the repository's category decides this case
    for report in (in_worker, isolated):
        assert not report["internal_error"] and report["finess_repository"] == threads["finess_repository"]
        assert report["verdict"] == threads["verdict"]
        assert [f["rule"] for f in report["findings"]] == [f["rule"] for f in threads["findings"]]


class _StalledPool:
    """A pool that takes tasks and never starts them (its manager gone, its workers idle)."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.scheduled = 0

    def schedule(self, *args, **kwargs) -> Future:
        self.scheduled += 1
        return Future()


@pytest.mark.parametrize("active", [False, True])
def test_a_pool_that_never_starts_the_task_is_not_waited_on_for_ever(source, tmp_path, monkeypatch, active):
    """A stopped pool, or one that leaves the task unstarted beyond every queued dossier's
    time: the pool is restarted once, then the dossier is judged in the flow; it has its report."""
    stalled = _StalledPool(active)
    monkeypatch.setattr(workers, "WATCH_SECONDS", 0.05)
    monkeypatch.setattr(workers, "_get_pool", lambda limits: stalled)
    clean = next(p for p in sorted(source.iterdir()) if p.is_dir())
    result = workers.judge(fingerprint(clean), _config(seconds_per_file=0.01), tmp_path / "cache")
    assert stalled.scheduled == 2  # tried again on a new pool, then judged here
    assert result["report"]["dossier"] == clean.name and not result["report"]["internal_error"]
