"""A local Prefect server kept running between commands: ``esmsnum serveur demarrer|arreter|etat``.

Without ``PREFECT_API_URL``, every ``esmsnum run`` makes Prefect start a temporary server
(a uvicorn process, its database checked) and stop it at the end: seconds of every command
for nothing. This module starts the same server once, detached, on 127.0.0.1 and a free
port, and writes what identifies it to a state file beside Prefect's own files
(``$PREFECT_HOME/esmsnum-serveur.json``: pid, port, URL, start time). Later commands
(``esmsnum run``, ``suivre``, ``serve``) find it there and use it (``connect``); when it is
not running they fall back to the temporary server.

Never orphaned: the state file is written as soon as the process exists, before it answers;
``arreter`` stops the whole process group and removes the file; a state file whose process
is gone, or is no longer this server (a reused pid), is detected as stale and removed by
the next command. Nothing here imports Prefect: reading the state costs a file read and,
when a server is recorded, one HTTP request to its health endpoint.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import errno
import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from flows.settings import DEFAULTS

STATE_FILE = "esmsnum-serveur.json"
LOG_FILE = "esmsnum-serveur.log"
PREFERRED_PORT = 4200  # Prefect's usual port, when free
APP = "prefect.server.api.server:create_app"
START_TIMEOUT = 300.0  # the first start creates and migrates the SQLite database: slow on a small machine


class ServerError(Exception):
    """The local server could not be started or stopped (message in French)."""


class Status(enum.Enum):
    RUNNING = "en marche"
    UNRESPONSIVE = "ne répond pas"
    STOPPED = "arrêté"


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    api_url: str
    ui_url: str
    started_at: str  # ISO 8601, local time
    prefect_home: str
    log: str
    process_start: int | None = None  # /proc/<pid>/stat start time, against pid reuse
    runner_pid: int | None = None  # the warm analysis process (flows.warm), when started
    runner_socket: str | None = None


@dataclass(frozen=True)
class Report:
    """What ``etat`` says: the status, the server when one is recorded, whether a stale
    state file was just removed."""

    status: Status
    state: ServerState | None = None
    stale_removed: bool = False


def prefect_home() -> Path:
    """Prefect's home folder, as Prefect computes it by default (without importing it)."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser().resolve()


def state_path(home: Path | None = None) -> Path:
    return (home or prefect_home()) / STATE_FILE


def read_state(home: Path | None = None) -> ServerState | None:
    try:
        data = json.loads(state_path(home).read_text(encoding="utf-8"))
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """The server answers its health endpoint."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (2nd field) may hold spaces: split after its closing parenthesis.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a dead process not yet reaped by its new parent still answers kill(0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def is_our_process(state: ServerState) -> bool:
    """The recorded pid is alive and is still this server (not a reused pid)."""
    if not _alive(state.pid):
        return False
    if state.process_start is not None and _process_start(state.pid) not in (None, state.process_start):
        return False
    try:
        cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (not Linux): the start time and the pid are all we have
    return APP.encode() in cmdline and str(state.port).encode() in cmdline


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One ``demarrer`` or ``arreter`` at a time for a Prefect home."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / (STATE_FILE + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status(home: Path | None = None, timeout: float = 2.0) -> Report:
    """Where the local server stands; a stale state file is removed (and said so)."""
    home = home or prefect_home()
    state = read_state(home)
    if state is None:
        if state_path(home).exists():  # unreadable: written by nobody we can trust
            state_path(home).unlink(missing_ok=True)
            return Report(Status.STOPPED, stale_removed=True)
        return Report(Status.STOPPED)
    if not is_our_process(state):
        state_path(home).unlink(missing_ok=True)
        return Report(Status.STOPPED, state, stale_removed=True)
    if healthy(state.api_url, timeout):
        return Report(Status.RUNNING, state)
    return Report(Status.UNRESPONSIVE, state)


def connect(home: Path | None = None) -> str | None:
    """Point this process (and its children) at the local server when it runs and no
    Prefect server is configured: returns its API URL, or None (Prefect will then start a
    temporary server). Called before Prefect is imported."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    state = read_state(home)
    if state is None or not is_our_process(state) or not healthy(state.api_url, timeout=2.0):
        return None
    os.environ["PREFECT_API_URL"] = state.api_url
    return state.api_url


