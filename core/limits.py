"""Bounds on what one file may cost. Defaults suit real dossiers; a call may override them
(``limits`` section of its configuration)."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: How many worker processes parse files: ``--workers`` sets it; a task runner whose tasks
#: run in several processes (Dask) sets it to 1 in each, which is itself one of several.
WORKERS_ENV = "ESMSNUM_WORKERS"


#: Worker processes per core beyond which more only cost memory and file handles: each worker
#: may hold a file's memory limit, and a machine has as many cores to run them on.
WORKERS_PER_CORE = 4


def max_workers() -> int:
    """The most worker processes this machine is given: ``WORKERS_PER_CORE`` per core."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def parsing_workers() -> int:
    """``WORKERS_ENV`` when set (within ``max_workers``), else one per core."""
    try:
        wanted = int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1)
    except ValueError:
        wanted = os.cpu_count() or 1
    return max(1, min(wanted, max_workers()))


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_rows: int = 20_000
    max_columns: int = 200
    max_pages: int = 300
    seconds_per_file: float = 60.0
    memory_mb_per_file: int = 2048
    max_output_cells: int = 2_000_000  # cells + text blocks one file may yield
    isolate: bool = True  # parse in a worker process (False only for debugging)


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on an archive: members, unpacked size, compression ratio (zip bombs)."""

    max_members: int = 2_000
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 200.0
