"""The physical floor of a call: every file read once by the fastest readers, in one process.

    .venv/bin/python bench/floor.py CALL_DIR [--json]

python-calamine for workbooks (xlsx, xls, ods: every cell of every sheet), pypdfium2 for
PDFs (the text of every page), python-docx for docx (paragraphs and tables), the csv module
for csv (decoded as UTF-8, else cp1252); members of zips are read from the archive
(decompression included). Nothing else: no table finding, no rule, no report. The
benchmarks run this script in a fresh interpreter and time it whole, imports included (what
a command that reads the call would at least pay), and use ``read_files`` in-process for the
per-dossier floor. Prints the seconds and the number of files read per format.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

SUFFIXES = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".pdf": "pdf",
    ".docx": "docx",
    ".csv": "csv",
}


def read_workbook(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


def read_pdf(data: bytes) -> int:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        chars = 0
        for index in range(len(pdf)):
            page = pdf[index]
            text = page.get_textpage()
            chars += len(text.get_text_range())
            text.close()
            page.close()
        return chars
    finally:
        pdf.close()


def read_docx(data: bytes) -> int:
    import docx

    document = docx.Document(io.BytesIO(data))
    return len(document.paragraphs) + sum(len(t.rows) for t in document.tables)


def read_csv(data: bytes) -> int:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=";"))


READERS = {
    "xlsx": read_workbook,
    "xls": read_workbook,
    "ods": read_workbook,
    "pdf": read_pdf,
    "docx": read_docx,
    "csv": read_csv,
}


def kind(name: str) -> str | None:
    return SUFFIXES.get(Path(name).suffix.lower())


def iter_files(entry: Path):
    """(name, bytes) of every file of a dossier entry (folder or zip, zips in folders too)."""
    if entry.is_file():
        if entry.suffix.lower() == ".zip":
            yield from _zip_members(entry.read_bytes())
        else:
            yield entry.name, entry.read_bytes()
        return
    for path in sorted(entry.rglob("*")):
        if path.is_file():
            yield from iter_files(path)


def _zip_members(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                member = zf.read(info)
                if info.filename.lower().endswith(".zip"):
                    yield from _zip_members(member)
                else:
                    yield info.filename, member
    except (zipfile.BadZipFile, OSError, ValueError):
        return


def read_files(entry: Path) -> Counter[str]:
    """Read every file of one dossier entry; counts per format (unreadable files are skipped:
    the floor is what reading costs, not judging what cannot be read)."""
    counts: Counter[str] = Counter()
    for name, data in iter_files(entry):
        fmt = kind(name)
        if fmt is None:
            continue
        try:
            READERS[fmt](data)
            counts[fmt] += 1
        except Exception:  # noqa: BLE001 - a hostile file is skipped by the floor
            counts["illisible"] += 1
    return counts


def read_call(call_dir: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for entry in sorted(call_dir.iterdir()):
        if not entry.name.startswith("."):
            counts.update(read_files(entry))
    return counts


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("call_dir", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON line: seconds (reading only) and counts")
    args = parser.parse_args()
    counts = read_call(args.call_dir)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({"seconds_in_process": seconds, "files": dict(counts)}))
    else:
        print(
            f"{sum(counts.values())} fichiers lus en {seconds:.2f} s (hors démarrage de l'interpréteur) : "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
