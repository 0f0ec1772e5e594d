"""One local Prefect server per account, kept between commands.

``esmsnum run`` (and ``suivre``) without ``PREFECT_API_URL`` use this server: the first
command starts it, the next ones find it running and use it (``ensure``). It is Prefect's
own API server (``prefect.server.api.server:create_app`` under uvicorn, as ``prefect server
start`` runs it) on 127.0.0.1 and a free port, with its data under ``PREFECT_HOME``. Beside it
runs the warm analysis process (``flows.warm``), to which ``esmsnum run`` hands its run.

Who owns what, so that nothing is ever left behind:

* the warm process is the **keeper**: it starts the uvicorn server as its own child (same
  process group, ``PR_SET_PDEATHSIG`` on Linux: the server dies with it, even after a
  ``kill -9``), writes the state file and removes it when it stops;
* the keeper stops itself and the server after ``ESMSNUM_SERVER_IDLE`` (default 30 min: a
  number of seconds or ``90s``, ``30min``, ``2h``) without a command using them. A command
  using the server holds a shared lock on a lease file for its whole life (released by the
  kernel when the process ends, ``kill -9`` included); the keeper stops only once it can take
  that lock exclusively and the idle time has passed since the last command. ``esmsnum
  serveur demarrer`` starts the same pair without idle stop (until ``serveur arreter``);
* ``ESMSNUM_SERVER_IDLE=0``: no kept server; each command starts a temporary server as its
  own child (``temporary``), killed by the kernel when the command dies;
* a recorded server whose process is gone, whose pid now belongs to another program, or that
  does not answer its health check is detected at once and replaced (its keeper stopped
  first), never waited on; a port taken by another program makes the new server use another.

State, lock, lease, logs and socket live in the private state folder (``core.state``:
``$ESMSNUM_STATE_DIR/serveur``, 0700): ``esmsnum-serveur.json`` (pid, port, URL, start time,
keeper), ``esmsnum-serveur.log``, ``esmsnum-analyses.sock`` / ``.log``. Nothing here imports
Prefect: reading the state costs a file read and one HTTP request to the health endpoint.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import enum
import errno
import fcntl
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from core.state import state_dir
from flows.settings import DEFAULTS

STATE_FILE = "esmsnum-serveur.json"
LEASE_FILE = "esmsnum-serveur.bail"
LOG_FILE = "esmsnum-serveur.log"
SOCKET_FILE = "esmsnum-analyses.sock"
RUNNER_LOG = "esmsnum-analyses.log"
PREFERRED_PORT = 4200  # Prefect's usual port, when free
APP = "prefect.server.api.server:create_app"
RUNNER_MODULE = "flows.warm"
START_TIMEOUT = 300.0  # the first start creates and migrates the SQLite database: slow on a small machine
IDLE_ENV = "ESMSNUM_SERVER_IDLE"
DEFAULT_IDLE = 1800.0
EXIT_ADDRESS_IN_USE = 98  # the keeper's exit code when the server could not bind its port


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
    runner_pid: int | None = None  # the keeper: the warm analysis process (flows.warm)
    runner_socket: str | None = None
    idle_seconds: float | None = None  # stopped after this long unused; None: until « arreter »


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


def state_folder() -> Path:
    """Where the server's state, lease, logs and socket live (private, 0700)."""
    folder = state_dir() / "serveur"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def state_path(folder: Path | None = None) -> Path:
    return (folder or state_folder()) / STATE_FILE


def idle_setting() -> float:
    """``ESMSNUM_SERVER_IDLE`` in seconds: ``1800``, ``90s``, ``30min``, ``2h``; 0: no kept server."""
    value = os.environ.get(IDLE_ENV, "").strip().lower().replace(" ", "")
    if not value:
        return DEFAULT_IDLE
    found = re.fullmatch(r"(\d+(?:[.,]\d+)?)(s|min|m|h)?", value)
    if not found:
        raise ServerError(
            f"{IDLE_ENV}={os.environ[IDLE_ENV]!r} : durée attendue en secondes (1800) ou avec une unité "
            "(90s, 30min, 2h) ; 0 pour ne pas garder de serveur entre les commandes."
        )
    number = float(found.group(1).replace(",", "."))
    return number * {"s": 1, None: 1, "min": 60, "m": 60, "h": 3600}[found.group(2)]


