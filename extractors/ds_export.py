"""The Démarches simplifiées exports as reviewers download them from the instructeur interface.

- **The démarche's spreadsheet export** (« Télécharger tous les dossiers » : xlsx, ods or csv),
  one file for the whole call, put in the call folder beside the dossiers. Its layout is the
  téléservice's (``ProcedureExportService`` and ``DossierExportConcern#spreadsheet_columns`` of
  demarches-simplifiees.fr): a sheet « Dossiers » with one row per dossier — the fixed columns
  « ID », « Email », « FranceConnect ? », the identity columns (« Civilité », « Nom »,
  « Prénom » for a person; « Établissement SIRET »… « Entreprise raison sociale » for a
  company), « À archiver », « État du dossier », « Dernière mise à jour le », « Déposé le »,
  « Passé en instruction le », « Traité le », « Motivation de la décision », « Instructeurs »,
  then one column per champ (its label) and per annotation — then the sheets
  « Etablissements », « Avis » and one sheet per repeatable block (« Dossier ID », « Ligne »,
  its champs). The csv holds the « Dossiers » table alone. Dates are date-time cells (xlsx,
  ods) or Ruby's ``Time#to_s`` (csv, ``2022-09-28 17:42:10 +0200``).
  The row of a dossier is its online form when the dossier has none of its own (no
  ``dossier.json``, no PDF export): read by ``extractors.form.read_form_row`` with the labels
  of the PDF export, each value located at its file, sheet and cell.
- **Per-dossier zips** (``dossier-<id>.zip``): ``dossier-<id>/export-<id>….pdf`` (the form as
  PDF), the pieces under ``pieces_justificatives/`` named ``<label>-<dd-mm-YYYY-HH-MM>-<n>.<ext>``
  (``ActiveStorage::DownloadableFile.timestamped_filename``: the owner's file name until the
  export templates of 2024, the champ's label since; the upload time; a short id), and
  ``messagerie/``, ``horodatage/``, ``dossier/`` folders. ``piece_name`` reads such a name.

A spreadsheet in the call folder is a démarche export by its content (a sheet whose header
row holds « ID » and « Déposé le » or « État du dossier »), never by its name; it is read
once per process and file version, in the extraction sandbox like any piece (bounded time,
memory and size).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from core.limits import Limits
from core.models import Attachment, CellValue, ExtractedDocument, Grid
from extractors.values import fold

EXPORT_SUFFIXES = (".xlsx", ".ods", ".csv")
MAX_EXPORT_BYTES = 64 * 1024 * 1024
HEADER_ROWS = 5  # the header is the first row; a title line above it is tolerated
ID_HEADERS = ("id", "dossier id", "n dossier", "numero de dossier", "numero")
MARK_HEADERS = ("depose le", "etat du dossier")

#: ``<label>-<dd-mm-YYYY-HH-MM>-<n>.<ext>``: a piece of a Démarches simplifiées zip.
_PIECE = re.compile(r"^(?P<label>.+?)-(?P<stamp>\d{2}-\d{2}-\d{4}-\d{2}-\d{2})-(?P<n>\d{1,6})(?P<ext>\.[^./]{1,8})?$")
_DS_FOLDER = re.compile(r"^dossier-(\d{3,12})$", re.IGNORECASE)


@dataclass(frozen=True)
class PieceName:
    """What a Démarches simplifiées piece name says: the label (the owner's file name, or the
    champ's label), when it was uploaded (Paris wall time) and its short id."""

    label: str
    uploaded: dt.datetime
    number: int
    extension: str


def piece_name(path: str) -> PieceName | None:
    """The parts of ``<label>-<dd-mm-YYYY-HH-MM>-<n>.<ext>``, or None for any other name."""
    m = _PIECE.match(PurePosixPath(path).name)
    if not m:
        return None
    try:
        uploaded = dt.datetime.strptime(m["stamp"], "%d-%m-%Y-%H-%M")
    except ValueError:
        return None
    return PieceName(m["label"], uploaded, int(m["n"]), (m["ext"] or "").lower())


def display_name(path: str) -> str:
    """The name a reviewer recognises: the label and extension without the téléservice's suffix."""
    parsed = piece_name(path)
    return f"{parsed.label}{parsed.extension}" if parsed else PurePosixPath(path).name


@dataclass(frozen=True)
class ExportRow:
    """One dossier's row of the démarche export: (header, cell) in column order."""

    file: str  # the export's file name, in the call folder
    sheet: str | None
    line: int  # 1-based row of the sheet
    ds_id: str
    cells: tuple[tuple[str, CellValue], ...]

    def digest(self) -> str:
        """The row as read, where it is included (a changed value, or a row that moved, re-judges
        the dossier: its report points at the cells): what the dossier's fingerprint adds."""
        values = [(h, _jsonable(c.raw)) for h, c in self.cells]
        return hashlib.sha256(json.dumps([self.file, self.sheet, self.line, values], default=str).encode()).hexdigest()


@dataclass
class DemarcheExport:
    file: str
    rows: list[ExportRow] = field(default_factory=list)
    by_key: dict[str, ExportRow] = field(default_factory=dict)  # DS id and dossier number → row


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _header_row(grid: Grid) -> int | None:
    for index, row in enumerate(grid.rows[:HEADER_ROWS]):
        folded = {fold(c.text) for c in row if c.text}
        if folded & set(ID_HEADERS) and folded & set(MARK_HEADERS):
            return index
    return None


def _key(value: Any) -> str:
    """A dossier number as the folder names write it: ``8123456`` (a float cell ``8123456.0`` too)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def rows_of(doc: ExtractedDocument, file: str) -> DemarcheExport | None:
    """The dossiers' rows of an extracted spreadsheet, or None when it is not a démarche export
    (its first sheet with the export's header is « Dossiers »; the other sheets — établissements,
    avis, repeatable blocks — are not form fields)."""
    for grid in doc.grids:
        header_index = _header_row(grid)
        if header_index is None:
            continue
        headers = [c.text for c in grid.rows[header_index]]
        folded = [fold(h) for h in headers]
        id_column = next(i for i, h in enumerate(folded) if h in ID_HEADERS)
        number_columns = [i for i, h in enumerate(folded) if h in ("numero de dossier", "n de dossier")]
        export = DemarcheExport(file)
        for offset, row in enumerate(grid.rows[header_index + 1 :], start=header_index + 2):
            if id_column >= len(row) or not _key(row[id_column].raw):
                continue
            cells = tuple((headers[i], cell) for i, cell in enumerate(row) if i < len(headers) and headers[i])
            line = ExportRow(file, grid.name, offset, _key(row[id_column].raw), cells)
            export.rows.append(line)
            keys = {line.ds_id} | {_key(row[i].raw) for i in number_columns if i < len(row)}
            for key in keys - {""}:
                export.by_key.setdefault(key, line)
        return export
    return None


_LISTINGS: dict[tuple[str, int], list[Path]] = {}


def find_exports(call_dir: Path) -> list[Path]:
    """Spreadsheets directly in the call folder (candidates; the content decides). The listing
    is kept while the folder's entries do not change (its modification time): every dossier
    of a call asks for it."""
    try:
        key = (str(call_dir), call_dir.stat().st_mtime_ns)
        if key in _LISTINGS:
            return _LISTINGS[key]
        entries = sorted(call_dir.iterdir())
    except OSError:
        return []
    found = [
        e
        for e in entries
        if e.suffix.lower() in EXPORT_SUFFIXES
        and not e.name.startswith((".", "~$"))
        and not e.is_symlink()
        and e.is_file()
    ]
    if len(_LISTINGS) > 64:
        _LISTINGS.clear()
    _LISTINGS[key] = found
    return found


_CACHE: dict[tuple[str, int, int], DemarcheExport | None] = {}


def read_export(path: Path, limits: Limits | None = None) -> DemarcheExport | None:
    """The démarche export of ``path`` (read once per process and file version), or None."""
    from extractors.intake import sha256_file
    from extractors.sandbox import extract_isolated

    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    export = None
    if stat.st_size <= MAX_EXPORT_BYTES:
        limits = limits or Limits(max_file_bytes=MAX_EXPORT_BYTES, max_columns=2_000)
        try:
            attachment = Attachment(path.name, sha256_file(path), stat.st_size, str(path))
            doc = extract_isolated(attachment, limits)  # bounded in time and memory, like a piece
        except OSError:
            doc = None
        if doc is not None and doc.readable:
            export = rows_of(doc, path.name)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = export
    return export


def exports_in(call_dir: Path) -> list[DemarcheExport]:
    return [e for e in (read_export(p) for p in find_exports(call_dir)) if e is not None]


def dossier_keys(path: Path) -> list[str]:
    """The numbers a dossier of the call folder answers to: its name (``2022-ARA-0147``,
    ``8123456``), and the Démarches simplifiées id of a ``dossier-<id>`` folder or zip."""
    name = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    keys = [name]
    if m := _DS_FOLDER.match(name):
        keys.append(m[1])
    return keys


def row_for(path: Path, exports: list[DemarcheExport], inner_ids: tuple[str, ...] = ()) -> ExportRow | None:
    """The export row of the dossier at ``path`` (``inner_ids``: the ids of ``dossier-<id>/``
    folders found inside it), matched by number; None when no export names it."""
    keys = dossier_keys(path) + list(inner_ids)
    for export in exports:
        for key in keys:
            if key in export.by_key:
                return export.by_key[key]
    return None


def inner_ids(paths: list[str]) -> tuple[str, ...]:
    """The ids of the ``dossier-<id>/`` folders at the top of a dossier's files."""
    ids = []
    for path in paths:
        top = path.split("/", 1)[0]
        if "/" in path and (m := _DS_FOLDER.match(top)) and m[1] not in ids:
            ids.append(m[1])
    return tuple(ids)
