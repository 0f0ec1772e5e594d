"""Issue 24, what must stay private: nothing read back from the shared output folder can
execute, no secret nor account lives there, and logins hold under concurrency.

Real runs of ``esmsnum run`` on generated dossiers, real SQLite databases, real threads."""

from __future__ import annotations

import base64
import os
import pickle
import re
import stat
import threading
from pathlib import Path

import pytest

from conftest import esmsnum, generated_cases, load_json, run_call

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return generated_cases(tmp_path_factory, "private-src", CALL, ["clean-workbook", "BUD-03"])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class _Planted:
    """Unpickling it writes a marker file: proof that a record was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "exécuté"))


def _pickle_record(marker: Path) -> bytes:
    """A Prefect result record as the cache of an earlier release wrote it (cloudpickle)."""
    from prefect._internal.result_records import ResultRecord, ResultRecordMetadata
    from prefect.serializers import PickleSerializer

    record = ResultRecord(metadata=ResultRecordMetadata(serializer=PickleSerializer()), result=None)
    data = record.model_dump(mode="json")
    data["result"] = base64.encodebytes(pickle.dumps(_Planted(marker))).decode()
    import json

    return json.dumps(data).encode()


def _pickles_under(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            head = path.read_bytes()
            if b"\x80\x04\x95" in head or b"\x80\x05\x95" in head or b"gASV" in head or b"gAWV" in head:
                found.append(path)
    return found


def test_the_cache_is_never_read_from_the_shared_output_folder(source, tmp_path, private_state):
    from flows.cache import storage_setting

    out = tmp_path / "sortie"
    first = run_call(source, out, CALL)
    cache = storage_setting(out)
    assert private_state in cache.parents, "the cache is in the private state folder"
    assert _mode(private_state) == 0o700
    records = sorted(p.name for p in cache.iterdir())
    assert any(name.startswith("dossier-") for name in records)
    assert not (out / ".esmsnum" / "cache").exists()
    assert _pickles_under(out) == [], "no pickle anywhere under the output folder"

    # Someone who can write the shared folder plants records where the cache used to be.
    marker = tmp_path / "marqueur"
    planted = out / ".esmsnum" / "cache"
    planted.mkdir(parents=True)
    for name in records:
        (planted / name).write_bytes(_pickle_record(marker))
    reports = {d["dossier"]: load_json(out / d["dossier"] / "report.json")["digest"] for d in first["dossiers"]}

    second = run_call(source, out, CALL)
    assert not marker.exists(), "a record planted in the output folder was never unpickled"
    assert second["run"]["dossiers_cached"] == len(reports), "the re-run comes from the private cache"
    again = {d["dossier"]: load_json(out / d["dossier"] / "report.json")["digest"] for d in second["dossiers"]}
    assert again == reports, "a cached re-run gives the same reports"


def test_secret_key_and_accounts_live_in_the_private_state_folder(source, tmp_path, private_state):
    from sqlalchemy import create_engine, inspect

    from instruction.accounts import AccountStore, authenticate, create_account, open_accounts
    from instruction.store import default_url
    from web.settings import SECRET_ENV, secret_key

    out = tmp_path / "sortie"
    run_call(source, out, CALL)
    history = out / ".esmsnum" / "history.sqlite"
    assert _mode(history) == 0o600

    # An earlier release: its key and accounts inside the shared output folder.
    old_key = out / ".esmsnum" / "web-secret"
    old_key.write_text("x" * 64, encoding="utf-8")
    old = AccountStore(default_url(out))  # the accounts' tables inside history.sqlite
    create_account(old, "ancienne", "decideur", "un mot de passe ancien")
    old.close()

    saved = os.environ.pop(SECRET_ENV, None)
    try:
        key = secret_key(out)
    finally:
        if saved is not None:
            os.environ[SECRET_ENV] = saved
    assert key != "x" * 64 and len(key) >= 32
    assert not old_key.exists(), "the key found in the shared folder is deleted"
    kept = private_state / "web-secret"
    assert kept.read_text(encoding="utf-8").strip() == key and _mode(kept) == 0o600

    store = open_accounts(out)
    assert (
        store.migrated
        and "1 compte repris" in store.migrated
        and "il a été retiré de l'historique partagé" in store.migrated
    )
    assert Path(store.url.removeprefix("sqlite:///")).parent == private_state
    assert authenticate(store, "ancienne", "un mot de passe ancien").account is not None
    engine = create_engine(default_url(out))
    assert "accounts" not in inspect(engine).get_table_names(), "no account left in the shared history"
    engine.dispose()
    assert b"argon2" not in history.read_bytes(), "no password hash left in the shared file"
    assert open_accounts(out).migrated is None, "moved once"
    assert not [p for p in out.rglob("*") if p.name in {"web-secret", "accounts.sqlite"}]


def _normalised(message: str | None) -> str:
    return re.sub(r"\d+", "N", message or "")


def test_the_lockout_message_is_the_same_whether_the_account_exists_or_not(tmp_path):
    from instruction.accounts import FREE_ATTEMPTS, AccountStore, authenticate, create_account

    store = AccountStore(f"sqlite:///{tmp_path / 'comptes.sqlite'}")
    create_account(store, "existe", "lecture", "un mot de passe long")
    answers = {}
    for name in ("existe", "personne"):
        answers[name] = [_normalised(authenticate(store, name, "faux").message) for _ in range(FREE_ATTEMPTS + 1)]
    assert answers["existe"] == answers["personne"]
    assert "réessayez dans" in answers["personne"][-1], "an unknown name waits as an account does"


def test_fifty_parallel_wrong_passwords_do_not_get_past_the_lockout(tmp_path):
    from instruction.accounts import FREE_ATTEMPTS, AccountStore, authenticate, create_account

    store = AccountStore(f"sqlite:///{tmp_path / 'comptes.sqlite'}")
    create_account(store, "cible", "decideur", "le bon mot de passe")
    start = threading.Barrier(50)
    answers = []

    def attempt(i: int) -> None:
        start.wait()
        answers.append(authenticate(store, "cible", f"mauvais-{i}"))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 50 and all(a.account is None for a in answers)
    assert store.attempts("cible") == FREE_ATTEMPTS, "only the free attempts had their password checked"
    assert sum(1 for a in answers if "réessayez dans" not in a.message) == FREE_ATTEMPTS - 1
    right = authenticate(store, "cible", "le bon mot de passe")
    assert right.account is None and "réessayez dans" in right.message, "the right password waits too"


HOLD = """
import fcntl, json, os, sys, time
from pathlib import Path
path = Path(sys.argv[1]); path.parent.mkdir(parents=True, exist_ok=True)
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, sys.argv[2].encode())
print("tenu", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _hold(lock: Path, content: str, seconds: float):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock), content, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "tenu"
    return proc