def _port_free(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(preferred: int | None) -> int:
    if preferred and _port_free(preferred):
        return preferred
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(port: int) -> list[str]:
    spec = importlib.util.find_spec("prefect")  # where Prefect is installed, without importing it
    app_dir = Path(spec.origin).parent.parent if spec and spec.origin else Path(sys.prefix)
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(app_dir),
        "--factory",
        APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


def _environment(port: int, api_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_UI_API_URL": api_url,  # the UI's pages call this API
        }
    )
    return env


def start(port: int | None = None, home: Path | None = None, timeout: float = START_TIMEOUT) -> Report:
    """Start the local server detached, or return the one already running."""
    home = home or prefect_home()
    with _locked(home):
        current = status(home)
        if current.status is Status.RUNNING and current.state is not None:
            if current.state.runner_pid and _alive(current.state.runner_pid) and _is_runner(current.state.runner_pid):
                return current
            return Report(Status.RUNNING, _spawn_runner(current.state, home, timeout))  # its runner died
        if current.status is Status.UNRESPONSIVE and current.state is not None:
            _terminate(current.state, home)  # ours but deaf: replace it
        if port and not _port_free(port):
            raise ServerError(
                f"Le port {port} est déjà utilisé : en choisir un autre (--port) ou laisser esmsnum "
                "en choisir un libre."
            )
        for attempt in range(3):
            state = _spawn(port or _free_port(PREFERRED_PORT if attempt == 0 else None), home)
            outcome = _wait_healthy(state, timeout)
            if outcome is None:
                return Report(Status.RUNNING, _spawn_runner(state, home, timeout))
            state_path(home).unlink(missing_ok=True)
            if port or outcome != errno.EADDRINUSE:
                break
        raise ServerError(
            f"Le serveur Prefect local n'a pas démarré (voir son journal : {state.log}).\n" + _tail(Path(state.log))
        )


