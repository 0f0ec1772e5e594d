"""Benchmark: a generated call at several sizes against its physical floor, in one run.

    .venv/bin/python bench/scale.py [--sizes 50,200,1000] [--quick] [--call ars-ara-2022-regional]
                                    [--workers-at 200] [--runners local] [--stage-sample 50]
                                    [--no-server]

``--quick``: sizes 25 and 50, the workers comparison at 50 (a few minutes).

For each size (``fixtures.scale`` generates the call):

* the floor: ``bench/floor.py`` in a fresh interpreter, timed whole (imports included): every
  file read once by the fastest readers (python-calamine, pypdfium2, python-docx, csv);
* ``esmsnum run`` cold (empty output and cache): wall time, its ratio to the floor, the flow's
  stages, peak memory of the whole process tree;
* ``esmsnum run`` again with nothing changed, then after one dossier was corrected (one cell
  of one workbook): wall time, and for the corrected run the wall time minus that dossier's
  own analysis (``analysis_seconds`` of its report);
* watch mode: ``esmsnum suivre`` on the same call, a corrected dossier dropped as a zip, the
  time from the end of the copy to its new report;
* the per-stage cost per dossier, measured in this process on a sample of the dossiers
  (``--stage-sample``): reading, table finding, classification (and the form), rules, prose
  rules, evidence images, report files, beside the floor read of the same files.

The runs use a local Prefect server started for the benchmark (``esmsnum serveur demarrer``
in a private PREFECT_HOME, stopped at the end), as an operator would; ``--no-server`` leaves
each command to start Prefect's temporary server. Then, on one call of ``--workers-at``
dossiers, ``--workers 1`` against ``--workers 2`` (cold runs, same machine). Numbers only:
nothing is asserted; the targets of issue 18 are printed with the measures beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ``python bench/scale.py`` puts bench/ first on the path, where profile.py would shadow the
# standard library's (imported by spaCy): the project's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

ESMSNUM = Path(sys.executable).with_name("esmsnum")


# --------------------------------------------------------------------------- commands


def environment(home: Path | None, work: Path, state: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(home) if home else env.get("PREFECT_HOME", str(ROOT / ".prefect"))
    # The private state folder (kept server, caches, indexes) of the bench, never the operator's.
    env["ESMSNUM_STATE_DIR"] = str(state or work / "state")
    if home is None:  # « sans serveur » : a temporary Prefect server per command, as before issue 28
        env["ESMSNUM_SERVER_IDLE"] = "0"
    # The generated call has no FINESS extract (``fixtures.scale`` leaves out the cases that
    # need one): an empty store folder, whatever extracts this machine imported.
    env["ESMSNUM_FINESS_DIR"] = str(work / "finess-aucune")
    return env


def tree_rss(*pids: int | None) -> int:
    """Resident memory of the process trees of ``pids``, each process counted once."""
    import psutil

    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        if not pid:
            continue
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                procs[p.pid] = p
        except psutil.Error:
            continue
    total = 0
    for p in procs.values():
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def runner_pid(env: dict[str, str]) -> int | None:
    """The warm analysis process of the local server (its keeper: the server is its child),
    which does the runs handed to it."""
    try:
        path = Path(env["ESMSNUM_STATE_DIR"]) / "serveur" / "esmsnum-serveur.json"
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    return state.get("runner_pid")


def command(args: list[str], env: dict[str, str], cores: set[int] | None = None) -> tuple[float, int, str]:
    """One esmsnum command: wall time, peak RSS of its process tree and of the local server's
    analysis process (which does the run when the command hands it over), stderr."""
    runner = runner_pid(env)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ESMSNUM), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, runner
        while not done.is_set():
            runner = runner or runner_pid(env)  # started by this command on the default path
            peak = max(peak, tree_rss(proc.pid, runner))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"esmsnum {args[0]} a échoué :\n{stderr[-3000:]}")
    return wall, peak, stderr


def run(
    call_dir: Path, call: str, out: Path, env: dict[str, str], *extra: str, cores: set[int] | None = None
) -> tuple[float, int, dict]:
    wall, peak, _ = command(
        ["run", str(call_dir), "--call", call, "--out", str(out), "--no-progress", *extra], env, cores
    )
    return wall, peak, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def floor_seconds(call_dir: Path) -> tuple[float, dict[str, int]]:
    """``bench/floor.py`` in a fresh interpreter, timed whole (start-up and imports included)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor.py"), str(call_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    return wall, json.loads(proc.stdout.splitlines()[-1])["files"]