def _run_while_held(lock: Path, content: str, call_dir: Path, out: Path):
    """``esmsnum run`` while another process holds the output folder's lock (``content``)
    and does not let it go."""
    holder = _hold(lock, content, 120)
    try:
        return esmsnum("run", str(call_dir), "--call", CALL, "--out", str(out))
    finally:
        holder.kill()
        holder.wait()


def test_a_run_waits_for_a_web_write_then_says_what_holds_the_folder(source, tmp_path):
    import json
    import socket

    out = tmp_path / "sortie"
    lock = out / ".esmsnum" / "lock"
    web = json.dumps(
        {"holder": "web", "pid": 1, "host": socket.gethostname(), "started_at": "2026-12-07T09:00:00+00:00"}
    )
    holder = _hold(lock, web, 1)  # a web write: released within the run's wait
    try:
        assert run_call(source, out, CALL)["totals"]["dossiers"] == 2, "the run waited for the web's write"
    finally:
        holder.wait()

    proc = _run_while_held(lock, web, source, out)  # a write that does not end
    assert proc.returncode == 1
    assert "l'espace d'instruction (esmsnum web) enregistre une modification" in proc.stderr
    assert "7 décembre 2026 à 10:00" in proc.stderr, "since when, in Paris time"

    stranger = json.dumps({"holder": "analyse", "pid": 999_999_999, "host": "autre-machine"})
    proc = _run_while_held(lock, stranger, source, out)  # a run of another machine on a shared folder
    assert proc.returncode == 1
    assert "Une analyse est déjà en cours" in proc.stderr and "sur la machine autre-machine" in proc.stderr
    assert "999999999" not in proc.stderr and "processus" not in proc.stderr, "no pid it cannot name"


