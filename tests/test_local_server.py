"""The local Prefect server kept between commands (``esmsnum serveur demarrer|arreter|etat``):
started detached, used by ``esmsnum run`` (its flow runs are recorded there, no temporary
server), stopped with nothing left behind; a state file left by a vanished server is
detected and removed. Everything in a private PREFECT_HOME; the server is always stopped."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import esmsnum, import_finess, load_json
from flows import server

CALL = "ars-ara-2022-regional"


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "prefect-home"
    monkeypatch.setenv("PREFECT_HOME", str(folder))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    yield folder
    server.stop(folder)  # whatever happened, no server left running


def _flow_runs(api_url: str) -> list[dict]:
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter", data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_started_server_is_used_by_run_then_stopped(home, tmp_path):
    from fixtures.generate import generate

    proc = esmsnum("serveur", "etat", process=True)
    assert proc.returncode == 1 and "Aucun serveur Prefect local" in proc.stdout

    proc = esmsnum("serveur", "demarrer", timeout=600, process=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Serveur Prefect local en marche" in proc.stdout
    state = server.read_state(home)
    assert state is not None and server.is_our_process(state) and server.healthy(state.api_url)
    again = esmsnum("serveur", "demarrer", process=True)  # idempotent: the same server
    assert again.returncode == 0 and server.read_state(home).pid == state.pid
    status = esmsnum("serveur", "etat", process=True)
    assert status.returncode == 0 and state.ui_url in status.stdout

    generate(tmp_path / "in", calls=[CALL], only=["clean-workbook", "PIE-01"])
    # the caller's FINESS folder (ESMSNUM_FINESS_DIR) reaches the warm process, which checks
    # the ESSMS in its latest extract as the command would
    finess = import_finess(tmp_path / "in" / CALL, tmp_path / "finess")
    out = tmp_path / "out"
    run_call = ("run", str(tmp_path / "in" / CALL / "dossiers"), "--call", CALL, "--out", str(out))
    run = esmsnum(*run_call, finess_dir=finess, process=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "temporaire" not in run.stderr
    assert "processus préchargé du serveur local" in run.stderr  # the run was handed to the warm process
    assert "Répertoire FINESS : extraction du" in run.stderr
    assert state.runner_pid and server.runner_ready(state)
    summary = load_json(out / "summary.json")
    assert summary["totals"]["dossiers"] == 2 and summary["finess_repository"]["checked"]
    assert all(load_json(out / d["report"])["finess_repository"]["checked"] for d in summary["dossiers"])
    unknown = esmsnum(*run_call, "--finess", "2020-01-01", process=True)
    assert unknown.returncode == 2 and "n'est pas importée" in unknown.stderr
    runs = [r for r in _flow_runs(state.api_url) if r["name"] == CALL]
    assert runs and runs[0]["state_type"] == "COMPLETED"
    refused = esmsnum(
        "run", str(tmp_path / "in" / CALL / "dossiers"), "--call", "aap-imaginaire", "--out", str(out), process=True
    )
    assert refused.returncode == 2 and "Appel inconnu" in refused.stderr

    stopped = esmsnum("serveur", "arreter", process=True)
    assert stopped.returncode == 0 and f"processus {state.pid}" in stopped.stdout
    assert not server.is_our_process(state) and not server.state_path(home).exists()
    assert not server._alive(state.runner_pid) and not Path(state.runner_socket).exists()
    assert not server.healthy(state.api_url, timeout=1)
    assert esmsnum("serveur", "etat", process=True).returncode == 1


def _state_file(home: Path, pid: int, port: int) -> None:
    """The state file a server would leave in ``home``, naming process ``pid``."""
    home.mkdir(parents=True)
    state = server.ServerState(
        pid=pid,
        port=port,
        api_url=f"http://127.0.0.1:{port}/api",
        ui_url=f"http://127.0.0.1:{port}",
        started_at="2026-11-24T10:00:00+01:00",
        prefect_home=str(home),
        log=str(home / "x.log"),
    )
    server._write_state(state, home)


def test_a_state_file_left_by_a_vanished_server_is_detected(home):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _state_file(home, gone.pid, port=1)
    assert server.connect(home) is None  # no server: the run falls back to a temporary one
    proc = esmsnum("serveur", "etat", process=True)
    assert proc.returncode == 1 and "Fichier d'état périmé supprimé" in proc.stdout
    assert not server.state_path(home).exists()


def test_a_live_process_that_is_not_the_server_is_not_taken_for_it(home):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _state_file(home, other.pid, port=4999)
        report = server.stop(home)  # must not kill a process that is not the server
        assert report.stale_removed and other.poll() is None
        assert not server.state_path(home).exists()
    finally:
        other.kill()
        other.wait()
