"""The FINESS repository: import time and size of a national-size extract, per-dossier look-up cost.

    .venv/bin/python bench/finess.py [--establishments 100000] [--dossiers 500] [--essms 30]

1. writes a synthetic extract in the official etalab format (``fixtures.finess_extract``):
   N ``structureet`` lines (+ N ``geolocalisation`` lines) over the generator's départements
   and communes, names as owners' lists write them, and the legal entities' extract
   (one entity for every 2.5 establishments, about the national ratio);
2. imports both files (``esmsnum finess importer`` does exactly this) into a fresh folder:
   wall time, establishments per second, size of the SQLite store;
3. runs, for D synthetic dossiers of E ESSMS each, the look-ups the REF rules make for one
   dossier: open the store, one batch query for the list's numbers, one legal entity per
   ESSMS (REF-03), and the suggestions for one unknown number (REF-01: the establishments of
   a département scored by rapidfuzz), then close: ms per dossier, and the share of each step.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.finess_extract import (  # noqa: E402
    EJ_FILE,
    ET_FILE,
    FLUX_FILE,
    OFFICIAL,
    Entity,
    RepositoryBook,
    structureet_fields,
)
from fixtures.names import COMMUNES, SITE_NAMES  # noqa: E402
from validators.finess import complete_with_key  # noqa: E402
from validators.finess_repository import FinessRepository, import_extracts  # noqa: E402

LABELS = {
    "500": "EHPAD",
    "354": "SSIAD",
    "183": "IME",
    "182": "SESSAD",
    "255": "MAS",
    "437": "FAM",
    "246": "ESAT",
    "446": "SAVS",
    "214": "CHRS",
    "355": "Centre hospitalier",
    "620": "Pharmacie",
    "189": "CMPP",
}
WEIGHTS = {
    "500": 8,
    "354": 3,
    "183": 2,
    "182": 2,
    "255": 1,
    "437": 1,
    "246": 2,
    "446": 2,
    "214": 1,
    "355": 1,
    "620": 20,
    "189": 1,
}


def synthetic_book(n: int, rng: random.Random) -> RepositoryBook:
    book = RepositoryBook()
    departments = sorted(COMMUNES)
    codes, weights = list(WEIGHTS), list(WEIGHTS.values())
    used: set[str] = set()
    entities: list[str] = []
    while len(book.establishments) < n:
        department = rng.choice(departments)
        commune = rng.choice(COMMUNES[department])
        number = complete_with_key(f"{department}{rng.randrange(10**6):06d}")
        if number in used:
            continue
        used.add(number)
        if not entities or rng.random() < 0.4:
            ej = complete_with_key(f"{department}{rng.randrange(10**6):06d}")
            entities.append(ej)
            book.entities[ej] = Entity(ej, f"Association {rng.choice(SITE_NAMES)} {commune}", department, commune)
        ej = entities[-1] if rng.random() < 0.7 else rng.choice(entities)
        code = rng.choices(codes, weights)[0]
        name = f"{LABELS[code]} {rng.choice(SITE_NAMES)}"
        assert code in OFFICIAL
        book.establishments[number] = structureet_fields(number, ej, name, code, department, commune)
    return book


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--establishments", type=int, default=100_000)
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--essms", type=int, default=30)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-finess-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        book = synthetic_book(args.establishments, rng)
        (folder / "extract").mkdir()
        (folder / "extract" / ET_FILE).write_text(book.establishments_text(), encoding="utf-8")
        (folder / "extract" / EJ_FILE).write_text(book.entities_text(), encoding="utf-8")
        written = time.perf_counter() - started
        et_size = (folder / "extract" / ET_FILE).stat().st_size
        lines = sum(1 for _ in (folder / "extract" / ET_FILE).open(encoding="utf-8"))
        print(
            f"extract   {len(book.establishments):,} establishments ({lines:,} lines, {et_size / 1e6:.1f} MB), "
            f"{len(book.entities):,} legal entities; written in {written:.1f} s"
        )

        cpu = time.process_time()
        outcome = import_extracts([folder / "extract" / ET_FILE, folder / "extract" / EJ_FILE], folder / "store")
        cpu = time.process_time() - cpu
        rate = outcome.info.establishments / outcome.seconds
        print(
            f"import    {outcome.seconds:.2f} s wall, {cpu:.2f} s CPU ({rate:,.0f} establishments/s); store "
            f"{outcome.size_bytes / 1e6:.1f} MB ({outcome.info.path.name})"
        )

        # the same establishments as the ANS's daily JSON flux, streamed: time and peak memory
        flux = book.write_flux(folder / "extract" / FLUX_FILE)
        tracemalloc.start()
        flux_outcome = import_extracts([flux], folder / "store-json")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"import    JSON flux {flux.stat().st_size / 1e6:.1f} MB: {flux_outcome.seconds:.2f} s wall "
            f"(under tracemalloc), peak Python memory {peak / 1e6:.1f} MB; "
            f"{flux_outcome.info.establishments:,} establishments, {flux_outcome.info.entities:,} legal entities"
        )

        numbers = sorted(book.establishments)
        names = {n: book.establishments[n][3] for n in numbers}
        steps: dict[str, list[float]] = {"open": [], "list": [], "entities": [], "suggestions": [], "total": []}
        cpu = time.process_time()
        for _ in range(args.dossiers):
            listed = rng.sample(numbers, args.essms)
            unknown_name = names[listed[0]].title()
            t0 = time.perf_counter()
            repository = FinessRepository(outcome.info)
            t1 = time.perf_counter()
            found = repository.establishments(listed)
            t2 = time.perf_counter()
            for record in found.values():
                repository.entity(record.finess_ej)
            t3 = time.perf_counter()
            repository.suggestions(unknown_name, [found[listed[0]].department])
            t4 = time.perf_counter()
            repository.close()
            t5 = time.perf_counter()
            for key, value in (
                ("open", t1 - t0),
                ("list", t2 - t1),
                ("entities", t3 - t2),
                ("suggestions", t4 - t3),
                ("total", t5 - t0),
            ):
                steps[key].append(value * 1000)
        cpu = time.process_time() - cpu
        print(
            f"look-ups  {args.dossiers} dossiers of {args.essms} ESSMS, one unknown number each: "
            f"{cpu / args.dossiers * 1000:.1f} ms CPU per dossier; wall ms per dossier (median / p95):"
        )
        for key, values in steps.items():
            ordered = sorted(values)
            print(f"  {key:<12} {statistics.median(ordered):7.2f} / {ordered[int(len(ordered) * 0.95) - 1]:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
