"""A warm analysis process beside the local Prefect server: ``esmsnum run`` hands it the run.

A fresh ``esmsnum run`` pays, before reading a single file, for importing Prefect (about two
seconds of CPU), pydantic's models, SQLAlchemy, and for Prefect's flow-run start-up; with
nothing changed in the call that is nearly all of the command. ``esmsnum serveur demarrer``
therefore also starts this process: Prefect and the flow imported, its client connected to
the local server, the dossier workers kept between runs. It listens on a Unix socket beside
the server's state file (owner-only permissions). ``esmsnum run`` sends it the run (absolute
paths, options, ``--finess`` as given, the ESMSNUM_* settings of the caller), and prints
what comes back: progress, the console summary, or the error, with the same exit codes.
This process checks the run as the command would (call, call folder, FINESS extract,
output folder: same order, same messages) and passes the FINESS store to the flow.

The command falls back to running the flow itself when this process is absent, busy with
another run, or runs other code than the command (a version of the sources that differs:
after an update, ``esmsnum serveur arreter`` then ``demarrer``). One run at a time here;
the output folder's lock applies as for any run.

Protocol: one JSON line per message. Client → ``{"op": "ping"}`` or ``{"op": "run", ...}``;
server → ``{"version": ...}``, then for a run ``{"busy": true}`` or a stream of
``{"progress": [done, total, errors]}`` / ``{"stderr": text}`` ending with
``{"code": n, "stdout": text}`` or ``{"code": 2, "usage_error": text}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.versions import code_version

log = logging.getLogger(__name__)
SOCKET_FILE = "esmsnum-analyses.sock"
LOG_FILE = "esmsnum-analyses.log"
PACKAGES = ("core", "judging", "instruction", "extractors", "validators", "reports", "flows", "esmsnum")
PASSED_SETTINGS = (
    "ESMSNUM_CACHE",
    "ESMSNUM_HISTORY_URL",
    "ESMSNUM_DOSSIER_WORKERS",
    "ESMSNUM_WORKERS",
    "ESMSNUM_FINESS_DIR",
)


def version() -> str:
    """The sources this process runs (the client and the warm process must agree)."""
    return code_version(PACKAGES)


# --------------------------------------------------------------------------- client


@dataclass
class Outcome:
    code: int
    stdout: str = ""
    usage_error: str | None = None  # exit code 2, as click's usage errors
    error: str | None = None


def absolute_storage(value: str) -> str:
    """A cache folder given relative to the caller's folder, made absolute (a storage block
    slug such as ``s3-bucket/esmsnum-cache`` is kept), as ``flows.cache.storage_setting``
    reads it."""
    if value.startswith((".", "/", "~")) or "/" not in value or Path(value).exists():
        return str(Path(value).expanduser().resolve())
    return value


def absolute_call(value: str) -> str:
    """A call configuration given as a YAML path, made absolute (a call id is kept)."""
    path = Path(value)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return str(path.expanduser().resolve())
    return value


def absolute_finess(value: str) -> str:
    """A FINESS extract given as a store file or folder relative to the caller's folder, made
    absolute (a date or « aucune » is kept), as ``validators.finess_repository.resolve_store``
    reads it."""
    path = Path(value).expanduser()
    return str(path.resolve()) if path.exists() else value


#: Linux refuses a Unix socket path of 108 bytes or more (``sun_path``).
_SUN_PATH_MAX = 107


@contextlib.contextmanager
def _address(socket_path: Path):
    """The address to bind or connect ``socket_path`` by: the path itself, or, when it is too
    long for a Unix socket (a deep state folder), the same file reached through an open
    descriptor of its folder (``/proc/self/fd/N/name``)."""
    if len(os.fsencode(str(socket_path))) <= _SUN_PATH_MAX:
        yield str(socket_path)
        return
    folder = os.open(socket_path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{socket_path.name}"
    finally:
        os.close(folder)


def _connect(socket_path: Path, timeout: float | None) -> socket.socket | None:
    if not socket_path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with _address(socket_path) as address:
            sock.connect(address)
    except OSError:
        sock.close()
        return None
    return sock


def _lines(sock: socket.socket):
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line:
                yield json.loads(line)


def ping(socket_path: Path, timeout: float = 2.0) -> dict[str, Any] | None:
    sock = _connect(socket_path, timeout)
    if sock is None:
        return None
    try:
        with sock:
            sock.sendall(b'{"op": "ping"}\n')
            return next(_lines(sock), None)
    except (OSError, ValueError):
        return None


def delegate(socket_path: Path, request: dict[str, Any], say, display=None) -> Outcome | None:
    """The run done by the warm process, or None when the caller must run it itself."""
    sock = _connect(socket_path, timeout=15.0)
    if sock is None:
        return None
    settings = {k: os.environ[k] for k in PASSED_SETTINGS if k in os.environ}
    if settings.get("ESMSNUM_CACHE"):
        settings["ESMSNUM_CACHE"] = absolute_storage(settings["ESMSNUM_CACHE"])
    if settings.get("ESMSNUM_FINESS_DIR"):
        settings["ESMSNUM_FINESS_DIR"] = str(Path(settings["ESMSNUM_FINESS_DIR"]).expanduser().resolve())
    request = dict(request, op="run", version=version(), settings=settings)
    try:
        with sock:
            sock.sendall((json.dumps(request) + "\n").encode())
            messages = _lines(sock)
            try:
                first = next(messages, None)
            except TimeoutError:  # not answering: the command runs the analysis itself
                return None
            sock.settimeout(None)  # then a run takes as long as it takes
            if first is None or first.get("busy") or first.get("version") != request["version"]:
                if first is not None and first.get("version") not in (None, request["version"]):
                    say(
                        "Le processus d'analyse du serveur local exécute une autre version du code : analyse faite "
                        "par cette commande (« esmsnum serveur arreter » puis « demarrer » pour le mettre à jour)."
                    )
                return None
            for message in messages:
                if "progress" in message and display is not None:
                    if not getattr(display, "_started", False):
                        display.start(message["progress"][1])
                        display._started = True
                    display.update(*message["progress"])
                elif "stderr" in message:
                    say(message["stderr"])
                elif "code" in message:
                    if display is not None and getattr(display, "_started", False):
                        display.stop()
                    return Outcome(
                        message["code"], message.get("stdout", ""), message.get("usage_error"), message.get("error")
                    )
    except (OSError, ValueError):
        pass
    return Outcome(1, error="le processus d'analyse du serveur local s'est interrompu : relancer la commande")


# --------------------------------------------------------------------------- server


class _RemoteDisplay:
    """flows.progress display that forwards to the client."""

    def __init__(self, send) -> None:
        self.send = send

    def start(self, total: int) -> None:
        self.send({"progress": [0, total, 0]})

    def update(self, done: int, total: int, errors: int) -> None:
        self.send({"progress": [done, total, errors]})

    def stop(self) -> None:
        pass


class WarmServer:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.version = version()
        self.busy = threading.Lock()
        self.stopping = threading.Event()
        self.drain_timeout = -1.0  # wait for the run in progress before stopping (-1: as long as it takes)

    def listen(self) -> None:
        """Bind the socket, owner-only. Done after the imports (``serve``): the socket exists
        only once the process can answer at once."""
        self.socket_path.unlink(missing_ok=True)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            with _address(self.socket_path) as address:
                self._server.bind(address)
        finally:
            os.umask(old_umask)
        self._inode = self.socket_path.stat().st_ino
        self._server.listen(8)

    def _unlink_socket(self) -> None:
        """Remove the socket this process bound, never a successor's at the same path."""
        with contextlib.suppress(OSError):
            if self.socket_path.stat().st_ino == getattr(self, "_inode", None):
                self.socket_path.unlink()

    def stop(self, *_: object) -> None:
        self.stopping.set()
        if not hasattr(self, "_server"):
            return
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()

    @staticmethod
    def prepare() -> None:
        """Everything a run needs, imported once."""
        import flows.call  # noqa: F401
        import reports.summary  # noqa: F401

    def serve(self, main_process: bool = True, workers_started: bool = False) -> None:
        self.prepare()
        if not hasattr(self, "_server"):
            self.listen()
        if main_process:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
            if not workers_started:
                start_warming_workers()
        log.warning("processus d'analyse prêt (%s)", self.socket_path)
        while not self.stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                break
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        # let a run in progress write its reports (bounded when the server it reports to is gone)
        if self.busy.acquire(timeout=self.drain_timeout):
            self.busy.release()
        self._unlink_socket()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            alive = True

            def send(message: dict[str, Any]) -> None:
                nonlocal alive
                if not alive:
                    return
                try:
                    conn.sendall((json.dumps(message, ensure_ascii=False) + "\n").encode())
                except OSError:
                    alive = False  # the client left: the run goes on, its reports are written

            try:
                request = next(_lines(conn))
            except (OSError, ValueError, StopIteration):
                return
            if request.get("op") != "run" or request.get("version") != self.version:
                send({"version": self.version, "pid": os.getpid()})
                return
            if self.stopping.is_set() or not self.busy.acquire(blocking=False):
                send({"version": self.version, "busy": True})
                return
            try:
                send({"version": self.version})
                send(self._run(request, send))
            finally:
                self.busy.release()

    def _run(self, request: dict[str, Any], send) -> dict[str, Any]:
        """The checks of ``esmsnum run``, in its order and with its messages (usage errors:
        exit code 2), then the flow."""
        from core.config import ConfigError
        from extractors.intake import discover_dossiers
        from flows import progress
        from flows.call import run_call
        from flows.runners import WORKERS_ENV, task_runner
        from judging.lock import OutputBusy, OutputLock, OutputUnusable, outside_call, usable_output
        from reports.summary import format_console
        from validators.engine import load_call
        from validators.finess_repository import RepositoryError, resolve_store, run_line

        saved = {k: os.environ.get(k) for k in (*PASSED_SETTINGS, WORKERS_ENV)}
        try:
            for key in PASSED_SETTINGS:
                os.environ.pop(key, None)
            os.environ.update(request.get("settings") or {})
            if request.get("workers"):
                os.environ[WORKERS_ENV] = str(request["workers"])
            try:
                config = load_call(request["call"])
            except ConfigError as exc:
                return {"code": 2, "usage_error": str(exc)}
            call_dir, out_dir = Path(request["call_dir"]), Path(request["out_dir"])
            if call_dir.exists() and not call_dir.is_dir():
                return {"code": 2, "usage_error": f"DOSSIER_APPEL désigne un fichier, pas un dossier : {call_dir}"}
            try:
                extract_date = config.finess_extract.value if config.finess_extract else None
                store = resolve_store(request.get("finess"), extract_date)
            except RepositoryError as exc:
                return {"code": 2, "usage_error": str(exc)}
            if not call_dir.is_dir():
                return {"code": 2, "usage_error": f"Dossier d'appel introuvable : {call_dir}"}
            try:
                outside_call(call_dir, out_dir)
            except OutputUnusable as exc:
                return {"code": 2, "usage_error": str(exc)}
            if not discover_dossiers(call_dir):
                return {"code": 2, "usage_error": f"Aucun dossier (sous-dossier ou .zip) dans {call_dir}"}
            try:
                out_dir = usable_output(out_dir)
            except OutputUnusable as exc:
                return {"code": 2, "usage_error": str(exc)}
            try:
                with OutputLock(out_dir):
                    send(
                        {
                            "stderr": f"Analyse des dossiers de {call_dir} pour l'appel {config.id} (par le "
                            "processus préchargé du serveur local)…"
                        }
                    )
                    send({"stderr": run_line(store)})
                    progress.set_display(_RemoteDisplay(send) if request.get("progress") else None)
                    flow = run_call.with_options(task_runner=task_runner("local", request.get("workers")))
                    summary = flow(
                        call_dir,
                        config,
                        out_dir,
                        cache=request.get("cache"),
                        history_url=request.get("history_url"),
                        finess=str(store.path) if store else None,
                    )
            except OutputBusy as exc:
                return {"code": 1, "error": str(exc)}
            return {"code": 0, "stdout": format_console(summary, out_dir)}
        except Exception as exc:  # noqa: BLE001 - the command reports it; this process serves the next run
            log.error("run failed\n%s", traceback.format_exc())
            return {"code": 1, "error": f"Erreur interne du processus d'analyse : {exc}"}
        finally:
            progress.set_display(None)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def start_warming_workers() -> threading.Thread:
    thread = threading.Thread(target=_warm_workers, name="esmsnum-warm-workers", daemon=True)
    thread.start()
    return thread