def read_state(folder: Path | None = None) -> ServerState | None:
    try:
        data = json.loads(state_path(folder).read_text(encoding="utf-8"))
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


def _is_runner(pid: int | None) -> bool:
    if not pid or not _alive(pid):
        return False
    try:
        return RUNNER_MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One start or stop at a time for the account."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(folder / (STATE_FILE + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- the lease

_LEASES: dict[Path, object] = {}


def hold_lease(folder: Path) -> None:
    """This process uses the kept server until it ends: a shared lock on the lease file
    (the keeper does not stop while one is held), its time of use noted (the file's mtime)."""
    path = folder / LEASE_FILE
    if path not in _LEASES:
        handle = open(path, "a")  # noqa: SIM115 - held until the process ends
        fcntl.flock(handle, fcntl.LOCK_SH)  # waits only while a keeper is stopping
        _LEASES[path] = handle
    with contextlib.suppress(OSError):
        os.utime(path)


def release_lease(folder: Path) -> None:
    handle = _LEASES.pop(folder / LEASE_FILE, None)
    if handle is not None:
        handle.close()  # type: ignore[attr-defined]


def watch_idle(folder: Path, idle: float, busy: Callable[[], bool], stopping, stop: Callable[[str], None]) -> None:
    """The keeper's idle timer: ``stop(reason)`` once no command has used the server for
    ``idle`` seconds (no lease held, no run in progress), keeping the lease exclusively
    while it stops (a command arriving meanwhile waits, then starts a new server)."""
    path = folder / LEASE_FILE
    last = time.time()
    period = max(0.2, min(idle / 5, 30.0))
    with open(path, "a") as lease:
        while not stopping.wait(period):
            now = time.time()
            if busy():
                last = now
                continue
            try:
                fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                last = now  # a command holds it
                continue
            with contextlib.suppress(OSError):
                last = max(last, os.stat(path).st_mtime)
            if now - last >= idle:
                stop(f"inactif depuis {now - last:.0f} s")
                return  # the lock is released when this process ends
            fcntl.flock(lease, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- status


def status(folder: Path | None = None, timeout: float = 2.0) -> Report:
    """Where the local server stands; a stale state file is removed (and said so)."""
    folder = folder or state_folder()
    state = read_state(folder)
    if state is None:
        if state_path(folder).exists():  # unreadable: written by nobody we can trust
            state_path(folder).unlink(missing_ok=True)
            return Report(Status.STOPPED, stale_removed=True)
        return Report(Status.STOPPED)
    if not is_our_process(state):
        state_path(folder).unlink(missing_ok=True)
        return Report(Status.STOPPED, state, stale_removed=True)
    if healthy(state.api_url, timeout):
        return Report(Status.RUNNING, state)
    return Report(Status.UNRESPONSIVE, state)


def connect(folder: Path | None = None) -> str | None:
    """Point this process (and its children) at the kept server when it runs and no
    Prefect server is configured: returns its API URL, or None. The process then holds the
    lease (the server is not stopped while it runs). Called before Prefect is imported."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    folder = folder or state_folder()
    state = read_state(folder)
    if state is None or not is_our_process(state) or not healthy(state.api_url, timeout=2.0):
        return None
    hold_lease(folder)
    os.environ["PREFECT_API_URL"] = state.api_url
    return state.api_url


def ensure(folder: Path | None = None) -> ServerState | None:
    """The kept server for this command: the running one, else a new one (started and
    kept: ``ESMSNUM_SERVER_IDLE``); None when ``PREFECT_API_URL`` is set (the operator's
    server) or the setting is 0. Raises ServerError when it cannot be started."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    idle = idle_setting()
    if idle <= 0:
        return None
    folder = folder or state_folder()
    hold_lease(folder)  # before looking: a keeper cannot stop between the look and the use
    current = status(folder)
    if current.status is Status.RUNNING and current.state is not None and _is_runner(current.state.runner_pid):
        state = current.state
    else:
        state = start(folder=folder, idle=idle).state
    if state is None:
        return None
    os.environ["PREFECT_API_URL"] = state.api_url
    return state


# --------------------------------------------------------------------------- start and stop


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


def server_command(port: int) -> list[str]:
    """Prefect's API server under uvicorn, as ``prefect server start`` runs it."""
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


def server_environment(port: int, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",  # the UI's pages call this API
        }
    )
    return env


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None]:
    """``preexec_fn`` of a child that must not outlive the process starting it: the kernel
    sends it ``sig`` when its parent dies, however it dies (Linux ``PR_SET_PDEATHSIG``)."""
    parent = os.getpid()

    def preexec() -> None:
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the call above
            os._exit(1)

    return preexec


