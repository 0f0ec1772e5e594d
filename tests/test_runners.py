"""The same call gives the same verdicts whatever runs the tasks: Prefect's thread pool with
the sandbox's processes (default, the rest of the suite) or a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import esmsnum, load_json

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def small_call(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("runners")
    generate(out, calls=[CALL], only=["clean-workbook", "BUD-03", "PIE-01", "clean-zip"])
    return out / CALL / "dossiers"


def _expected(call_dir: Path) -> dict[str, tuple[str, list[str]]]:
    expected = load_json(call_dir.parent / "expected.json")["dossiers"]
    # judged without a FINESS extract (the suite's default): BUD-05 says what it could not verify
    return {numero: (d["verdict"], sorted(d.get("rules_without_finess", d["rules"]))) for numero, d in expected.items()}


def test_a_local_dask_cluster_gives_the_expected_verdicts(small_call, tmp_path):
    out = tmp_path / "out"
    proc = esmsnum(
        "run", str(small_call), "--call", CALL, "--out", str(out), "--runner", "dask", "--workers", "2", timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = load_json(out / "summary.json")
    got = {d["dossier"]: (d["verdict"], sorted(d["rules"])) for d in summary["dossiers"]}
    assert got == _expected(small_call)
    assert summary["run"]["dossiers_analysed"] == len(got) and summary["totals"]["internal_errors"] == 0
    assert summary["run"]["documents_extracted"] > 0