def _warm_workers() -> None:
    """The dossier workers started ahead (default limits), so that the first corrected
    dossier is judged by a warm worker."""
    try:
        from core.limits import Limits
        from flows import workers

        if workers.enabled():
            workers.warm(Limits())
            log.warning("processus de travail préchargés")
    except Exception:  # an optimisation: runs start them on demand otherwise
        log.warning("préchargement des processus de travail impossible", exc_info=True)


def keep(socket_path: Path, port: int, idle: float | None) -> int:
    """The keeper of the local server (``flows.server``): start Prefect's server as this
    process's child (it dies with this process), record both in the state file, import what
    a run needs while the server starts, answer runs, and stop both after ``idle`` seconds
    unused, when the server dies, or on SIGTERM. Returns the exit code."""
    import errno

    from flows import server

    folder = socket_path.parent
    home = server.prefect_home()
    server_log = folder / server.LOG_FILE
    process = server.spawn_server(port, home, server_log, sig=signal.SIGTERM)
    state = server.server_state(
        process, port, home, server_log, runner_pid=os.getpid(), runner_socket=str(socket_path), idle_seconds=idle
    )
    server.write_state(state, folder)
    warm = WarmServer(socket_path)
    signal.signal(signal.SIGTERM, warm.stop)
    signal.signal(signal.SIGINT, warm.stop)

    def end(code: int) -> int:
        server.remove_state_if_ours(folder, os.getpid())
        if process.poll() is None:
            server.end_process(process, 15)  # deaf: killed
        if os.getpgrp() == os.getpid():  # and whatever else this keeper started (its workers)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with contextlib.suppress(OSError):
                os.killpg(os.getpid(), signal.SIGTERM)
        return code

    # While the server starts: the workers' forkserver imports the readers, the rules and the
    # French model (seconds of CPU) on one core while this process imports the flow on the
    # other, instead of after the server answers, inside the first run.
    start_warming_workers()
    warm.prepare()
    outcome = server.wait_healthy(process, state.api_url, server_log, server.START_TIMEOUT)
    if outcome is not None or warm.stopping.is_set():
        log.warning("serveur Prefect non démarré (%s)", outcome)
        return end(server.EXIT_ADDRESS_IN_USE if outcome == errno.EADDRINUSE else 1)
    warm.listen()

    def stop(reason: str) -> None:
        log.warning("arrêt du serveur local : %s", reason)
        server.remove_state_if_ours(folder, os.getpid())  # no command picks it up any more
        warm.stop()

    def watch_server() -> None:
        while not warm.stopping.wait(0.5):
            if process.poll() is not None:
                warm.drain_timeout = 10.0  # a run in progress cannot finish without its server
                stop(f"le serveur Prefect s'est arrêté (code {process.returncode})")
                return

    threading.Thread(target=watch_server, name="esmsnum-server-watch", daemon=True).start()
    if idle:
        threading.Thread(
            target=server.watch_idle,
            args=(folder, idle, warm.busy.locked, warm.stopping, stop),
            name="esmsnum-idle",
            daemon=True,
        ).start()
    warm.serve(workers_started=True)
    code = end(0 if process.returncode in (0, -signal.SIGTERM, None) else 1)
    if warm.busy.locked():  # a run abandoned with its server: do not wait for its threads
        logging.shutdown()
        os._exit(code)
    return code


def main() -> None:
    import argparse

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    import flows.settings  # noqa: F401  (before prefect)

    parser = argparse.ArgumentParser(prog="python -m flows.warm")
    parser.add_argument("socket", type=Path)
    parser.add_argument("--port", type=int, default=None, help="start and keep the server on this port")
    parser.add_argument("--idle", type=float, default=None, help="stop after this many seconds unused")
    args = parser.parse_args()
    if args.port is None:  # a warm process alone, for a server kept by someone else
        WarmServer(args.socket).serve()
        return
    sys.exit(keep(args.socket, args.port, args.idle))


if __name__ == "__main__":
    main()
