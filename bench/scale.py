"""Benchmark: a generated call of 50, 200 and 1,000 dossiers, cold, on this machine.

    .venv/bin/python bench/scale.py [--sizes 50,200,1000] [--call ars-ara-2022-regional] [--workers-at 200]
                                    [--runners local,dask]

For each size: generation time, then one cold ``esmsnum run`` (empty output folder and
cache): wall time, dossiers per minute, the flow's stages (intake, analysis, call rules,
reports) from summary.json, the extraction time per format summed from the reports, and the
peak resident memory of the whole process tree (the command, Prefect's temporary server,
the parsing workers), sampled every 0.2 s.

Then the ratios, measured in this run: the pipeline's time against the raw parsing of the
same files with the same libraries in one plain loop (``bench/extraction.py``'s readers);
the peak memory at the largest size against the smallest; on one call of ``--workers-at``
dossiers, ``--workers 1`` against ``--workers 2`` for each task runner (same machine, all
its cores), the whole run confined to one core with 1 worker against every core with one
worker each, and the parsing alone (the sandbox's processes, no rules, no Prefect) with 1
and 2 worker processes. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run(call_dir: Path, call: str, out: Path, *extra: str, cores: set[int] | None = None) -> tuple[float, int, dict]:
    """One ``esmsnum run``; ``cores``: the CPUs the whole process tree may use (affinity is
    inherited by the parsing workers and Prefect's temporary server)."""
    esmsnum = Path(sys.executable).with_name("esmsnum")
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(esmsnum), "run", str(call_dir), "--call", call, "--out", str(out), "--no-progress", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"esmsnum run a échoué :\n{stderr[-3000:]}")
    return wall, peak, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def extraction_by_format(out: Path, summary: dict) -> dict[str, tuple[int, float]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for d in summary["dossiers"]:
        report = json.loads((out / d["report"]).read_text(encoding="utf-8"))
        for doc in report.get("documents", []):
            totals[doc.get("format") or "?"][0] += 1
            totals[doc.get("format") or "?"][1] += doc.get("read_seconds") or 0.0
    return {k: (int(v[0]), v[1]) for k, v in sorted(totals.items())}


def call_files(call_dir: Path, work: Path) -> list[Path]:
    """Every file of the call, the members of its zips unpacked (once) under ``work``."""
    files: list[Path] = [p for p in call_dir.rglob("*") if p.is_file() and p.suffix.lower() != ".zip"]
    unpacked = work / "unzipped"
    if not unpacked.exists():
        for index, archive in enumerate(sorted(call_dir.rglob("*.zip"))):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(unpacked / str(index))
    return files + [p for p in unpacked.rglob("*") if p.is_file() and p.suffix.lower() != ".zip"]


def raw_parsing_seconds(call_dir: Path, work: Path) -> tuple[float, int]:
    """Every file of the call parsed once by the raw libraries, in this process, in a loop."""
    from extraction import RAW

    from extractors.sniff import sniff

    files = call_files(call_dir, work)
    started, count = time.perf_counter(), 0
    for path in files:
        fmt = sniff(path, path.name)
        if fmt in RAW:
            try:
                RAW[fmt](path)
                count += 1
            except Exception:  # noqa: BLE001
                pass
    return time.perf_counter() - started, count


def sandbox_parsing_seconds(files: list[Path], workers: int) -> float:
    """The extraction alone (the sandbox's bounded worker processes, ``workers`` of them,
    fed by threads as the flow feeds them), without rules, reports or Prefect."""
    from concurrent.futures import ThreadPoolExecutor

    from core.limits import Limits
    from core.models import Attachment
    from extractors.intake import sha256_file
    from extractors.sandbox import extract_isolated, shutdown

    os.environ["ESMSNUM_WORKERS"] = str(workers)
    limits = Limits()
    attachments = [Attachment(p.name, sha256_file(p), p.stat().st_size, str(p)) for p in files]
    extract_isolated(attachments[0], limits)  # start the pool outside the measure
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        list(pool.map(lambda a: extract_isolated(a, limits), attachments))
    seconds = time.perf_counter() - started
    shutdown()
    os.environ.pop("ESMSNUM_WORKERS", None)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--call", default="ars-ara-2022-regional")
    parser.add_argument("--workers-at", type=int, default=200, help="size of the 1-vs-2 workers comparison")
    parser.add_argument("--runners", default="local,dask", help="task runners of the 1-vs-2 workers comparison")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from fixtures.scale import generate_call

    sizes = [int(s) for s in args.sizes.split(",") if s]  # --sizes "": the workers comparisons only
    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-scale-"))
    print(f"machine : {os.cpu_count()} cœurs ; dossier de travail {work}")
    peaks: dict[int, int] = {}
    for n in sizes:
        t = time.perf_counter()
        call_dir = generate_call(work / f"in-{n}", args.call, n, seed=args.seed)
        generation = time.perf_counter() - t
        out = work / f"out-{n}"
        wall, peak, summary = run(call_dir, args.call, out)
        peaks[n] = peak
        flow = summary["totals"]["seconds"]
        stages = summary["run"].get("stage_seconds", {})
        print(f"\n== {n} dossiers (génération {generation:.0f} s)", flush=True)
        print(
            f"  esmsnum run : {wall:.1f} s ({n / wall * 60:.0f} dossiers/min) ; flux {flow:.1f} s ; "
            f"mémoire maximale {peak / 1e6:.0f} Mo"
        )
        print("  étapes du flux : " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
        formats = extraction_by_format(out, summary)
        print(
            "  lecture par format (temps de lecture cumulé dans les processus) : "
            + ", ".join(f"{k} {c} fichiers {s:.1f} s" for k, (c, s) in formats.items())
        )
        raw, files = raw_parsing_seconds(call_dir, work / f"raw-{n}")
        print(
            f"  lecture brute des mêmes {files} fichiers (bibliothèques seules, une boucle) : {raw:.1f} s ; "
            f"ratio flux / lecture brute = {flow / raw:.2f} ; commande / lecture brute = {wall / raw:.2f}"
        )
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        print(f"\nmémoire maximale {large} / {small} dossiers = {peaks[large] / peaks[small]:.2f}")
    n = args.workers_at
    call_dir = generate_call(work / f"in-w{n}", args.call, n, seed=args.seed + 1)
    for runner in args.runners.split(","):
        timings = {}
        for workers in (1, 2):
            wall, _, summary = run(
                call_dir, args.call, work / f"out-{runner}-w{workers}", "--runner", runner, "--workers", str(workers)
            )
            timings[workers] = (wall, summary["totals"]["seconds"])
        print(
            f"\n{n} dossiers, exécuteur {runner}, 1 worker : commande {timings[1][0]:.1f} s, flux "
            f"{timings[1][1]:.1f} s ; 2 workers : commande {timings[2][0]:.1f} s, flux {timings[2][1]:.1f} s ; "
            f"accélération : flux {timings[1][1] / timings[2][1]:.2f}, commande {timings[1][0] / timings[2][0]:.2f}",
            flush=True,
        )
    # The same call on one core (the whole process tree) with 1 worker, against the machine's
    # cores with one worker each: how the run as a whole scales with the cores it is given.
    cores = sorted(os.sched_getaffinity(0))
    one, _, one_summary = run(call_dir, args.call, work / "out-1core", "--workers", "1", cores={cores[0]})
    every, _, every_summary = run(call_dir, args.call, work / "out-allcores", "--workers", str(len(cores)))
    print(
        f"\n{n} dossiers, 1 cœur et 1 worker : commande {one:.1f} s, flux {one_summary['totals']['seconds']:.1f} s ; "
        f"{len(cores)} cœurs et {len(cores)} workers : commande {every:.1f} s, flux "
        f"{every_summary['totals']['seconds']:.1f} s ; accélération : flux "
        f"{one_summary['totals']['seconds'] / every_summary['totals']['seconds']:.2f}, commande {one / every:.2f}",
        flush=True,
    )
    files = call_files(call_dir, work / f"files-w{n}")
    alone = {workers: sandbox_parsing_seconds(files, workers) for workers in (1, 2)}
    print(
        f"\n{n} dossiers, lecture seule des {len(files)} fichiers par les processus de lecture : 1 worker "
        f"{alone[1]:.1f} s, 2 workers {alone[2]:.1f} s ; accélération de la lecture = {alone[1] / alone[2]:.2f}"
    )


if __name__ == "__main__":
    main()
