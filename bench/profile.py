"""Profile one cold ``esmsnum run`` with py-spy: where the CPU goes, per process and per function.

    .venv/bin/python bench/profile.py [--dossiers 50] [--call ars-ara-2022-regional]
                                      [--runner local|dask] [--workers N] [--top 20]

Generates a call (``fixtures.scale``), runs ``esmsnum run`` under ``py-spy record --gil
--subprocesses`` (only threads holding the GIL are sampled, so a sample is CPU spent in
Python, not waiting) and prints, for each kind of process (the command, Prefect's temporary
server, the parsing workers, Dask workers), the seconds sampled and the functions of this
project (and Prefect's task engine, and imports) that took them, inclusive. The raw samples
are kept for a flame graph (``flamegraph.pl`` or speedscope). Numbers only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATE = 100  # samples per second
OWN = ("esmsnum/", "extractors/", "validators/", "reports/", "flows/")
PROCESS = re.compile(r'^process \d+:"')
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def role(header: str) -> str:
    if "uvicorn" in header or "prefect.server" in header:
        return "serveur Prefect temporaire"
    if "forkserver" in header:
        return "processus de travail (dossiers entiers, ou fichiers isolés)"
    if "spawn_main" in header:
        return "workers Dask"
    if "esmsnum run" in header:
        return "processus principal (flux, tâches ; règles et rapports sans processus de travail)"
    return header[:60]


def label(frame: str) -> str | None:
    """A frame worth reporting: this project's functions, Prefect's task engine, imports."""
    match = FRAME.match(frame)
    if not match:
        return None
    function, file = match["function"], match["file"]
    if any(part in file for part in OWN) and "site-packages" not in file:
        return f"{function} ({file[file.rfind('/', 0, file.rfind('/')) + 1 :]})"
    if file.endswith("prefect/task_engine.py") and function == "run_task_sync":
        return "run_task_sync (prefect, moteur de tâches)"
    if function == "_find_and_load":
        return "imports de modules"
    return None


def analyse(raw: Path, top: int) -> None:
    per_role: Counter[str] = Counter()
    per_function: dict[str, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        # py-spy nests a child process's frames under its parents' "process PID:"cmdline""
        # frames (a command line may itself hold ";"): the last one is the sampled process.
        start = max(i for i, f in enumerate(frames) if PROCESS.match(f))
        end = next(i for i in range(start, len(frames)) if frames[i].endswith('"'))
        who = role(";".join(frames[start : end + 1]))
        per_role[who] += int(count)
        for name in {lab for lab in map(label, frames[end + 1 :]) if lab}:
            per_function[who][name] += int(count)
    total = sum(per_role.values()) or 1
    print(f"\nCPU en Python (échantillons détenant le GIL, {RATE}/s) : {total / RATE:.1f} s en tout")
    for who, samples in per_role.most_common():
        print(f"\n== {who} : {samples / RATE:.1f} s ({100 * samples / total:.0f} %)")
        for name, n in per_function[who].most_common(top):
            print(f"  {n / RATE:7.2f} s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=50)
    parser.add_argument("--call", default="ars-ara-2022-regional")
    parser.add_argument("--runner", default="local", choices=("local", "dask"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from fixtures.scale import generate_call

    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-profile-"))
    call_dir = generate_call(work / "in", args.call, args.dossiers, seed=args.seed)
    raw = work / "py-spy.txt"
    bin_dir = Path(sys.executable).parent
    command = [
        str(bin_dir / "py-spy"),
        "record",
        "--gil",
        "--subprocesses",
        "--format",
        "raw",
        "--rate",
        str(RATE),
        "-o",
        str(raw),
        "--",
        str(bin_dir / "esmsnum"),
        "run",
        str(call_dir),
        "--call",
        args.call,
        "--out",
        str(work / "out"),
        "--no-progress",
        "--runner",
        args.runner,
    ]
    if args.workers:
        command += ["--workers", str(args.workers)]
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    # The default path, cold: a private state folder of this profile (no server kept by an
    # earlier command, no index), and a kept server that stops 5 s after the run, so that py-spy,
    # which follows it as a subprocess, ends with it.
    env["ESMSNUM_STATE_DIR"] = str(work / "state")
    env["ESMSNUM_SERVER_IDLE"] = "5"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if not raw.exists():
        sys.exit(f"py-spy n'a rien enregistré (droits ptrace ?) :\n{done.stderr[-2000:]}")
    print(f"{args.dossiers} dossiers, exécuteur {args.runner}, échantillons bruts : {raw}")
    analyse(raw, args.top)


if __name__ == "__main__":
    main()
