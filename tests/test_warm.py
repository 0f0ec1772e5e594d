"""The warm analysis process of the local server (``flows.warm``), in this process: what comes
back to ``esmsnum run`` (usage errors with their exit code), and when the command must run the
analysis itself (the process runs other code, or is busy with another run)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from flows.warm import WarmServer, delegate


@pytest.fixture()
def warm(tmp_path):
    server = WarmServer(tmp_path / "analyses.sock")
    thread = threading.Thread(target=server.serve, kwargs={"main_process": False}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield server
    server.stop()
    thread.join(timeout=30)


def _request(tmp_path: Path, call: str = "ars-ara-2022-regional") -> dict:
    return {
        "call_dir": str(tmp_path / "appel"),
        "call": call,
        "out_dir": str(tmp_path / "sortie"),
        "cache": None,
        "history_url": None,
        "workers": None,
        "progress": False,
    }


def _when_free(send, seconds: float = 60):
    """What the warm process answers once it has finished the previous request (until then it
    says it is busy, and the command would run the analysis itself: None)."""
    deadline = time.monotonic() + seconds
    while (outcome := send()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return outcome


def test_usage_errors_come_back_with_their_exit_code(warm, tmp_path):
    said: list[str] = []
    outcome = delegate(warm.socket_path, _request(tmp_path, "aap-imaginaire"), said.append)
    assert outcome is not None and outcome.code == 2 and "Appel inconnu" in outcome.usage_error
    outcome = _when_free(lambda: delegate(warm.socket_path, _request(tmp_path), said.append))
    assert outcome is not None and outcome.code == 2 and "Dossier d'appel introuvable" in outcome.usage_error
    assert not (tmp_path / "sortie").exists()


def test_the_finess_extract_and_the_output_folder_are_checked_as_the_command_does(warm, tmp_path, monkeypatch):
    monkeypatch.setenv("ESMSNUM_FINESS_DIR", str(tmp_path / "finess"))  # passed to the warm process
    (tmp_path / "appel" / "2022-ARA-0001").mkdir(parents=True)
    (tmp_path / "appel" / "2022-ARA-0001" / "budget.csv").write_text("a;b\n", encoding="utf-8")
    said: list[str] = []
    request = dict(_request(tmp_path), finess="2020-01-01")
    outcome = _when_free(lambda: delegate(warm.socket_path, request, said.append))
    assert outcome is not None and outcome.code == 2 and "n'est pas importée" in outcome.usage_error
    assert str(tmp_path / "finess") in outcome.usage_error
    (tmp_path / "sortie").write_text("un fichier", encoding="utf-8")
    outcome = _when_free(lambda: delegate(warm.socket_path, dict(_request(tmp_path), finess="aucune"), said.append))
    assert outcome is not None and outcome.code == 2 and "--sortie désigne un fichier" in outcome.usage_error


def test_a_relative_finess_file_is_sent_absolute(tmp_path, monkeypatch):
    from flows.warm import absolute_finess

    monkeypatch.chdir(tmp_path)
    (tmp_path / "finess-2026-03-11.sqlite").write_bytes(b"")
    assert absolute_finess("finess-2026-03-11.sqlite") == str(tmp_path / "finess-2026-03-11.sqlite")
    assert absolute_finess("2026-03-11") == "2026-03-11" and absolute_finess("aucune") == "aucune"


def test_a_warm_process_running_other_code_is_not_used(warm, tmp_path):
    warm.version = "une autre version"
    said: list[str] = []
    assert delegate(warm.socket_path, _request(tmp_path), said.append) is None
    assert "autre version du code" in said[0]


def test_a_busy_warm_process_lets_the_command_run_itself(warm, tmp_path):
    with warm.busy:
        assert delegate(warm.socket_path, _request(tmp_path), lambda text: None) is None


def test_no_warm_process_no_delegation(tmp_path):
    assert delegate(tmp_path / "absent.sock", _request(tmp_path), lambda text: None) is None
