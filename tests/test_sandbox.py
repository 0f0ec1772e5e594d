"""Each file is parsed in a bounded worker: time, memory and output size."""

from __future__ import annotations

from pathlib import Path

from core.limits import Limits
from core.models import Attachment
from extractors.intake import sha256_file
from extractors.sandbox import extract_isolated


def attachment(path: Path) -> Attachment:
    return Attachment(path.name, sha256_file(path), path.stat().st_size, str(path))


def test_a_file_that_takes_too_long_is_interrupted_and_the_worker_replaced(hostile):
    doc = extract_isolated(attachment(hostile / "slow.pdf"), Limits(seconds_per_file=1))
    assert doc.error and "lecture interrompue après 1 s" in doc.error and doc.problem == "timeout"
    # the pool goes on serving
    assert extract_isolated(attachment(hostile / "text.pdf")).readable


def test_a_file_that_needs_too_much_memory_is_interrupted(hostile):
    doc = extract_isolated(attachment(hostile / "sparse.xlsx"), Limits(memory_mb_per_file=200))
    assert doc.error and "mémoire" in doc.error and doc.problem in {"memory", "reader-crashed"}


def test_output_size_is_bounded(hostile):
    doc = extract_isolated(attachment(hostile / "wide.xlsx"), Limits(max_output_cells=10))
    assert doc.error and "contenu trop volumineux" in doc.error and doc.problem == "too-much-content"


def test_file_size_is_bounded_before_parsing(hostile):
    doc = extract_isolated(attachment(hostile / "slow.pdf"), Limits(max_file_bytes=1000))
    assert doc.error and "au-delà de la limite" in doc.error and doc.seconds < 5
    assert doc.problem == "file-too-large"


def test_the_worker_finds_the_tables_the_rules_read(generated):
    """Table detection runs in the parsing worker (on every core, under the file's limits)
    and gives the tables an in-process search of the same grids gives."""
    from extractors.tables import find_document_tables

    budgets = sorted(p for p in generated.rglob("*.xlsx") if "budget" in p.name.lower())[:3]
    assert budgets
    for path in budgets:
        doc = extract_isolated(attachment(path))
        assert doc.readable and doc.tables
        again = find_document_tables(doc.grids, doc.file)
        assert [(t.kind, t.column_index, len(t.rows), t.grid_name) for t in doc.tables] == [
            (t.kind, t.column_index, len(t.rows), t.grid_name) for t in again
        ]


def test_the_memory_cap_counts_the_file_not_the_libraries_already_loaded():
    """The forkserver is shared by the pools: when the dossier workers' pool starts it, the
    readers' workers are forked with pandas and spaCy's model mapped (hundreds of MB). The cap
    is what a file may cost on top of that, so that a file read in one run is read in the
    next (CI refused a million-row workbook under 500 MB that way)."""
    import subprocess
    import sys

    script = (
        "import numpy, pandas, pandera\n"  # a few hundred MB of address space before any file
        "from extractors.pools import cap_address_space, mapped_bytes\n"
        "assert mapped_bytes() > 150 * 2**20, mapped_bytes()\n"
        "cap_address_space(300)\n"
        "room = bytearray(200 * 2**20)\n"  # past 300 MB in all, within 300 MB more
        "del room\n"
        "try:\n"
        "    bytearray(400 * 2**20)\n"
        "except MemoryError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
