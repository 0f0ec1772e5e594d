"""Extraction throughput per format, next to the raw cost of the same library calls.

    .venv/bin/python bench/extraction.py [--corpus]

For each format found among the generator's files, its format variants and the members of
its zips (and, with --corpus, the shared real-world corpus): files/s and pages/s (PDF) of
  raw       the bare library call (openpyxl read-only iteration, pdfplumber text + tables,
            python-docx paragraphs + tables, csv.reader), in this process;
  extract   our reader (same library, plus locations, limits, format detection), in-process;
  sandbox   our reader in a bounded worker process (what the pipeline runs).
All three run on the same files in the same run; ratios are printed against raw.

Then the fast paths against the former readers, on the same files in the same run,
in-process (wall and CPU time: the machine may be shared):
  pdf   old = pdfplumber text + tables on every page (``read_pdf(fast=False)``),
        new = PDFium text and page scan, pdfplumber only on pages that may hold a table;
  xlsx  old = openpyxl read-only (``read_xlsx(fast=False)``),
        new = python-calamine values + openpyxl's conversions (fallback to openpyxl);
with files/s, ms per page (PDF) or per 1,000 cells (xlsx) and the speed-up old/new.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.limits import Limits  # noqa: E402
from core.models import Attachment  # noqa: E402
from extractors.extract import extract  # noqa: E402
from extractors.intake import sha256_file  # noqa: E402
from extractors.sandbox import extract_isolated, shutdown  # noqa: E402
from extractors.sniff import sniff  # noqa: E402


def raw_xlsx(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))
    wb.close()
    return n


def raw_pdf(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[:300]:
            page.extract_text()
            page.extract_tables()
        return len(pdf.pages)


def raw_docx(path: Path) -> int:
    import docx

    document = docx.Document(str(path))
    return len(document.paragraphs) + sum(len(t.rows) for t in document.tables)


def raw_csv(path: Path) -> int:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=";"))


RAW = {"xlsx": raw_xlsx, "pdf": raw_pdf, "docx": raw_docx, "csv": raw_csv}


def pdf_pages(path: Path) -> int:
    import pypdfium2

    try:
        return len(pypdfium2.PdfDocument(str(path)))
    except Exception:  # noqa: BLE001
        return 0


def collect(corpus: bool) -> dict[str, list[Path]]:
    from fixtures.formats import generate_formats
    from fixtures.generate import generate

    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-x-"))
    generate(work)
    generate_formats(work)  # format and layout variants: scans, unruled tables, xlsm, ...
    files = [p for p in work.rglob("*") if p.is_file() and p.suffix.lower() != ".zip"]
    if corpus:
        files += [p for p in (ROOT.parent / "shared" / "corpus").rglob("*") if p.is_file() and p.suffix != ".md"]
    by_format: dict[str, list[Path]] = defaultdict(list)
    files += zip_members(sorted(work.rglob("*.zip")), work)
    for path in files:
        fmt = sniff(path, path.name)
        if fmt in RAW:
            by_format[fmt].append(path)
    return by_format


def zip_members(zips: list[Path], work: Path) -> list[Path]:
    """The PDF and xlsx files inside the generated zips (dossiers sent as one archive)."""
    import zipfile

    out = []
    folder = work / "zip-members"
    folder.mkdir(exist_ok=True)
    for index, path in enumerate(zips):
        try:
            with zipfile.ZipFile(path) as zf:
                for m_index, member in enumerate(zf.infolist()):
                    suffix = Path(member.filename).suffix.lower()
                    if suffix in (".pdf", ".xlsx", ".xlsm") and not member.is_dir():
                        target = folder / f"{index}-{m_index}{suffix}"
                        target.write_bytes(zf.read(member))
                        out.append(target)
        except zipfile.BadZipFile:
            continue
    return out


def timed(fn, paths) -> tuple[float, int]:
    failures = 0
    start = time.perf_counter()
    for path in paths:
        try:
            fn(path)
        except Exception:  # noqa: BLE001 - raw libraries raise on broken files: counted, not fatal
            failures += 1
    return time.perf_counter() - start, failures


def read_both(fmt: str, paths: list[Path], limits: Limits) -> None:
    """Old vs new reader on the same files: best of ``ROUNDS`` alternated runs each."""
    import warnings

    from core.models import ExtractedDocument
    from extractors.read_pdf import read_pdf
    from extractors.read_xlsx import read_xlsx

    reader = {"pdf": read_pdf, "xlsx": read_xlsx}[fmt]
    units = 0
    best = {False: (float("inf"), float("inf")), True: (float("inf"), float("inf"))}
    for round_no in range(ROUNDS):
        for fast in (False, True):
            wall = cpu = 0.0
            count = 0
            for path in paths:
                doc = ExtractedDocument(path.name, "-", fmt)
                w0, c0 = time.perf_counter(), time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        reader(path, doc, limits, fast=fast)
                    except Exception:  # noqa: BLE001 - damaged files are part of the load
                        pass
                wall += time.perf_counter() - w0
                cpu += time.process_time() - c0
                count += sum(len(row) for g in doc.grids for row in g.rows)
            best[fast] = (min(best[fast][0], wall), min(best[fast][1], cpu))
            if not fast and round_no == 0:
                units = count
    n = len(paths)
    if fmt == "pdf":
        units, unit = sum(pdf_pages(p) for p in paths), "page"
        per = lambda seconds: seconds / max(units, 1) * 1000  # noqa: E731
    else:
        unit = "1000 cells"
        per = lambda seconds: seconds / max(units, 1) * 1e6  # noqa: E731
    (old_wall, old_cpu), (new_wall, new_cpu) = best[False], best[True]
    print(
        f"{fmt:5} {n:5d} {units:8d} {unit:10} | {n / old_wall:7.1f} {n / new_wall:7.1f} | "
        f"{per(old_wall):9.2f} {per(new_wall):9.2f} | {per(old_cpu):9.2f} {per(new_cpu):9.2f} | "
        f"{old_wall / new_wall:6.1f}x {old_cpu / new_cpu:6.1f}x"
    )


ROUNDS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", action="store_true", help="add the shared real-world corpus")
    parser.add_argument("--fast-only", action="store_true", help="only the old/new reader comparison")
    args = parser.parse_args()
    by_format = collect(args.corpus)
    limits = Limits()
    print("old vs new readers, in-process, same files (best of 2 runs; ms per page or per 1000 cells)")
    print(
        f"{'fmt':5} {'files':>5} {'units':>8} {'':10} | {'old f/s':>7} {'new f/s':>7} | "
        f"{'old wall':>9} {'new wall':>9} | {'old cpu':>9} {'new cpu':>9} | {'wall':>7} {'cpu':>7}"
    )
    for fmt in ("pdf", "xlsx"):
        if by_format.get(fmt):
            read_both(fmt, by_format[fmt], limits)
    if args.fast_only:
        return
    print()
    attachment = lambda p: Attachment(p.name, sha256_file(p), p.stat().st_size, str(p))  # noqa: E731
    extract_isolated(attachment(next(iter(by_format.values()))[0]), limits)  # start the worker pool
    print(
        f"{'format':6} {'files':>5} {'pages':>6} | {'raw f/s':>8} {'extract f/s':>11} {'sandbox f/s':>11} | "
        f"{'extract/raw':>11} {'sandbox/raw':>11} | pages/s (sandbox)"
    )
    for fmt, paths in sorted(by_format.items()):
        pages = sum(pdf_pages(p) for p in paths) if fmt == "pdf" else 0
        raw_s, raw_fail = timed(RAW[fmt], paths)
        ext_s, _ = timed(lambda p: extract(attachment(p), limits), paths)
        box_s, _ = timed(lambda p: extract_isolated(attachment(p), limits), paths)
        n = len(paths)
        pages_rate = f"{pages / box_s:.1f}" if pages else "-"
        print(
            f"{fmt:6} {n:5d} {pages:6d} | {n / raw_s:8.1f} {n / ext_s:11.1f} {n / box_s:11.1f} | "
            f"{ext_s / raw_s:11.2f} {box_s / raw_s:11.2f} | {pages_rate}"
            + (f"   ({raw_fail} files the raw call could not read)" if raw_fail else "")
        )
    shutdown()


if __name__ == "__main__":
    main()
