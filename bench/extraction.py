"""Extraction throughput per format, next to the raw cost of the same library calls.

    .venv/bin/python bench/extraction.py [--corpus]

For each format found among the generator's files (and, with --corpus, the shared
real-world corpus): files/s and pages/s (PDF) of
  raw       the bare library call (openpyxl read-only iteration, pdfplumber text + tables,
            python-docx paragraphs + tables, csv.reader), in this process;
  extract   our reader (same library, plus locations, limits, format detection), in-process;
  sandbox   our reader in a bounded worker process (what the pipeline runs).
All three run on the same files in the same run; ratios are printed against raw.
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

from esmsnum.models import Attachment  # noqa: E402
from extractors.extract import extract  # noqa: E402
from extractors.intake import sha256_file  # noqa: E402
from extractors.limits import Limits  # noqa: E402
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
    from fixtures.generate import generate

    work = Path(tempfile.mkdtemp(prefix="esmsnum-bench-x-"))
    generate(work)
    files = [p for p in work.rglob("*") if p.is_file() and p.suffix.lower() != ".zip"]
    if corpus:
        files += [p for p in (ROOT.parent / "shared" / "corpus").rglob("*") if p.is_file() and p.suffix != ".md"]
    by_format: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        fmt = sniff(path, path.name)
        if fmt in RAW:
            by_format[fmt].append(path)
    return by_format


def timed(fn, paths) -> tuple[float, int]:
    failures = 0
    start = time.perf_counter()
    for path in paths:
        try:
            fn(path)
        except Exception:  # noqa: BLE001 - raw libraries raise on broken files: counted, not fatal
            failures += 1
    return time.perf_counter() - start, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", action="store_true", help="add the shared real-world corpus")
    args = parser.parse_args()
    by_format = collect(args.corpus)
    limits = Limits()
    attachment = lambda p: Attachment(p.name, sha256_file(p), p.stat().st_size, str(p))  # noqa: E731
    extract_isolated(attachment(next(iter(by_format.values()))[0]), limits)  # start the worker pool
    print(f"{'format':6} {'files':>5} {'pages':>6} | {'raw f/s':>8} {'extract f/s':>11} {'sandbox f/s':>11} | "
          f"{'extract/raw':>11} {'sandbox/raw':>11} | pages/s (sandbox)")
    for fmt, paths in sorted(by_format.items()):
        pages = sum(pdf_pages(p) for p in paths) if fmt == "pdf" else 0
        raw_s, raw_fail = timed(RAW[fmt], paths)
        ext_s, _ = timed(lambda p: extract(attachment(p), limits), paths)
        box_s, _ = timed(lambda p: extract_isolated(attachment(p), limits), paths)
        n = len(paths)
        pages_rate = f"{pages / box_s:.1f}" if pages else "-"
        print(f"{fmt:6} {n:5d} {pages:6d} | {n / raw_s:8.1f} {n / ext_s:11.1f} {n / box_s:11.1f} | "
              f"{ext_s / raw_s:11.2f} {box_s / raw_s:11.2f} | {pages_rate}"
              + (f"   ({raw_fail} files the raw call could not read)" if raw_fail else ""))
    shutdown()


if __name__ == "__main__":
    main()
