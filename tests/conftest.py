"""Shared test helpers: run the real CLI, generate the fixtures once per session."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TEST_OUTPUT = ROOT / "test-output"
CORPUS = SHARED / "corpus"
# Under pytest-xdist (make test: two workers) each worker is a session of its own, with its own
# Prefect home (profiles, local result storage) beside the others.
if _WORKER := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["PREFECT_HOME"] = str(Path(os.environ.get("PREFECT_HOME") or ROOT / ".prefect") / _WORKER)
# Set by .ci/run: CI always has ../shared, so a missing corpus there is a failure, not a skip.
REQUIRE_SHARED_ENV = "ESMSNUM_REQUIRE_SHARED"


# The document kinds of report-contract.md, spelled out: a change of the contract shows here
CONTRACT_KINDS = {
    "budget",
    "structures",
    "planning",
    "gouvernance",
    "strategie_deploiement",
    "conduite_changement",
    "autre",
    "illisible",
}


def verdict_mismatch(label: str, case: dict, report: dict) -> str | None:
    """How a report differs from its case of ``expected.json`` (verdict, rules), with its
    findings; None when it gives what the case expects."""
    found = sorted({f["rule"] for f in report["findings"]})
    rules = case["rules"]
    if not (report.get("finess_repository") or {}).get("checked"):
        rules = case.get("rules_without_finess", rules)  # BUD-05 could not verify an organisme's size
    if report["verdict"] == case["verdict"] and found == sorted(rules):
        return None
    details = "".join(f"\n    {f['rule']}: {f['message']}" for f in report["findings"])
    return f"{label}: expected {case['verdict']} {sorted(rules)}, got {report['verdict']} {found}{details}"


# Debian's chromium, driven by Playwright (tests/test_browser.py, tests/test_web_browser.py)
CHROMIUM = Path(os.environ.get("ESMSNUM_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = TEST_OUTPUT / "screenshots"


def require_chromium() -> None:
    """Skip where chromium is absent (``make browser`` installs it); under CI, fail instead."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} absent : lancer `make browser` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def require_corpus() -> Path:
    """The real-world corpus beside the checkout (``../shared/corpus``).

    A fresh clone has no ``../shared``: the test is skipped with the reason. Under CI
    (``ESMSNUM_REQUIRE_SHARED=1``, set by ``.ci/run``) its absence fails the test instead.
    """
    if CORPUS.is_dir() and any(CORPUS.iterdir()):
        return CORPUS
    reason = f"corpus réel absent ({CORPUS}) : les tests sur les fichiers du monde réel ont besoin de ../shared"
    if os.environ.get(REQUIRE_SHARED_ENV):
        pytest.fail(reason + f" ; {REQUIRE_SHARED_ENV} est positionné (CI) : échec au lieu d'un saut")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return require_corpus()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Path:
    """Generated files that cost a reader time or memory, or that it cannot open
    (``fixtures.hostile``): slow.pdf, locked.pdf, text.pdf, wide.xlsx, bomb.xlsx, sparse.xlsx."""
    from fixtures import hostile as make

    folder = tmp_path_factory.mktemp("hostile")
    (folder / "slow.pdf").write_bytes(make.ruled_grid_pdf())
    (folder / "locked.pdf").write_bytes(make.password_pdf())
    (folder / "text.pdf").write_bytes(make.text_pdf())
    (folder / "wide.xlsx").write_bytes(make.wide_workbook())
    (folder / "bomb.xlsx").write_bytes(make.xml_bomb_workbook())
    (folder / "sparse.xlsx").write_bytes(make.sparse_workbook())
    return folder


