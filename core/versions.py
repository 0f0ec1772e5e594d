"""Versions of the code that produces a result, as content hashes of its source files.

A cached result is only reused when the code that made it is unchanged: the extraction of
a file depends on ``extractors/`` and on ``core/`` (an extracted document is made of
``core.models`` objects, its problems worded by ``core.file_problems``: a cached document of
an older ``core`` would be unpickled into classes that changed); a dossier's verdict on
everything that reads, judges and reports. Hashing the sources (not a hand-bumped number) means a changed rule or reader
invalidates exactly the results it could change, with nothing to remember.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".j2", ".css")

EXTRACTION_PACKAGES = ("core", "extractors")
JUDGEMENT_PACKAGES = ("core", "judging", "extractors", "validators", "reports", "reference")


@cache
def code_version(packages: tuple[str, ...]) -> str:
    """sha256 over the relative paths and bytes of every source file of ``packages``."""
    digest = hashlib.sha256()
    for package in packages:
        base = ROOT / package
        for path in sorted(p for p in base.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file()):
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def extraction_version() -> str:
    return code_version(EXTRACTION_PACKAGES)


def judgement_version() -> str:
    return code_version(JUDGEMENT_PACKAGES)