# --------------------------------------------------------------------------- corrections


def correct_one(call_dir: Path, seed: int) -> Path:
    """An owner's correction: one cell of one workbook of one dossier folder, saved again."""
    import openpyxl

    candidates = sorted(d for d in call_dir.iterdir() if d.is_dir() and any(d.glob("*.xlsx")))
    dossier = random.Random(seed).choice(candidates)
    xlsx = sorted(dossier.glob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.worksheets[0]
    ws["A1"] = f"{ws['A1'].value or ''} (version corrigée)"
    wb.save(xlsx)
    return dossier


def zipped(folder: Path, extra_note: str) -> bytes:
    """The dossier as a corrected deposit: its files zipped, one note added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(folder).as_posix())
        zf.writestr("note de correction.csv", f"objet;correction\n{extra_note};1\n")
    return buffer.getvalue()


def watch_latency(call_dir: Path, call: str, out: Path, env: dict[str, str], seed: int) -> tuple[float, float]:
    """``esmsnum suivre``: seconds from a corrected zip landing complete to its report
    rewritten, and that dossier's own analysis time."""
    log = out.parent / f"{out.name}-suivre.log"
    folder = random.Random(seed + 1).choice(sorted(d for d in call_dir.iterdir() if d.is_dir()))
    dropped = call_dir / f"{folder.name}.zip"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [str(ESMSNUM), "suivre", str(call_dir), "--call", call, "--out", str(out), "--attente", "0.5"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        deadline = time.monotonic() + 3600

        def wait_for(done) -> None:
            while not done():
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"esmsnum suivre : {log.read_text(encoding='utf-8')[-3000:]}")
                time.sleep(0.05)

        wait_for(lambda: "préchargés" in log.read_text(encoding="utf-8"))  # a warm process
        report = out / folder.name / "report.json"
        before = report.stat().st_mtime_ns
        partial = call_dir / f"{folder.name}.zip.part"
        partial.write_bytes(zipped(folder, f"correction {time.time()}"))
        os.replace(partial, dropped)  # lands complete
        landed = time.perf_counter()
        wait_for(lambda: report.exists() and report.stat().st_mtime_ns != before)
        latency = time.perf_counter() - landed
        time.sleep(1)
        own = json.loads(report.read_text(encoding="utf-8")).get("analysis_seconds", 0.0)
        return latency, own
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
        dropped.unlink(missing_ok=True)


# --------------------------------------------------------------------------- per-stage costs

STAGES = (
    ("read", "lecture des fichiers"),
    ("tables", "recherche des tableaux"),
    ("classification", "classement des pièces et formulaire"),
    ("rules", "règles (hors prose)"),
    ("prose", "règles de prose (PRO)"),
    ("evidence", "images de preuve"),
    ("reports", "fichiers du rapport"),
)


def _floor_module():
    """``bench/floor.py`` as a module (``bench/`` is kept off the path, see above)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("esmsnum_bench_floor", ROOT / "bench" / "floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stage_costs(paths: list[Path], call: str, out: Path) -> tuple[dict[str, float], float, int]:
    """Seconds per stage summed over ``paths``, measured in this process (no sandbox, no
    Prefect), and the floor read of the same files (warm readers)."""
    floor = _floor_module()

    from core.models import Finding
    from extractors.extract import extract
    from extractors.intake import open_dossier
    from extractors.tables import find_document_tables
    from judging.analysis import read_dossier
    from judging.finalize import finalize_report
    from reports.dossier import build_report, write_dossier_reports
    from reports.evidence import attach_evidence
    from validators.engine import decide, enabled_rules, load_call, rule_views, run_rules
    from validators.figures import key_figures
    from validators.prose import french_ratio, people
    from validators.table_checks import run_table_checks

    config = load_call(call)
    limits = config.limits.file_limits()
    people("Le projet est conduit par la direction.")  # spaCy's model loaded outside the measure
    french_ratio("le projet")
    floor.read_files(paths[0])  # readers imported outside the measure
    totals: Counter[str] = Counter()
    floor_total = 0.0
    for path in paths:
        spent: Counter[str] = Counter()

        def timed(attachment, limits, spent=spent):
            t0 = time.perf_counter()
            doc = extract(attachment, limits)
            t1 = time.perf_counter()
            if doc.readable:
                doc.tables = find_document_tables(doc.grids, doc.file)
            spent["read"] += t1 - t0
            spent["tables"] += time.perf_counter() - t1
            return doc

        with open_dossier(path, config.limits.zip_limits()) as dossier:
            t0 = time.perf_counter()
            data = read_dossier(dossier, config, timed)
            spent["classification"] += time.perf_counter() - t0 - spent["read"] - spent["tables"]
            rules = enabled_rules(config)
            views = rule_views(rules, config)
            t = time.perf_counter()
            tables = run_table_checks(rules, views, data.typed)  # the rules' pandera checks, once per table
            spent["rules"] += time.perf_counter() - t
            for rule in rules:
                t = time.perf_counter()
                with contextlib.suppress(Exception):  # measured as the engine runs it: a failing rule is caught
                    if rule.checks:
                        list(rule.check(data, views[rule.id], tables.failures.get(rule.id, [])))
                    else:
                        list(rule.check(data, views[rule.id]))
                spent["prose" if rule.family == "PRO" else "rules"] += time.perf_counter() - t
            t = time.perf_counter()
            figures = key_figures(data)
            spent["rules"] += time.perf_counter() - t
            findings: list[Finding] = run_rules(data, config)  # the findings, not timed (already run once)
            t = time.perf_counter()
            report = build_report(
                numero=data.numero,
                config=config,
                verdict=decide(findings),
                findings=findings,
                records=data.classified.records,
                data=data,
                figures=figures,
            )
            spent["reports"] += time.perf_counter() - t
            t = time.perf_counter()
            attach_evidence(report, data, {a.path: Path(a.data_path) for a in dossier.attachments}, limits)
            spent["evidence"] += time.perf_counter() - t
            t = time.perf_counter()
            final = finalize_report(report, lot=[], waivers=[], latest=None, submission_sha256="")
            write_dossier_reports(final.report, out / data.numero)
            spent["reports"] += time.perf_counter() - t
        t = time.perf_counter()
        floor.read_files(path)
        floor_total += time.perf_counter() - t
        totals.update(spent)
    return dict(totals), floor_total, len(paths)


def print_stage_table(totals: dict[str, float], floor_total: float, n: int) -> None:
    total = sum(totals.values())
    print(f"  coût par dossier et par étape ({n} dossiers mesurés dans ce processus, sans isolement ni Prefect) :")
    print(f"    {'étape':<38} {'ms/dossier':>10} {'part':>6}")
    for key, label in STAGES:
        seconds = totals.get(key, 0.0)
        print(f"    {label:<38} {seconds / n * 1000:10.1f} {seconds / total:6.1%}")
    print(f"    {'total':<38} {total / n * 1000:10.1f}")
    print(
        f"    {'plancher : lecture brute des mêmes fichiers':<38} {floor_total / n * 1000:10.1f}"
        f"   (total / plancher = {total / floor_total:.1f} ; lecture seule / plancher = "
        f"{(totals.get('read', 0) + totals.get('tables', 0)) / floor_total:.1f})"
    )


# --------------------------------------------------------------------------- main


def start_server(env: dict[str, str]) -> None:
    wall, _, _ = command(["serveur", "demarrer"], env)
    print(f"serveur Prefect local démarré en {wall:.1f} s (PREFECT_HOME={env['PREFECT_HOME']})", flush=True)


def stop_server(env: dict[str, str]) -> None:
    subprocess.run([str(ESMSNUM), "serveur", "arreter"], env=env, capture_output=True, timeout=120)


def sample(paths: list[Path], n: int) -> list[Path]:
    if len(paths) <= n:
        return paths
    step = len(paths) / n
    return [paths[math.floor(i * step)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--quick", action="store_true", help="sizes 25 and 50, workers compared at 50")
    parser.add_argument("--call", default="ars-ara-2022-regional")
    parser.add_argument("--workers-at", type=int, default=200, help="size of the 1-vs-2 workers comparison (0: none)")
    parser.add_argument("--runners", default="local", help="task runners of the 1-vs-2 workers comparison")
    parser.add_argument("--stage-sample", type=int, default=50, help="dossiers measured stage by stage per size")
    parser.add_argument("--no-server", action="store_true", help="no local Prefect server: a temporary one per command")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fast-path",
        action="store_true",
        help="issue 28: floor, cold / unchanged / one corrected, without and with a user-started server "
        "(default sizes 40,1000)",
    )
    parser.add_argument("--temporary-at", default="40", help="sizes also run with a temporary server per command")
    parser.add_argument("--modes", default="default,user,temporary", help="ways of running measured (--fast-path)")
    args = parser.parse_args()
    if args.fast_path:
        from fixtures.scale import generate_call

        if args.sizes == "50,200,1000":
            args.sizes = "40,1000"
        work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-fast-"))
        load = os.getloadavg()
        print(f"machine : {os.cpu_count()} cœurs, charge moyenne {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
        rows = fast_path(args, work, generate_call)
        (work / "fast-path.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
        load = os.getloadavg()
        print(
            f"charge moyenne à la fin : {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} ; mesures : {work}/fast-path.json"
        )
        return
    if args.quick:
        args.sizes, args.workers_at = "25,50", 50
    from fixtures.scale import generate_call

    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-scale-"))
    home = None if args.no_server else work / "prefect"
    env = environment(home, work)
    load = os.getloadavg()
    print(
        f"machine : {os.cpu_count()} cœurs, charge moyenne {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"(1 / 5 / 15 min) ; dossier de travail {work}",
        flush=True,
    )
    if load[0] > (os.cpu_count() or 1):
        print("  (machine chargée par d'autres travaux : les durées absolues sont gonflées ; comparer les ratios)")
    results: dict[int, dict] = {}
    try:
        if home:
            start_server(env)
        for n in sizes:
            results[n] = one_size(n, args, work, env, generate_call)
        if args.workers_at:
            results["workers"] = compare_workers(args, work, env, generate_call)
    finally:
        if home:
            stop_server(env)
    print_targets(results, sizes)


def one_size(n: int, args, work: Path, env: dict[str, str], generate_call) -> dict:
    t = time.perf_counter()
    call_dir = generate_call(work / f"in-{n}", args.call, n, seed=args.seed)
    generation = time.perf_counter() - t
    floor_wall, files = floor_seconds(call_dir)
    out = work / f"out-{n}"
    cold, peak, summary = run(call_dir, args.call, out, env)
    unchanged, _, _ = run(call_dir, args.call, out, env)
    corrected_dir = correct_one(call_dir, args.seed)
    corrected, _, fixed = run(call_dir, args.call, out, env)
    own = json.loads((out / corrected_dir.name / "report.json").read_text(encoding="utf-8")).get("analysis_seconds", 0)
    latency, watch_own = watch_latency(call_dir, args.call, out, env, args.seed)
    stages = summary["run"].get("stage_seconds", {})
    print(f"\n== {n} dossiers, {sum(files.values())} fichiers (génération {generation:.0f} s)", flush=True)
    print(
        f"  plancher (floor.py, démarrage et imports compris) : {floor_wall:.2f} s ; "
        + ", ".join(f"{k} {v}" for k, v in sorted(files.items()))
    )
    print(
        f"  esmsnum run à froid : {cold:.1f} s = {cold / floor_wall:.1f} × le plancher ; flux {summary['totals']['seconds']:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in stages.items())}) ; mémoire maximale {peak / 1e6:.0f} Mo"
    )
    print(f"  relance sans changement : {unchanged:.1f} s")
    print(
        f"  relance après 1 dossier corrigé ({corrected_dir.name}) : {corrected:.1f} s, dont {own:.1f} s d'analyse "
        f"du dossier : coût fixe {corrected - own:.1f} s (analysés {fixed['run']['dossiers_analysed']}, "
        f"documents relus {fixed['run']['documents_extracted']})"
    )
    print(
        f"  mode suivi : dossier corrigé déposé → nouveau rapport en {latency:.1f} s, dont {watch_own:.1f} s "
        f"d'analyse du dossier : coût fixe {latency - watch_own:.1f} s",
        flush=True,
    )
    if n == min(int(x) for x in args.sizes.split(",") if x) and not args.no_server:
        without_server(call_dir, args, work / f"no-server-{n}", floor_wall)
    paths = sample(sorted(p for p in call_dir.iterdir() if not p.name.startswith(".")), args.stage_sample)
    totals, floor_total, measured = stage_costs(paths, args.call, work / f"stages-{n}")
    print_stage_table(totals, floor_total, measured)
    return {
        "floor": floor_wall,
        "cold": cold,
        "unchanged": unchanged,
        "corrected_fixed": corrected - own,
        "watch_fixed": latency - watch_own,
        "peak": peak,
    }


def without_server(call_dir: Path, args, work: Path, floor_wall: float) -> None:
    """The same runs without the local server: each command imports everything and starts
    Prefect's temporary server (what the local server and its warm process save)."""
    import shutil

    env = environment(work / "prefect", work) | {"ESMSNUM_SERVER_IDLE": "0"}
    copy = work / "appel"
    shutil.copytree(call_dir, copy)
    cold, _, _ = run(copy, args.call, work / "out", env)
    unchanged, _, _ = run(copy, args.call, work / "out", env)
    corrected_dir = correct_one(copy, args.seed + 2)
    corrected, _, _ = run(copy, args.call, work / "out", env)
    own = json.loads((work / "out" / corrected_dir.name / "report.json").read_text(encoding="utf-8"))[
        "analysis_seconds"
    ]
    print(
        f"  sans serveur local (serveur Prefect temporaire et imports à chaque commande) : à froid {cold:.1f} s = "
        f"{cold / floor_wall:.1f} × le plancher ; sans changement {unchanged:.1f} s ; 1 corrigé {corrected:.1f} s, "
        f"coût fixe {corrected - own:.1f} s",
        flush=True,
    )


# --------------------------------------------------------------------------- issue 28: the default path

MODES = (
    ("default", "sans serveur démarré (chemin par défaut : le 1er run démarre le serveur gardé)"),
    ("user", "avec « esmsnum serveur demarrer » avant"),
    ("temporary", "ESMSNUM_SERVER_IDLE=0 (un serveur temporaire par commande, comme avant)"),
)


def fast_path(args, work: Path, generate_call) -> list[dict]:
    """For each size: the floor, then for each mode cold / unchanged / one corrected, each in a
    fresh private state folder (no kept server, no cache, no index) and a fresh output folder.
    Prefect's database (PREFECT_HOME) is created once before (untimed): an operator's first
    ever run also creates it (tens of seconds, once per account)."""
    import shutil

    home = work / "prefect"
    warmup = environment(home, work, work / "state-warmup") | {"ESMSNUM_SERVER_IDLE": "60"}
    start_server(warmup)  # creates and migrates the database
    stop_server(warmup)
    rows = []
    temporary_at = {int(x) for x in args.temporary_at.split(",") if x}
    for n in [int(x) for x in args.sizes.split(",") if x]:
        started = time.perf_counter()
        source = generate_call(work / f"in-{n}", args.call, n, seed=args.seed)
        generation = time.perf_counter() - started
        floor_wall, files = floor_seconds(source)
        print(
            f"\n== {n} dossiers, {sum(files.values())} fichiers (génération {generation:.0f} s) ; plancher "
            f"(floor.py, démarrage et imports compris) : {floor_wall:.2f} s",
            flush=True,
        )
        for mode, label in MODES:
            if (mode == "temporary" and n not in temporary_at) or mode not in args.modes.split(","):
                continue
            state = work / f"state-{n}-{mode}"
            env = environment(home, work, state) | {"ESMSNUM_SERVER_IDLE": "0" if mode == "temporary" else "600"}
            call_dir, out = work / f"appel-{n}-{mode}", work / f"out-{n}-{mode}"
            shutil.copytree(source, call_dir)
            try:
                if mode == "user":
                    start_server(env)
                cold, peak_cold, first = run(call_dir, args.call, out, env)
                unchanged, peak_unchanged, again = run(call_dir, args.call, out, env)
                corrected_dir = correct_one(call_dir, args.seed)
                corrected, peak_corrected, fixed = run(call_dir, args.call, out, env)
            finally:
                stop_server(env)
            own = json.loads((out / corrected_dir.name / "report.json").read_text(encoding="utf-8"))
            row = {
                "n": n,
                "mode": mode,
                "floor": floor_wall,
                "cold": cold,
                "unchanged": unchanged,
                "corrected": corrected,
                "corrected_own": own.get("analysis_seconds", 0.0),
                "peak": max(peak_cold, peak_unchanged, peak_corrected),
                "unchanged_run": again["run"],
                "corrected_run": fixed["run"],
                "cold_stages": first["run"].get("stage_seconds", {}),
            }
            rows.append(row)
            print(
                f"  {label} :\n"
                f"    à froid {cold:.1f} s = {cold / floor_wall:.1f} × le plancher ; "
                f"sans changement {unchanged:.1f} s = {unchanged / floor_wall:.1f} × "
                f"(fichiers relus {again['run'].get('files_hashed')}, extraits {again['run']['documents_extracted']}, "
                f"rapports écrits {again['run']['reports_written']}) ; 1 corrigé {corrected:.1f} s = "
                f"{corrected / floor_wall:.1f} ×, {corrected / cold:.2f} du froid (analysés "
                f"{fixed['run']['dossiers_analysed']}, extraits {fixed['run']['documents_extracted']}, rapports "
                f"écrits {fixed['run']['reports_written']}) ; mémoire maximale {row['peak'] / 1e6:.0f} Mo",
                flush=True,
            )
    print(
        "\n| dossiers | mode | plancher | à froid | × | sans changement | × | 1 corrigé | × | corrigé / froid | mémoire |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f = r["floor"]
        print(
            f"| {r['n']} | {r['mode']} | {f:.2f} s | {r['cold']:.1f} s | {r['cold'] / f:.1f} | {r['unchanged']:.1f} s | "
            f"{r['unchanged'] / f:.1f} | {r['corrected']:.1f} s | {r['corrected'] / f:.1f} | "
            f"{r['corrected'] / r['cold']:.2f} | {r['peak'] / 1e6:.0f} Mo |"
        )
    by = {(r["n"], r["mode"]): r for r in rows}
    sizes = sorted({r["n"] for r in rows})
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        for mode in ("default", "user"):
            if (small, mode) in by and (big, mode) in by:
                a, b = by[small, mode], by[big, mode]
                print(
                    f"coût par dossier à froid ({mode}) : {a['cold'] / small * 1000:.0f} ms ({small}) → "
                    f"{b['cold'] / big * 1000:.0f} ms ({big})"
                )
    return rows


def compare_workers(args, work: Path, env: dict[str, str], generate_call) -> dict:
    n = args.workers_at
    call_dir = generate_call(work / f"in-w{n}", args.call, n, seed=args.seed + 1)
    speedups = {}
    for runner in args.runners.split(","):
        timings = {}
        for workers in (1, 2):
            wall, _, summary = run(
                call_dir,
                args.call,
                work / f"out-{runner}-w{workers}",
                env,
                "--runner",
                runner,
                "--workers",
                str(workers),
            )
            timings[workers] = (wall, summary["totals"]["seconds"])
        speedups[runner] = timings[1][1] / timings[2][1]
        print(
            f"\n{n} dossiers, exécuteur {runner}, 1 worker : commande {timings[1][0]:.1f} s, flux "
            f"{timings[1][1]:.1f} s ; 2 workers : commande {timings[2][0]:.1f} s, flux {timings[2][1]:.1f} s ; "
            f"accélération : flux {timings[1][1] / timings[2][1]:.2f}, commande {timings[1][0] / timings[2][0]:.2f}",
            flush=True,
        )
    return speedups


def print_targets(results: dict, sizes: list[int]) -> None:
    print("\n== Cibles (issue 18), mesurées dans cette exécution")
    for n in sizes:
        r = results[n]
        ratio = r["cold"] / r["floor"]
        print(
            f"  {n:>5} dossiers : à froid {ratio:.1f} × le plancher (cible ≤ 10{', ≤ 4 à 1 000' if n >= 1000 else ''}) "
            f"{'atteinte' if ratio <= (4 if n >= 1000 else 10) else 'non atteinte'} ; "
            f"sans changement {r['unchanged']:.1f} s (cible ≤ 3 s) {'atteinte' if r['unchanged'] <= 3 else 'non atteinte'} ; "
            f"1 corrigé : coût fixe {r['corrected_fixed']:.1f} s (esmsnum run), {r['watch_fixed']:.1f} s (suivre) "
            f"(cible ≤ 3 s) {'atteinte' if min(r['corrected_fixed'], r['watch_fixed']) <= 3 else 'non atteinte'}"
        )
    for runner, speedup in (results.get("workers") or {}).items():
        print(
            f"  2 workers / 1 worker ({runner}) : {speedup:.2f} × (cible ≥ 1,7) "
            f"{'atteinte' if speedup >= 1.7 else 'non atteinte'}"
        )


if __name__ == "__main__":
    main()
