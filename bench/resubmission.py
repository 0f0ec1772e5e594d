"""Benchmark: re-runs after corrected submissions, as ratios of the cold run, in one run.

    .venv/bin/python bench/resubmission.py [--dossiers 200] [--call ars-ara-2022-regional] [--changed 0.01]

Generates a call (``fixtures.scale``), then times three ``esmsnum run`` on the same output
folder: cold (empty cache), warm with nothing changed, and warm after a spreadsheet was
corrected in 1 % of the dossiers. For each: the wall time of the command (what the operator
waits, Prefect's temporary server start included) and the flow's own time (summary.json),
and their ratios to the cold run. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(call_dir: Path, call: str, out: Path) -> tuple[float, dict]:
    esmsnum = Path(sys.executable).with_name("esmsnum")
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    started = time.perf_counter()
    proc = subprocess.run(
        [str(esmsnum), "run", str(call_dir), "--call", call, "--out", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"esmsnum run a échoué :\n{proc.stderr[-3000:]}")
    return wall, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def correct_spreadsheets(call_dir: Path, share: float, seed: int) -> list[str]:
    """An owner's correction: one cell of one workbook of the dossier, saved again."""
    import openpyxl

    candidates = sorted(d for d in call_dir.iterdir() if d.is_dir() and any(d.glob("*.xlsx")))
    chosen = random.Random(seed).sample(candidates, max(1, math.ceil(share * len(candidates))))
    for dossier in chosen:
        xlsx = sorted(dossier.glob("*.xlsx"))[0]
        wb = openpyxl.load_workbook(xlsx)
        ws = wb.worksheets[0]
        ws["A1"] = f"{ws['A1'].value or ''} (version corrigée)"
        wb.save(xlsx)
    return [d.name for d in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--call", default="ars-ara-2022-regional")
    parser.add_argument("--changed", type=float, default=0.01, help="share of dossiers corrected (0.01 = 1 %%)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from fixtures.scale import generate_call

    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-resub-"))
    t = time.perf_counter()
    call_dir = generate_call(work / "input", args.call, args.dossiers, seed=args.seed)
    print(f"génération de {args.dossiers} dossiers : {time.perf_counter() - t:.1f} s ({call_dir})")
    out = work / "out"
    rows = []
    wall, summary = run(call_dir, args.call, out)
    rows.append(("à froid", wall, summary))
    wall, summary = run(call_dir, args.call, out)
    rows.append(("rien de changé", wall, summary))
    changed = correct_spreadsheets(call_dir, args.changed, args.seed)
    wall, summary = run(call_dir, args.call, out)
    rows.append((f"{len(changed)} dossier(s) corrigé(s) ({args.changed:.0%})", wall, summary))

    cold_wall, cold_flow = rows[0][1], rows[0][2]["totals"]["seconds"]
    print(
        f"\n{'exécution':<32} {'commande':>9} {'ratio':>7} {'flux':>8} {'ratio':>7}  "
        "analysés / repris du cache / documents relus"
    )
    for label, wall, summary in rows:
        flow = summary["totals"]["seconds"]
        r = summary["run"]
        print(
            f"{label:<32} {wall:8.1f}s {wall / cold_wall:6.1%} {flow:7.1f}s {flow / cold_flow:6.1%}  "
            f"{r['dossiers_analysed']} / {r['dossiers_cached']} / {r['documents_extracted']}"
        )
    fixed = rows[0][1] - rows[0][2]["totals"]["seconds"]
    print(
        f"\ncoût fixe d'une commande (démarrage, serveur Prefect temporaire, arrêt) ≈ {fixed:.1f} s ; "
        "le ratio « flux » est celui du travail propre à l'appel."
    )


if __name__ == "__main__":
    main()
