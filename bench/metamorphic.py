"""The metamorphic sweep (issue #29): N layout variants of the base dossiers
(``fixtures.variants``), each judged beside its base; prints the pass rate and the layout of
every failure (with its replay command).

    python bench/metamorphic.py            # 5,000 variants, 2 processes
    python bench/metamorphic.py --n 500 --workers 2 --keep test-output/metamorphic
    python bench/metamorphic.py --all      # also the layouts still out of reach (docs/formats.md)
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

# the checkout, not bench/, first on the path: bench/profile.py would shadow the standard
# library's profile module (spaCy imports cProfile)
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.variants.bases import BASES
from fixtures.variants.check import sweep
from fixtures.variants.plan import OUT_OF_REACH


def pairs_of(n: int, bases: list[str], first_seed: int = 0) -> list[tuple[str, int]]:
    """``n`` (base, seed) pairs, the bases in turn: variant i is seed first_seed + i // len(bases)."""
    return [(bases[i % len(bases)], first_seed + i // len(bases)) for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="nombre de variantes (défaut 5000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--bases", default=",".join(BASES), help="bases, séparées par des virgules")
    parser.add_argument("--keep", type=Path, help="dossier où écrire les variantes en échec")
    parser.add_argument("--all", action="store_true", help="tirer aussi les mises en page hors de portée")
    args = parser.parse_args(argv)
    bases = args.bases.split(",")
    pairs = pairs_of(args.n, bases, args.first_seed)
    started = time.perf_counter()
    failures = []
    by_base: collections.Counter[str] = collections.Counter()
    done = 0
    with tempfile.TemporaryDirectory(prefix="esmsnum-meta-") as work:
        for result in sweep(
            pairs, Path(work), workers=args.workers, keep=args.keep, allow=OUT_OF_REACH if args.all else ()
        ):
            done += 1
            if not result.passed:
                failures.append(result)
                by_base[result.base] += 1
                print(result.explain(), flush=True)
            if done % 250 == 0:
                print(f"… {done}/{len(pairs)} variantes, {len(failures)} en échec", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    passed = len(pairs) - len(failures)
    rate = 100 * passed / len(pairs) if pairs else 100.0
    print()
    print(
        f"{passed}/{len(pairs)} variantes jugées comme leur base : {rate:.2f} % ({elapsed:.0f} s, {args.workers} processus)"
    )
    for name, count in by_base.most_common():
        print(f"  {name} : {count} échec(s)")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
