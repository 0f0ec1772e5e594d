"""Benchmark: the demo-sized batch, with and without orchestration, in one run.

    .venv/bin/python bench/run.py [--seed 7]

Prints (numbers, no assertion): generation time; for each shipped call, the wall time of
``esmsnum run`` (Prefect flow, embedded server start included), the time of the same dossiers
analysed by the plain function in this process, and per-stage costs measured here:
read (intake + extraction + classification), rules, reports. Ratios are measured in the
same run so that a noisy machine affects both sides alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import load_call  # noqa: E402
from extractors.intake import discover_dossiers  # noqa: E402
from fixtures.generate import generate  # noqa: E402


def stage_times(dossiers: list[Path], call_id: str, out: Path) -> dict[str, float]:
    from extractors.intake import open_dossier
    from judging.analysis import read_dossier
    from reports.dossier import build_report, write_dossier_reports
    from validators.engine import decide, run_rules
    from validators.figures import key_figures

    config = load_call(call_id)
    times = {"read": 0.0, "rules": 0.0, "reports": 0.0}
    for path in dossiers:
        t0 = time.perf_counter()
        with open_dossier(path, config.limits.zip_limits()) as opened:
            data = read_dossier(opened, config)
            t1 = time.perf_counter()
            findings = run_rules(data, config)
            verdict = decide(findings)
            figures = key_figures(data)
            t2 = time.perf_counter()
            report = build_report(
                numero=data.numero,
                config=config,
                verdict=verdict,
                findings=findings,
                records=data.classified.records,
                data=data,
                figures=figures,
            )
            write_dossier_reports(report, out / data.numero)
            t3 = time.perf_counter()
        times["read"] += t1 - t0
        times["rules"] += t2 - t1
        times["reports"] += t3 - t2
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-"))
    t0 = time.perf_counter()
    generate(work / "input", seed=args.seed)
    print(f"generation: {time.perf_counter() - t0:.2f} s")
    esmsnum = Path(sys.executable).with_name("esmsnum")
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    total_wall = total_plain = 0.0
    n_total = 0
    for call_dir in sorted(p for p in (work / "input").iterdir() if p.is_dir()):
        dossiers = discover_dossiers(call_dir / "dossiers")
        # warm the imports once so that the plain timing measures work, not imports
        stage_times(dossiers[:1], call_dir.name, work / "warm")
        t = time.perf_counter()
        stages = stage_times(dossiers, call_dir.name, work / "plain" / call_dir.name)
        plain = time.perf_counter() - t
        t = time.perf_counter()
        proc = subprocess.run(
            [
                str(esmsnum),
                "run",
                str(call_dir / "dossiers"),
                "--call",
                call_dir.name,
                "--out",
                str(work / "flow" / call_dir.name),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            raise SystemExit(f"esmsnum run failed for {call_dir.name}")
        n = len(dossiers)
        n_total += n
        total_wall += wall
        total_plain += plain
        print(f"\n[{call_dir.name}] {n} dossiers")
        print(f"  esmsnum run (Prefect, process start included): {wall:6.2f} s")
        print(f"  plain analysis in-process:                     {plain:6.2f} s  ({plain / n * 1000:.0f} ms/dossier)")
        print(
            f"    read (intake+extraction+classification): {stages['read']:.2f} s, rules: {stages['rules']:.2f} s, "
            f"reports: {stages['reports']:.2f} s"
        )
        print(f"  ratio esmsnum run / plain analysis: {wall / plain:.1f}")
    print(
        f"\nall calls: {n_total} dossiers, esmsnum run {total_wall:.2f} s, plain {total_plain:.2f} s, "
        f"orchestration and start-up {total_wall - total_plain:.2f} s"
    )


if __name__ == "__main__":
    main()