def _spawn(port: int, home: Path) -> ServerState:
    api_url = f"http://127.0.0.1:{port}/api"
    log = home / LOG_FILE
    with open(log, "ab") as out:
        out.write(
            f"\n--- démarrage {dt.datetime.now().astimezone().isoformat(timespec='seconds')} port {port}\n".encode()
        )
        out.flush()
        # A new session: the server survives this command and the terminal that started it,
        # and ``arreter`` stops its whole process group.
        process = subprocess.Popen(
            _command(port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_environment(port, api_url, home),
            cwd=str(home),
            start_new_session=True,
            close_fds=True,
        )
    state = ServerState(
        pid=process.pid,
        port=port,
        api_url=api_url,
        ui_url=f"http://127.0.0.1:{port}",
        started_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        prefect_home=str(home),
        log=str(log),
        process_start=_process_start(process.pid),
    )
    _write_state(state, home)
    _PROCESSES[process.pid] = process
    return state


_PROCESSES: dict[int, subprocess.Popen] = {}  # children started by this process, to reap them
RUNNER_MODULE = "flows.warm"


def _spawn_runner(state: ServerState, home: Path, timeout: float) -> ServerState:
    """The warm analysis process (``flows.warm``), pointed at the server just started. A
    server without it still works: runs are then done by each command."""
    from flows.warm import LOG_FILE as RUNNER_LOG
    from flows.warm import SOCKET_FILE, ping

    socket_path = home / SOCKET_FILE
    env = _environment(state.port, state.api_url, home)
    env["PREFECT_API_URL"] = state.api_url
    with open(home / RUNNER_LOG, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", RUNNER_MODULE, str(socket_path)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(home),
            start_new_session=True,
            close_fds=True,
        )
    _PROCESSES[process.pid] = process
    state = replace(state, runner_pid=process.pid, runner_socket=str(socket_path))
    _write_state(state, home)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ping(socket_path, timeout=1.0) is not None:
            return state
        time.sleep(0.2)
    _kill_group(process.pid, 5.0)
    state = replace(state, runner_pid=None, runner_socket=None)
    _write_state(state, home)
    return state


def runner_ready(state: ServerState) -> bool:
    """The warm analysis process is alive and answers."""
    from flows.warm import ping

    if not state.runner_pid or not state.runner_socket or not _alive(state.runner_pid):
        return False
    return ping(Path(state.runner_socket), timeout=2.0) is not None


def _write_state(state: ServerState, home: Path) -> None:
    path = state_path(home)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _wait_healthy(state: ServerState, timeout: float) -> int | None:
    """None once the server answers; else an errno-like reason (EADDRINUSE when the port
    was taken meanwhile, ETIMEDOUT, or the exit code)."""
    deadline = time.monotonic() + timeout
    process = _PROCESSES.get(state.pid)
    while time.monotonic() < deadline:
        code = process.poll() if process else (None if _alive(state.pid) else -1)
        if code is not None:
            _PROCESSES.pop(state.pid, None)
            return errno.EADDRINUSE if "address already in use" in _tail(Path(state.log)).lower() else code or -1
        if healthy(state.api_url, timeout=1.0):
            return None
        time.sleep(0.2)
    _terminate(state, Path(state.prefect_home))
    return errno.ETIMEDOUT


def stop(home: Path | None = None, timeout: float = 15.0) -> Report:
    """Stop the local server (its process group) and remove its state file."""
    home = home or prefect_home()
    with _locked(home):
        current = status(home)
        if current.state is None or current.stale_removed:
            return current
        _terminate(current.state, home, timeout)
        return Report(Status.STOPPED, current.state)


def _terminate(state: ServerState, home: Path, timeout: float = 15.0) -> None:
    if state.runner_pid and _is_runner(state.runner_pid):
        _kill_group(state.runner_pid, timeout)  # first: it may be writing a run's reports
    _kill_group(state.pid, timeout)
    if state.runner_socket:
        Path(state.runner_socket).unlink(missing_ok=True)
    state_path(home).unlink(missing_ok=True)


def _is_runner(pid: int) -> bool:
    try:
        return RUNNER_MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return _alive(pid)


def _kill_group(pid: int, timeout: float) -> None:
    """SIGTERM to the process group (the process and its children: the runner's workers),
    SIGKILL after ``timeout`` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            process = _PROCESSES.get(pid)
            if process is not None:
                process.poll()
            time.sleep(0.1)
        if not _alive(pid):
            break
    _PROCESSES.pop(pid, None)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def describe(report: Report) -> str:
    """The French lines ``esmsnum serveur etat`` prints."""
    lines = []
    if report.stale_removed:
        lines.append("Fichier d'état périmé supprimé (le serveur enregistré ne tourne plus).")
    state = report.state
    if report.status is Status.RUNNING and state is not None:
        lines += [
            f"Serveur Prefect local en marche : {state.ui_url} (interface), API {state.api_url}",
            f"  processus {state.pid}, démarré le {_french_time(state.started_at)}, données sous {state.prefect_home}",
        ]
        if state.runner_pid and runner_ready(state):
            lines.append(
                f"  processus d'analyse préchargé {state.runner_pid} : esmsnum analyser lui confie ses analyses"
            )
        else:
            lines.append("  processus d'analyse préchargé absent : chaque esmsnum analyser fait son analyse lui-même")
        lines.append(
            "  Les commandes esmsnum analyser et esmsnum suivre l'utilisent ; l'arrêter : esmsnum serveur arreter."
        )
    elif report.status is Status.UNRESPONSIVE and state is not None:
        lines += [
            f"Serveur Prefect local lancé (processus {state.pid}, port {state.port}) mais il ne répond pas : "
            "il démarre peut-être encore. Sinon : esmsnum serveur arreter, puis esmsnum serveur demarrer "
            f"(journal : {state.log})."
        ]
    else:
        lines.append(
            "Aucun serveur Prefect local en marche (esmsnum serveur demarrer pour en lancer un ; "
            "sans lui, chaque analyse démarre un serveur temporaire)."
        )
    return "\n".join(lines)


def _french_time(iso: str) -> str:
    from core.french import moment

    found = moment(iso)
    return found.strftime("%d/%m/%Y à %H:%M:%S") if isinstance(found, dt.datetime) else iso
