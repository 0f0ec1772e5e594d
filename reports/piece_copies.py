"""The copies of the pieces a dossier received, kept beside its report (``OUT/<dossier>/pieces/``):
their names, made safe and unique, and how the pages list them.

A name comes from the dossier (its owner chose it): it never leaves ``pieces/`` (no folder, no
``..``, no control or bidirectional character, at most ``MAX_NAME_BYTES`` bytes, reserved names
of Windows avoided), and two files of the same name (or differing by case only) get two names.
The report records each copy as ``pieces/<name>`` (``core.report.PieceCopy``); a recorded path
of another shape (a report.json edited by hand) is never linked nor served.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from core.french import NBSP, number
from core.report import DocumentEntry, DossierReport

PIECES_DIR = "pieces"
#: The longest name kept (bytes of UTF-8): leaves room for « (2) » and the temporary name of an atomic write.
MAX_NAME_BYTES = 150
_FORBIDDEN = set('<>:"/\\|?*')
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, bidi and format marks, unassigned
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}


def _clip(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 10 and ext.isalnum():
        return stem, "." + ext
    return name, ""


def safe_name(file: str) -> str:
    """The last part of ``file`` as a name any file system takes, inside one folder."""
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFC", base)
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _DROPPED:
            continue
        chars.append("_" if ch in _FORBIDDEN else " " if category.startswith("Z") else ch)
    text = " ".join("".join(chars).split()).strip(" .")
    stem, ext = _split(text)
    stem = _clip(stem, MAX_NAME_BYTES - len(ext.encode("utf-8"))).strip(" .") or "piece"
    if stem.lower() in _RESERVED:
        stem = "_" + stem
    return stem + ext


def safe_names(files: list[str]) -> dict[str, str]:
    """Each file's name in ``pieces/``: safe, unique (case aside), in the order of ``files``."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for file in files:
        name = safe_name(file)
        stem, ext = _split(name)
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem} ({n}){ext}"
        taken.add(name.casefold())
        out[file] = name
    return out


def piece_name(path: str | None) -> str | None:
    """The name of a recorded copy (``pieces/<name>``), or None for any other shape."""
    if not isinstance(path, str) or not path.startswith(PIECES_DIR + "/"):
        return None
    name = path[len(PIECES_DIR) + 1 :]
    if not name or name != safe_name(name) or "/" in name:
        return None
    return name


def size_label(size: int | None) -> str | None:
    """« 512 octets », « 12 ko », « 1,2 Mo », « 3,4 Go » (powers of 1 000, as the limits are written)."""
    if size is None:
        return None
    if size < 1000:
        return f"{size}{NBSP}octet{'s' if size > 1 else ''}"
    for unit, scale in (("ko", 1e3), ("Mo", 1e6), ("Go", 1e9)):
        value = size / scale
        if value < 1000 or unit == "Go":
            text = number(value, 1 if value < 100 else 0)
            return f"{text.removesuffix(',0')}{NBSP}{unit}"
    return None  # pragma: no cover - the loop always returns


NOT_RECORDED = "rapport écrit avant que les pièces soient conservées (relancer l'analyse pour les conserver)"


def stored_name(record: DocumentEntry) -> str | None:
    """The name of the file's kept copy, if the report records one of the expected shape."""
    return piece_name(record.piece.path) if record.piece is not None else None


def piece_row(record: DocumentEntry, base: str = PIECES_DIR + "/", folder: Path | None = None) -> dict[str, Any]:
    """A file received: ``{file, name, href, size, note}``; ``href`` is ``base`` and the name,
    URL-encoded, or None when no copy is kept (``note`` says why: « pièce non conservée : … »).
    ``folder``: the ``pieces`` folder, to check the copy is still there."""
    piece = record.piece
    name = stored_name(record)
    reason = None
    if piece is None:
        reason = NOT_RECORDED
    elif name is None:
        reason = piece.not_kept or "copie introuvable"
    elif folder is not None and not _present(folder, name):
        name, reason = None, "copie absente du dossier de sortie"
    return {
        "file": record.file,
        "name": name,
        "href": base + quote(name, safe="") if name else None,
        "size": size_label(piece.size if piece else None),
        "note": f"pièce non conservée : {reason}" if reason else None,
    }


def piece_rows(report: DossierReport, base: str = PIECES_DIR + "/", folder: Path | None = None) -> list[dict[str, Any]]:
    """One ``piece_row`` per file received, then the files refused before they were read
    (``file_problems``), listed but never kept."""
    rows = [piece_row(record, base, folder) for record in report.documents]
    listed = {record.file for record in report.documents}
    for problem in report.file_problems:
        if problem.file not in listed:
            listed.add(problem.file)
            why = problem.message or problem.title or "fichier refusé à l'ouverture du dossier"
            rows.append(
                {"file": problem.file, "name": None, "href": None, "size": None, "note": f"pièce non conservée : {why}"}
            )
    return rows


def _present(folder: Path, name: str) -> bool:
    path = folder / name
    return not folder.is_symlink() and not path.is_symlink() and path.is_file()
