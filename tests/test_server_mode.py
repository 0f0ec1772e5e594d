"""Server mode, end to end: a call run through the deployment served by ``esmsnum serve``.

Opt-in (``make test-server``, also run by ``.ci/run``): ``.ci/server-test`` starts PostgreSQL and
a Prefect server on loopback and exports PREFECT_API_URL and ESMSNUM_TEST_PG_URL (the history
database, a SQLAlchemy URL). Without them the module is skipped: ``make test`` needs no server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, load_json

API_URL = os.environ.get("PREFECT_API_URL")
PG_URL = os.environ.get("ESMSNUM_TEST_PG_URL")

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not (API_URL and PG_URL),
        reason="mode serveur : lancer « make test-server » (PREFECT_API_URL et ESMSNUM_TEST_PG_URL)",
    ),
]

CALL = "ars-ara-2022-regional"
CASES = "clean-workbook,PIE-01,GRP-01,BUD-03"
RUN_TIMEOUT = 600


@pytest.fixture(scope="module")
def call_folder(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("server-fixtures")
    generate(out, calls=[CALL], only=CASES.split(","))
    return out / CALL


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``esmsnum serve`` in a subprocess (its own process group), until the module ends."""
    from prefect.client.orchestration import get_client

    name = f"test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    env = dict(os.environ, PREFECT_RUNNER_POLL_FREQUENCY="2")
    script = Path(sys.executable).with_name("esmsnum")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(script), "serve", "--name", name],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
    if os.environ.get("ESMSNUM_TEST_SERVE_PIDFILE"):  # .ci/server-test stops it if pytest is killed
        Path(os.environ["ESMSNUM_TEST_SERVE_PIDFILE"]).write_text(str(proc.pid))
    try:
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while True:
                assert proc.poll() is None, f"esmsnum serve s'est arrêté :\n{log_path.read_text()}"
                try:
                    client.read_deployment_by_name(f"esmsnum-appel-deploiement/{name}")
                    break
                except Exception:  # noqa: BLE001 - not registered yet
                    assert time.monotonic() < deadline, f"déploiement non enregistré :\n{log_path.read_text()}"
                    time.sleep(1)
        yield f"esmsnum-appel-deploiement/{name}", log_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if os.environ.get("ESMSNUM_TEST_SERVE_PIDFILE"):
            Path(os.environ["ESMSNUM_TEST_SERVE_PIDFILE"]).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def cache_block(tmp_path_factory) -> tuple[str, Path]:
    """The result storage as a Prefect storage block saved on the server (as for a shared cache)."""
    from prefect.filesystems import LocalFileSystem

    folder = tmp_path_factory.mktemp("shared-cache")
    name = f"esmsnum-cache-{uuid.uuid4().hex[:8]}"
    LocalFileSystem(basepath=str(folder)).save(name)
    return f"local-file-system/{name}", folder


def _parameters(call_folder: Path, out_dir: Path, cache: str) -> dict[str, str]:
    return {
        "call_dir": str(call_folder / "dossiers"),
        "call": CALL,
        "out_dir": str(out_dir),
        "cache": cache,
        "history_url": PG_URL,
    }


@pytest.fixture(scope="module")
def first_run(served, call_folder, cache_block, tmp_path_factory):
    """Triggered from Python, as a scheduler script would."""
    from prefect.deployments import run_deployment

    deployment, log_path = served
    out_dir = tmp_path_factory.mktemp("server-out")
    started = time.monotonic()
    flow_run = run_deployment(
        deployment, parameters=_parameters(call_folder, out_dir, cache_block[0]), timeout=RUN_TIMEOUT, poll_interval=2
    )
    print(f"premier passage : {time.monotonic() - started:.1f} s")
    assert flow_run.state is not None and flow_run.state.is_completed(), (
        f"état {flow_run.state!r}\n{log_path.read_text()[-4000:]}"
    )
    return flow_run, out_dir


def test_the_flow_run_completes_and_writes_the_expected_verdicts(first_run, call_folder):
    flow_run, out_dir = first_run
    assert flow_run.state.name == "Completed"
    assert flow_run.name == CALL
    expected = load_json(call_folder / "expected.json")["dossiers"]
    summary = load_json(out_dir / "summary.json")
    verdicts = {d["dossier"]: d["verdict"] for d in summary["dossiers"]}
    assert verdicts == {numero: e["verdict"] for numero, e in expected.items()}
    assert summary["run"]["dossiers_analysed"] == len(expected)
    for numero in expected:
        report = load_json(out_dir / numero / "report.json")
        assert report["verdict"] == expected[numero]["verdict"]
        assert (out_dir / numero / "report.html").is_file()
    assert (out_dir / "summary.html").is_file()


def test_the_artifacts_belong_to_the_flow_run(first_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    flow_run, out_dir = first_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        )
    by_key = {a.key: a for a in artifacts}
    assert {"verdicts-ars-ara-2022-regional", "synthese-ars-ara-2022-regional"} <= set(by_key)
    assert by_key["verdicts-ars-ara-2022-regional"].type == "table"
    assert "2022-ARA-0001" in str(by_key["verdicts-ars-ara-2022-regional"].data)
    assert by_key["synthese-ars-ara-2022-regional"].type == "markdown"
    assert (
        str(out_dir / "summary.html").replace(".", "\\.").replace("-", "\\-")
        in by_key["synthese-ars-ara-2022-regional"].data
    )


def test_the_history_is_in_postgresql(first_run, call_folder):
    from sqlalchemy import create_engine, text

    _, out_dir = first_run
    expected = load_json(call_folder / "expected.json")["dossiers"]
    assert PG_URL.startswith("postgresql")
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT id, status FROM runs WHERE call_id = :c ORDER BY id"), {"c": CALL}).all()
            rows = conn.execute(
                text("SELECT dossier, verdict FROM analyses WHERE run_id = :r"), {"r": runs[0].id}
            ).all()
    finally:
        engine.dispose()
    assert runs and runs[0].status == "terminee"
    assert {r.dossier: r.verdict for r in rows} == {n: e["verdict"] for n, e in expected.items()}
    assert not (out_dir / ".esmsnum" / "history.sqlite").exists()


def test_the_results_are_in_the_storage_block(first_run, cache_block):
    _, folder = cache_block
    assert len(list(folder.glob("dossier-*"))) == 4
    assert list(folder.glob("document-*"))
    assert not (first_run[1] / ".esmsnum" / "cache").exists()


def test_a_second_run_from_the_cli_reuses_the_cached_dossiers(first_run, served, call_folder, cache_block):
    """Triggered with the command of docs/operations.md."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    deployment, log_path = served
    first, out_dir = first_run
    command = [
        str(Path(sys.executable).with_name("prefect")),
        "deployment",
        "run",
        deployment,
        "--watch",
        "--watch-timeout",
        str(RUN_TIMEOUT),
        "--watch-interval",
        "2",
    ]
    for key, value in _parameters(call_folder, out_dir, cache_block[0]).items():
        command += ["--param", f"{key}={value}"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT + 60, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr + log_path.read_text()[-4000:]
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment.split("/", 1)[1]])),
            sort=FlowRunSort.START_TIME_DESC,
        )
    second = next(r for r in runs if r.id != first.id)
    assert second.state is not None and second.state.is_completed()
    run = load_json(out_dir / "summary.json")["run"]
    n = len(load_json(call_folder / "expected.json")["dossiers"])
    assert run["dossiers_cached"] == n
    assert run["dossiers_analysed"] == 0
