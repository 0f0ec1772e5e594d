"""The local Prefect server kept between commands (``esmsnum serveur demarrer|arreter|etat``):
started detached, used by ``esmsnum run`` (its flow runs are recorded there, no temporary
server), stopped with nothing left behind; a state file left by a vanished server is
detected and removed. The default path: the first ``esmsnum run`` starts the kept server, the
next reuses it, a killed server is replaced, a ``kill -9`` of a run leaves no server nobody
owns (checked in /proc), the server stops by itself after ``ESMSNUM_SERVER_IDLE``. Each test
has its own private state folder; the server is always stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, esmsnum, import_finess, load_json
from flows import server

CALL = "ars-ara-2022-regional"


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """The server's folder in a private state folder of the test; no PREFECT_API_URL (the
    session's test server is not seen by the commands)."""
    monkeypatch.setenv("ESMSNUM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    folder = server.state_folder()
    yield folder
    server.stop(folder)  # whatever happened, no server left running
    for pid in _servers_of(tmp_path / "state"):
        os.kill(pid, signal.SIGKILL)


def _servers_of(state: Path) -> list[int]:
    """The Prefect server processes started for this state folder (found by their
    environment in /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
            status = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if server.APP.encode() in cmdline and f"ESMSNUM_STATE_DIR={state}".encode() in environ and status != "Z":
            found.append(int(entry.name))
    return found


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
    state = server.ServerState(
        pid=pid,
        port=port,
        api_url=f"http://127.0.0.1:{port}/api",
        ui_url=f"http://127.0.0.1:{port}",
        started_at="2026-11-24T10:00:00+01:00",
        prefect_home=str(home),
        log=str(home / "x.log"),
    )
    server.write_state(state, home)


def test_a_state_file_left_by_a_vanished_server_is_detected(home):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _state_file(home, gone.pid, port=1)
    assert server.connect(home) is None  # no server: the next run starts one
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


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_the_first_run_starts_the_kept_server_the_next_ones_reuse_it_then_it_stops_when_idle(home, tmp_path):
    from fixtures.generate import generate

    generate(tmp_path / "in", calls=[CALL], only=["clean-workbook", "PIE-01"])
    dossiers = str(tmp_path / "in" / CALL / "dossiers")
    state_dir = tmp_path / "state"
    # short idle time; no dossier workers started ahead by the keeper (less to start here)
    idle = {"ESMSNUM_SERVER_IDLE": "6s", "ESMSNUM_DOSSIER_WORKERS": "0"}

    def run(out: str, **env):
        return esmsnum("run", dossiers, "--call", CALL, "--out", str(tmp_path / out), env={**idle, **env}, process=True)

    first = run("out")  # no server running: this command starts the kept one and hands it the run
    assert first.returncode == 0, first.stderr[-3000:]
    assert "processus préchargé du serveur local" in first.stderr and "temporaire" not in first.stderr
    state = server.read_state(home)
    assert state is not None and state.idle_seconds == 6 and server.is_our_process(state)
    assert _servers_of(state_dir) == [state.pid]

    second = run("out")  # the same server, nothing started
    assert second.returncode == 0, second.stderr[-3000:]
    assert server.read_state(home) == state and "processus préchargé du serveur local" in second.stderr

    # a crashed server is replaced by the next command, not waited on
    os.kill(state.pid, signal.SIGKILL)
    third = run("out")
    assert third.returncode == 0, third.stderr[-3000:]
    replaced = server.read_state(home)
    assert replaced is not None and replaced.pid != state.pid and server.healthy(replaced.api_url)
    _wait(lambda: not server._alive(state.runner_pid), 20, "the keeper of the killed server is still there")
    assert _servers_of(state_dir) == [replaced.pid]

    # kill -9 of a run in progress: the only server left is the kept one, owned by its keeper
    command = [str(Path(sys.executable).with_name("esmsnum")), "run", dossiers, "--call", CALL]
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | idle
    killed = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out-killed")], stderr=subprocess.PIPE, text=True, env=env
    )
    assert "Analyse des dossiers" in killed.stderr.readline() + killed.stderr.readline()
    killed.kill()
    killed.wait()
    assert _servers_of(state_dir) == [replaced.pid] and server._is_runner(replaced.runner_pid)

    # unused for 6 s: the keeper stops itself and its server, and removes the state file
    _wait(lambda: not server.state_path(home).exists(), 30, "the idle server did not stop")
    _wait(lambda: not _servers_of(state_dir) and not server._alive(replaced.runner_pid), 20, "processes left")
    assert not Path(replaced.runner_socket).exists()


def test_a_temporary_server_dies_with_the_command_that_started_it(tmp_path):
    """``ESMSNUM_SERVER_IDLE=0``: each command's server is its child, started with
    ``server.die_with_parent`` (PR_SET_PDEATHSIG): a ``kill -9`` of the command kills it."""
    code = (
        "import subprocess, sys, time\n"
        "from flows.server import die_with_parent\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], preexec_fn=die_with_parent())\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    child = int(parent.stdout.readline())
    assert server._alive(child)
    parent.kill()
    parent.wait()
    _wait(lambda: not server._alive(child), 10, "the child outlived its parent")
