"""What was submitted: a dossier's documents and their content hashes.

"Changed" means changed content, never a file's timestamp or a re-export: a dossier folder
and the same files re-zipped by a new export of the call have the same fingerprint. Zip
members are hashed while streamed (nothing written to disk), within the intake limits; a zip
that cannot be read that way is fingerprinted by its own bytes (its report will say why).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.limits import ZipLimits
from extractors.ds_export import exports_in, inner_ids, row_for
from extractors.intake import IGNORED_DIRS, IGNORED_NAMES, dossier_number, sha256_file
from judging.hashindex import HashIndex


@dataclass(frozen=True)
class Submission:
    """One dossier as found in the call folder, identified by content."""

    numero: str
    path: Path
    documents: tuple[tuple[str, str], ...]  # (path inside the dossier, sha256), sorted

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.documents).encode()).hexdigest()


#: What stands for the hash of an entry this process may not read, or a link it does not
#: follow: the fingerprint changes once the entry can be read, so the dossier is analysed again.
UNREAD = "illisible"
LINK = "lien"


def fingerprint(path: Path, limits: ZipLimits | None = None, index: HashIndex | None = None) -> Submission:
    """Never raises for an entry of the call folder: what cannot be read is fingerprinted as such.
    ``index``: files unchanged since they were last hashed are not read again."""
    limits = limits or ZipLimits()
    index = index or HashIndex(None)
    if path.is_symlink():
        documents = [("", LINK)]
    elif path.is_dir():
        documents = _folder_documents(path, index)
    else:
        members = index.value(path, lambda p: _zip_documents(p, limits))
        documents = [tuple(m) for m in members] if members else [("", index.value(path, _hash_or_none) or UNREAD)]
    row = row_for(path, exports_in(path.parent), inner_ids([name for name, _ in documents]))
    if row is not None:  # the dossier's row of the démarche export is part of what is judged
        documents.append((f"{row.file}#{row.ds_id}", row.digest()))
    return Submission(dossier_number(path), path, tuple(sorted(documents)))


def _hash_or_none(path: Path) -> str | None:
    """None (not recorded in the index: read again next time) when the file cannot be read."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def _ignored(rel: PurePosixPath) -> bool:
    return (
        any(part in IGNORED_DIRS or part.startswith(".") for part in rel.parts[:-1])
        or rel.name in IGNORED_NAMES
        or rel.name.startswith("~$")
    )


def _folder_documents(root: Path, index: HashIndex) -> list[tuple[str, str]]:
    out = []
    errors: list[OSError] = []
    for folder, _dirs, files in os.walk(root, onerror=errors.append):
        for name in files:
            file = Path(folder) / name
            rel = PurePosixPath(file.relative_to(root).as_posix())
            if file.is_symlink() or not file.is_file() or _ignored(rel):
                continue
            out.append((rel.as_posix(), index.value(file, _hash_or_none) or UNREAD))
    for error in errors:
        target = Path(error.filename or root)
        out.append((target.relative_to(root).as_posix() if target != root else "", UNREAD))
    return out


def _zip_documents(path: Path, limits: ZipLimits) -> list[tuple[str, str]] | None:
    """Member hashes, or None when the archive is beyond the limits or unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > limits.max_members or sum(m.file_size for m in members) > limits.max_total_bytes:
                return None
            out, budget = [], limits.max_total_bytes
            for member in members:
                rel = PurePosixPath(member.filename.replace("\\", "/"))
                if _ignored(rel):
                    continue
                if member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
                    return None
                digest = hashlib.sha256()
                with zf.open(member) as src:
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            return None
                        digest.update(chunk)
                out.append((rel.as_posix(), digest.hexdigest()))
            return out
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return None


def choose_submissions(
    call_dir: Path, limits: ZipLimits | None = None, ignore: Collection[str] = (), index: HashIndex | None = None
) -> tuple[list[Submission], list[dict[str, str]]]:
    """Every dossier of the call folder, fingerprinted (in parallel: hashing is I/O and C code).

    A corrected dossier may be dropped beside the previous one (``2022-ARA-0012.zip`` next to
    the folder ``2022-ARA-0012``): one report per dossier number, so the most recently
    deposited entry is analysed and the other is listed in the summary as superseded. This
    is the only place a timestamp is used, to order two deposits; change is always content.
    Entries named in ``ignore`` (still being copied, in watch mode) are left out.
    """
    from concurrent.futures import ThreadPoolExecutor

    from extractors.intake import discover_dossiers

    entries = [e for e in discover_dossiers(call_dir) if e.name not in ignore]
    by_number: dict[str, list[Path]] = {}
    for entry in entries:
        by_number.setdefault(dossier_number(entry), []).append(entry)
    chosen, superseded = [], []
    for numero, paths in sorted(by_number.items()):
        paths.sort(key=_deposit_time, reverse=True)
        chosen.append(paths[0])
        superseded += [{"dossier": numero, "file": p.name, "kept": paths[0].name} for p in paths[1:]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        submissions = list(pool.map(lambda p: fingerprint(p, limits, index), chosen))
    return submissions, superseded


def _deposit_time(path: Path) -> float:
    try:
        if path.is_symlink():
            return path.lstat().st_mtime
        if path.is_dir():
            return max((f.stat().st_mtime for f in path.rglob("*") if f.is_file()), default=path.stat().st_mtime)
        return path.stat().st_mtime
    except OSError:
        return 0.0