@pytest.fixture(scope="session", autouse=True)
def private_state(tmp_path_factory) -> Iterator[Path]:
    """The private state folder (``core.state``) of the session, exported to subprocesses:
    the tests never write the operator's ``~/.local/state/esmsnum``."""
    from core.state import STATE_ENV

    folder = tmp_path_factory.mktemp("state")
    previous = os.environ.get(STATE_ENV)
    os.environ[STATE_ENV] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(STATE_ENV, None)
    else:
        os.environ[STATE_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[str]:
    """One Prefect server for the whole session (``prefect_test_harness``: its own SQLite
    database, a free port): the flows the tests run in process report to it, and so do the
    commands they run in a process of their own (``PREFECT_API_URL`` exported), instead of
    each starting a temporary server. A server given by the environment (``make
    test-server``) is used as it is."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        url = PREFECT_API_URL.value()
        previous = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            if previous is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = previous


#: The FINESS folder of the commands the tests run: empty unless a test imports an extract
#: into it, so that an operator's own imports never change a test's outcome.
NO_FINESS = TEST_OUTPUT / "finess-aucune"


class Completed:
    """What a command gave back: exit code and outputs, as :class:`subprocess.CompletedProcess`."""

    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr


def esmsnum(
    *args: str,
    timeout: float = 900,
    finess_dir: Path | None = None,
    process: bool = False,
    env: dict[str, str | None] | None = None,
) -> Completed | subprocess.CompletedProcess:
    """Run the ``esmsnum`` command as an operator would: its console entry point with
    ``args``, its outputs and exit code, the session's Prefect server.

    By default in this process (the flows run in process, against the session's server: no
    interpreter or server started per command); ``process=True`` runs the installed command
    in a process of its own (the end-to-end tests, and those whose command must not see the
    session's server). ``env`` sets variables (``None`` removes one). The environment is
    restored afterwards: a command that sets a variable (``--workers``) does not change the
    next test."""
    variables = {"ESMSNUM_FINESS_DIR": str(finess_dir or NO_FINESS), **(env or {})}
    if process:
        environment = {k: v for k, v in {**os.environ, **variables}.items() if v is not None}
        environment.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
        environment.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        script = Path(sys.executable).with_name("esmsnum")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "esmsnum"]
        return subprocess.run(
            command + list(args), capture_output=True, text=True, timeout=timeout, env=environment, cwd=ROOT
        )
    from click.testing import CliRunner

    from esmsnum.cli import entry

    saved = dict(os.environ)
    try:
        with CliRunner().isolation(env=variables) as (stdout, stderr, _):
            try:
                entry(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Completed(list(args), code, out, err)


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def generated_cases(tmp_path_factory, name: str, call: str, only: list[str]) -> Path:
    """The generator's cases ``only`` of ``call``, written in a folder of their own
    (``name``): the call's dossiers folder."""
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp(name)
    generate(out, calls=[call], only=only)
    return out / call / "dossiers"


def run_call(call_dir: Path, out: Path, call: str) -> dict:
    """``esmsnum run`` of a call folder, which must succeed: the summary it wrote."""
    proc = esmsnum("run", str(call_dir), "--call", call, "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return load_json(out / "summary.json")


def a_report(**fields):
    """A typed report with the least a report holds, and ``fields``."""
    from core.report import DossierReport

    call = {"id": "appel", "reference": "REF", "title": "Appel", "authority": "ARS", "channel": "regional"}
    base = {
        "dossier": "D",
        "call": "REF",
        "call_id": "appel",
        "verdict": "recevable",
        "verdict_label": "Recevable",
        "verdict_reason": "Recevable.",
        "generated_at": "2026-12-01T10:00:00+01:00",
        "call_snapshot": {**call, "letters": {"sender": "ARS"}},
    }
    return DossierReport.model_validate({**base, **fields})


def report_of(numero: str, config, findings: list):
    """The typed report of a dossier known only by its ``findings`` (no data read, no
    figures), with the verdict they decide."""
    from judging.report import build_report
    from validators.engine import decide

    return build_report(
        numero=numero, config=config, verdict=decide(findings), findings=findings, records=[], data=None, figures=None
    )


def forfait_finding(cell: str):
    """A BUD-03 finding: the budget asks 8 000 € for a forfait of 7 000 € (cell ``cell``)."""
    from core.models import Finding, Location, Severity

    return Finding(
        "BUD-03",
        Severity.A_CORRIGER,
        "Le budget demande 8 000 €.",
        "7 000 €",
        "8 000 €",
        Location("Budget.xlsx", sheet="Budget", cell=cell),
        "Forfait",
    )


def typed(report):
    """The typed report of a report.json dict (any version), or the typed report itself: tests
    change reports as a reader of report.json would, then hand them to the renderers."""
    from core.report import DossierReport

    return DossierReport.load(report) if isinstance(report, dict) else report


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """The fixtures generator's calls and its format/layout variants, written once for the
    whole run: under pytest-xdist the first worker writes them in the run's shared temporary
    folder while the others wait on a lock (pytest-xdist's « session fixtures executed only
    once »). Read-only for the tests."""
    from fixtures.formats import generate_formats
    from fixtures.generate import generate

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "generated"
    with open(shared / "generated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "generated.complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            generate(out)
            generate_formats(out)
            (shared / "generated.complete").touch()
    return out


def import_finess(call_dir: Path, folder: Path) -> Path:
    """``esmsnum finess importer`` of the extract the generator wrote for a call folder; the
    store folder to give ``--finess``."""
    files = sorted((call_dir / "finess").glob("etalab-*.csv"))
    assert files, f"no FINESS extract in {call_dir}"
    proc = esmsnum("finess", "importer", *map(str, files), "--finess", str(folder))
    assert proc.returncode == 0, proc.stderr
    return folder


@pytest.fixture(scope="session")
def pipeline_runs(generated, tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """``esmsnum run`` on each generated call folder, once per session, with the FINESS
    extract the generator wrote for it: folder name → (out dir, process). The call id is in
    the folder's expected.json."""
    runs = {}
    for call_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        expected = load_json(call_dir / "expected.json")
        if not expected["dossiers"]:
            continue
        out = tmp_path_factory.mktemp(f"out-{call_dir.name}")
        finess = import_finess(call_dir, tmp_path_factory.mktemp(f"finess-{call_dir.name}"))
        proc = esmsnum(
            "run", str(call_dir / "dossiers"), "--call", expected["call"], "--out", str(out), "--finess", str(finess)
        )
        runs[call_dir.name] = (out, proc)
    return runs


@pytest.fixture(scope="session")
def workspace_run() -> tuple[Path, dict[str, str]]:
    """One ``esmsnum run`` over test_reports_pipeline's dossiers, shared by the modules of the
    workspace's teams (each copies it before changing anything): (out dir, case → dossier)."""
    from test_reports_pipeline import reports_run

    return reports_run()


# --------------------------------------------------------------------------- the workspace in a browser

WEB_PASSWORDS = {  # the accounts of the browser tests' server (tests/test_web_*browser.py)
    "marie": "motdepasse-marie",
    "ines": "motdepasse-ines",
    "paul": "motdepasse-paul",
    "lea": "motdepasse-lea1",
    "eva": "motdepasse-eva1",
    "theo": "motdepasse-theo",  # tests/test_web_whole_call.py: two instructeurs in different scopes
    "nora": "motdepasse-nora",
}
WEB_ROLES = {
    "marie": "instructeur",
    "ines": "instructeur",
    "paul": "decideur",
    "lea": "lecture",
    "eva": "expert",
    "theo": "instructeur",
    "nora": "instructeur",
}
ESMSNUM = [str(Path(sys.executable).with_name("esmsnum"))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory, workspace_run):
    """``esmsnum web`` as an operator starts it, over a copy of ``workspace_run``: one server for
    the session's browser tests (tests/test_web_browser.py, tests/test_web_teams_browser.py,
    tests/test_web_whole_call.py)."""
    from test_reports_pipeline import CALL

    require_chromium()
    out, cases = workspace_run
    work = tmp_path_factory.mktemp("web-browser") / "out"
    shutil.copytree(out, work)
    # the run's dossiers and FINESS folder beside it, for a test that re-runs a corrected
    # submission (tests/test_web_whole_call.py)
    shutil.copytree(out.parent / "fixtures" / CALL / "dossiers", work.parent / "dossiers")
    shutil.copytree(out.parent / "finess", work.parent / "finess")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESMSNUM_")}
    env["ESMSNUM_STATE_DIR"] = str(work.parent / "state")  # its own accounts, never the home folder's
    for name, role in WEB_ROLES.items():
        created = subprocess.run(
            ESMSNUM + ["comptes", "ajouter", name, "--role", role, "--out", str(work)],
            input=WEB_PASSWORDS[name] + "\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
    port = _free_port()
    log = (work.parent / "web.log").open("w")
    process = subprocess.Popen(
        ESMSNUM + ["web", str(work), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/sante", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((work.parent / "web.log").read_text()) from None
                time.sleep(0.3)
        yield base, work, cases
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Session:
    """One person's browser context, with what its pages did recorded."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(base + "/")
        assert "/connexion" in self.page.url, "without a session, the login page"
        self.page.fill("#nom", name)
        self.page.fill("#mot_de_passe", WEB_PASSWORDS[name])
        self.page.click("#connexion button[type=submit]")
        self.page.wait_for_load_state()
        assert self.page.locator("#compte").inner_text().startswith(name)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"web-{name}.png"), full_page=True)

    def check(self) -> None:
        assert not self.errors, self.errors
        outside = [u for u in self.requests if not u.startswith(self.base) and not u.startswith("data:")]
        assert not outside, f"requests leaving the server: {outside}"
        assert self.page.evaluate("document.documentElement.lang") == "fr"
        assert self.page.locator("h1").count() == 1

    def close(self) -> None:
        self.check()
        self.context.close()


def csrf_of(html: str) -> str:
    """The CSRF token of a page's forms."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def logged_in(app, name: str, password: str):
    """A TestClient of ``app`` with ``name``'s session (the login form, as a browser posts it)."""
    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False, headers={"accept": "text/html"})
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"csrf": token, "nom": name, "mot_de_passe": password, "suite": "/"})
    assert response.status_code == 303, response.text
    return client