def spawn_server(port: int, home: Path, log: Path, sig: int = signal.SIGTERM) -> subprocess.Popen:
    """The server as a child of this process, dying with it."""
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(
            f"\n--- démarrage {dt.datetime.now().astimezone().isoformat(timespec='seconds')} port {port}\n".encode()
        )
        out.flush()
        return subprocess.Popen(
            server_command(port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=server_environment(port, home),
            cwd=str(home),
            preexec_fn=die_with_parent(sig),
            close_fds=True,
        )


def server_state(process: subprocess.Popen, port: int, home: Path, log: Path, **extra) -> ServerState:
    return ServerState(
        pid=process.pid,
        port=port,
        api_url=f"http://127.0.0.1:{port}/api",
        ui_url=f"http://127.0.0.1:{port}",
        started_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        prefect_home=str(home),
        log=str(log),
        process_start=_process_start(process.pid),
        **extra,
    )


def wait_healthy(process: subprocess.Popen, api_url: str, log: Path, timeout: float) -> int | None:
    """None once the server answers; else an errno-like reason (EADDRINUSE when the port
    was taken meanwhile, ETIMEDOUT, or the exit code)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return errno.EADDRINUSE if "address already in use" in _tail(log).lower() else code or -1
        if healthy(api_url, timeout=1.0):
            return None
        time.sleep(0.1)
    return errno.ETIMEDOUT


def start(
    port: int | None = None, folder: Path | None = None, timeout: float = START_TIMEOUT, idle: float | None = None
) -> Report:
    """Start the kept server and its keeper detached, or return the ones running.
    ``idle``: seconds unused before they stop by themselves (None: until ``stop``)."""
    folder = folder or state_folder()
    with _locked(folder):
        current = status(folder)
        if current.status is Status.RUNNING and current.state is not None and _is_runner(current.state.runner_pid):
            return current
        if current.state is not None:  # stale, deaf, or without its keeper: replaced, not waited on
            _terminate(current.state, folder, timeout=5.0)
        if port and not _port_free(port):
            raise ServerError(
                f"Le port {port} est déjà utilisé : en choisir un autre (--port) ou laisser esmsnum "
                "en choisir un libre."
            )
        outcome = None
        for attempt in range(3):
            state, outcome = _spawn_keeper(port or _free_port(PREFERRED_PORT if attempt == 0 else None), folder, idle)
            if state is not None:
                return Report(Status.RUNNING, state)
            if port or outcome != EXIT_ADDRESS_IN_USE:
                break
        log = folder / LOG_FILE
        raise ServerError(
            f"Le serveur Prefect local n'a pas démarré (voir son journal : {log}).\n"
            + _tail(log)
            + "\n"
            + _tail(folder / RUNNER_LOG, 5)
        )


def _spawn_keeper(port: int, folder: Path, idle: float | None) -> tuple[ServerState | None, int | None]:
    """The keeper (``flows.warm``) in a session of its own: it starts the server as its
    child and writes the state file. Waits until both answer."""
    from flows.warm import ping

    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    socket_path = folder / SOCKET_FILE
    env = server_environment(port, home)
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    args = [sys.executable, "-m", RUNNER_MODULE, str(socket_path), "--port", str(port)]
    if idle:
        args += ["--idle", str(idle)]
    with open(folder / RUNNER_LOG, "ab") as out:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(home),
            start_new_session=True,  # survives this command and its terminal
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return None, code
        state = read_state(folder)
        ready = state is not None and state.runner_pid == process.pid and ping(socket_path, timeout=1.0) is not None
        if ready and healthy(state.api_url, timeout=1.0):
            return state, None
        time.sleep(0.1)
    _kill_group(process.pid, 5.0)
    process.wait()
    return None, errno.ETIMEDOUT


def runner_ready(state: ServerState) -> bool:
    """The warm analysis process is alive and answers."""
    from flows.warm import ping

    if not state.runner_pid or not state.runner_socket or not _alive(state.runner_pid):
        return False
    return ping(Path(state.runner_socket), timeout=2.0) is not None


def write_state(state: ServerState, folder: Path) -> None:
    path = state_path(folder)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(state), indent=2, ensure_ascii=False))
    os.replace(tmp, path)


def remove_state_if_ours(folder: Path, runner_pid: int) -> None:
    """The keeper removes the state file it wrote, never a successor's."""
    state = read_state(folder)
    if state is not None and state.runner_pid == runner_pid:
        state_path(folder).unlink(missing_ok=True)


def stop(folder: Path | None = None, timeout: float = 15.0) -> Report:
    """Stop the kept server and its keeper, remove the state file."""
    folder = folder or state_folder()
    with _locked(folder):
        current = status(folder)
        if current.state is None or current.stale_removed:
            if current.state is not None and _is_runner(current.state.runner_pid):
                _kill_group(current.state.runner_pid, timeout)  # a keeper whose server is gone
            return current
        _terminate(current.state, folder, timeout)
        return Report(Status.STOPPED, current.state)


def _terminate(state: ServerState, folder: Path, timeout: float = 15.0) -> None:
    if _is_runner(state.runner_pid):
        _kill_group(state.runner_pid, timeout)  # the keeper's group: itself, its server, its workers
    if is_our_process(state):
        _kill_group(state.pid, timeout)
    state_path(folder).unlink(missing_ok=True)


def _kill_group(pid: int, timeout: float) -> None:
    """SIGTERM to the process group led by ``pid`` (or to ``pid`` alone when it leads none),
    SIGKILL after ``timeout`` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        except PermissionError:
            pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        if not _alive(pid):
            break


@contextlib.contextmanager
def temporary(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """A server for this command only (``ESMSNUM_SERVER_IDLE=0``, or when the kept one
    cannot start): a child of this process, killed by the kernel if the command dies."""
    home = prefect_home()
    log = state_folder() / "esmsnum-serveur-temporaire.log"
    for _attempt in range(3):
        port = _free_port(None)
        process = spawn_server(port, home, log, sig=signal.SIGKILL)
        api_url = f"http://127.0.0.1:{port}/api"
        outcome = wait_healthy(process, api_url, log, timeout)
        if outcome is None:
            break
        process.kill()
        process.wait()
        if outcome != errno.EADDRINUSE:
            raise ServerError(f"Le serveur Prefect temporaire n'a pas démarré (journal : {log}).\n" + _tail(log))
    else:
        raise ServerError(f"Le serveur Prefect temporaire n'a pas démarré (journal : {log}).\n" + _tail(log))
    os.environ["PREFECT_API_URL"] = api_url
    try:
        yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        end_process(process, 10)


def end_process(process: subprocess.Popen, timeout: float) -> None:
    """Terminate ``process``; killed when it has not ended after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def describe(report: Report) -> str:
    """The French lines ``esmsnum serveur etat`` prints."""
    from core.french import duration

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
        if state.idle_seconds:
            lines.append(
                f"  arrêt automatique après {duration(state.idle_seconds)} sans commande ({IDLE_ENV} pour le régler)"
            )
        else:
            lines.append("  gardé jusqu'à « esmsnum serveur arreter »")
        lines.append(
            "  Les commandes esmsnum analyser et esmsnum suivre l'utilisent ; l'arrêter : esmsnum serveur arreter."
        )
    elif report.status is Status.UNRESPONSIVE and state is not None:
        lines += [
            f"Serveur Prefect local lancé (processus {state.pid}, port {state.port}) mais il ne répond pas : "
            "la prochaine commande le remplacera (ou : esmsnum serveur arreter, puis esmsnum serveur demarrer ; "
            f"journal : {state.log})."
        ]
    else:
        lines.append(
            "Aucun serveur Prefect local en marche (la prochaine commande esmsnum run en démarre un, gardé "
            f"{duration(idle_or_default())} sans commande ; esmsnum serveur demarrer en garde un jusqu'à son arrêt)."
        )
    return "\n".join(lines)


def idle_or_default() -> float:
    try:
        return idle_setting()
    except ServerError:
        return DEFAULT_IDLE


def _french_time(iso: str) -> str:
    from core.french import moment

    found = moment(iso)
    return found.strftime("%d/%m/%Y à %H:%M:%S") if isinstance(found, dt.datetime) else iso