def _statuses(history: Path) -> list[str]:
    """The runs' statuses, read only (the run being watched creates the database)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{history}?mode=ro", uri=True) as conn:
            return [row[0] for row in conn.execute("select status from runs order by id")]
    except sqlite3.Error:
        return []


def test_a_run_killed_with_sigkill_is_marked_interrupted_by_the_next(source, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from instruction.store import History

    out = tmp_path / "sortie"
    script = Path(sys.executable).with_name("esmsnum")
    proc = subprocess.Popen(
        [str(script), "run", str(source), "--call", CALL, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    history = out / ".esmsnum" / "history.sqlite"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if _statuses(history) == ["en_cours"]:
                break
            time.sleep(0.05)
    finally:
        running = proc.poll() is None
        os.killpg(proc.pid, signal.SIGKILL)  # the run and everything it started
        proc.wait()
    assert running, "killed midway"
    run_call(source, out, CALL)
    db = History.for_output(out)
    assert db.run_statuses(CALL) == ["interrompue", "terminee"]
    db.close()


def test_a_history_password_never_reaches_prefect_logs_or_reports(source, tmp_path):
    import asyncio

    from prefect.client.orchestration import get_client

    out = tmp_path / "sortie"
    secret = "motdepasse-tres-secret"
    url = f"postgresql+psycopg://esms:{secret}@127.0.0.1:1/esmsnum"
    proc = esmsnum("run", str(source), "--call", CALL, "--out", str(out), "--history", url, process=True)
    assert secret not in proc.stdout + proc.stderr

    async def stored() -> list[dict]:
        async with get_client() as client:
            runs = await client.read_flow_runs(limit=200)
            return [r.parameters for r in runs if str(out) in str(r.parameters.get("out_dir"))]

    parameters = asyncio.run(stored())
    assert parameters, "the run was created on the session's Prefect server"
    for values in parameters:
        assert secret not in str(values)
        assert values["history_url"] == "postgresql+psycopg://esms@127.0.0.1:1/esmsnum"
    assert not [p for p in out.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("VmHWM absent")


def test_forty_parallel_logins_stay_under_600_mb_in_a_real_server(source, tmp_path):
    import subprocess
    import sys
    import time

    import httpx

    from instruction.accounts import create_account, open_accounts

    out = tmp_path / "sortie"
    run_call(source, out, CALL)
    store = open_accounts(out)
    for i in range(20):
        create_account(store, f"foule{i}", "lecture", "le mot de passe de la foule")
    store.close()
    port = _free_port()
    env = dict(os.environ, ESMSNUM_WEB_SECRET="s" * 48)
    script = Path(sys.executable).with_name("esmsnum")
    server = subprocess.Popen(
        [str(script), "web", str(out), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/sante", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        start = threading.Barrier(40)
        codes: list[int] = []

        def login(i: int) -> None:
            with httpx.Client(base_url=base, timeout=300, headers={"accept": "text/html"}) as client:
                token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text).group(1)
                start.wait()
                name, password = (f"foule{i // 2}", "le mot de passe de la foule") if i % 2 else (f"inconnu{i}", "faux")
                response = client.post("/connexion", data={"csrf": token, "nom": name, "mot_de_passe": password})
                codes.append(response.status_code)

        threads = [threading.Thread(target=login, args=(i,)) for i in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(codes) == 40, "every login got an answer (the others queued)"
        assert codes.count(303) == 20 and codes.count(401) == 20
        print(f"pic de mémoire du serveur web sous 40 connexions : {_peak_rss_mb(server.pid):.0f} Mo")
        assert _peak_rss_mb(server.pid) <= 600, f"peak RSS {_peak_rss_mb(server.pid):.0f} MB"
    finally:
        server.terminate()
        server.wait(timeout=30)
