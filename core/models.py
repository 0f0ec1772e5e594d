"""Data shared by every stage: locations, findings, extracted documents and reports.

Everything a reviewer reads is traceable: a value extracted from a file keeps its
``Location`` and every ``Finding`` points to one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any

from core.file_problems import Reason
from core.french import (
    FORM_LABEL,
    SEVERITY_RANK,
    form_field_label,
    kind_label,
    severity_label,
    verdict_label,
)


class Code(str, Enum):
    """A code as report.json writes it (``a_corriger``): ``str()`` and formatting give the code."""

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


class Severity(Code):
    """How a finding weighs on the verdict (rules.md)."""

    BLOQUANT = "bloquant"
    A_CORRIGER = "a_corriger"
    ALERTE = "alerte"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.value]

    @property
    def label(self) -> str:
        return severity_label(self)


class Verdict(Code):
    RECEVABLE = "recevable"
    A_COMPLETER = "a_completer"
    NON_RECEVABLE = "non_recevable"

    @property
    def label(self) -> str:
        return verdict_label(self)


class DocumentKind(Code):
    """Kinds of report-contract.md."""

    BUDGET = "budget"
    STRUCTURES = "structures"
    PLANNING = "planning"
    GOUVERNANCE = "gouvernance"
    STRATEGIE = "strategie_deploiement"
    CONDUITE = "conduite_changement"
    AUTRE = "autre"
    ILLISIBLE = "illisible"

    @property
    def label(self) -> str:
        return kind_label(self)


#: The ``file`` of a location that is no file in particular: the dossier as a whole.
DOSSIER_FILE = "(dossier)"


@dataclass(frozen=True)
class Location:
    """Where a value or a finding comes from, as typed fields (never French text to parse).

    ``file`` is relative to the dossier root (``DOSSIER_FILE`` for the dossier as a whole).
    Spreadsheets and csv: ``sheet`` and ``cell`` (csv cells use spreadsheet coordinates, as
    reviewers open them in a spreadsheet). PDF: ``page`` (1-based). A table of a PDF page or
    of a docx/odt document: ``table`` (its 1-based number on the page, or in the document),
    ``row`` and ``column`` (1-based; row 0 is the header line of a table rebuilt from word
    positions, whose body lines are numbered from 1). Prose of a docx/odt: ``paragraph``
    (1-based, empty paragraphs not counted). The online form: ``field``, the dotted key of
    ``dossier.json`` (``porteur.finess_ej``), with the page when read from the PDF export.

    ``describe()`` is the one French wording of a location, for every report, letter and
    export.
    """

    file: str
    sheet: str | None = None
    cell: str | None = None
    page: int | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None
    paragraph: int | None = None
    field: str | None = None

    @property
    def whole_dossier(self) -> bool:
        """The dossier as a whole, no file nor form field in particular."""
        return self.file == DOSSIER_FILE and self.field is None

    def to_dict(self) -> dict[str, Any]:
        """``report.json``'s location: the keys of report-contract.md (``file``, ``sheet``,
        ``cell``, ``page``), the typed ones, and ``detail``, the French description of what
        lies below the page or cell (kept for the readers of earlier reports, computed)."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "page": self.page,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "paragraph": self.paragraph,
            "field": self.field,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        """The location of a ``report.json`` dict (``detail``, computed, and unknown keys are
        ignored)."""
        return cls(**{name: data.get(name) for name in _LOCATION_FIELDS if data.get(name) is not None})

    @property
    def detail(self) -> str | None:
        """French description of what lies below the page or cell (« tableau 1, ligne 4,
        colonne 2 »), None when nothing does."""
        return ", ".join(self._inner_parts()) or None

    def _inner_parts(self) -> list[str]:
        """French parts below the file, sheet, cell and page."""
        parts = []
        if self.whole_dossier:
            parts.append("ensemble du dossier")
        if self.table is not None:
            parts.append(f"tableau {self.table}")
        if self.row is not None:
            parts.append("en-tête" if self.row == 0 else f"ligne {self.row}")
        if self.column is not None and self.row != 0:
            parts.append(f"colonne {self.column}")
        if self.paragraph is not None:
            parts.append(f"paragraphe {self.paragraph}")
        if self.field is not None:
            parts.append(f"champ « {form_field_label(self.field)} »")
        return parts

    def describe(self) -> str:
        """French, for a reviewer or the project owner: ``budget.xlsx, feuille Budget,
        cellule D12``; ``projet.pdf, page 3, tableau 1, ligne 4, colonne 2``; ``formulaire en
        ligne, champ « Montant total demandé »``; ``ensemble du dossier``. Never an internal
        name: a form field is named by its label on the form."""
        if self.whole_dossier:
            return "ensemble du dossier"
        if self.field is not None:
            text = f"{FORM_LABEL}, champ « {form_field_label(self.field)} »"
            if self.file != DOSSIER_FILE and self.page is not None:
                text += f" ({self.file}, page {self.page})"
            return text
        parts = [self.file]
        if self.sheet:
            parts.append(f"feuille {self.sheet}")
        if self.cell:
            parts.append(f"cellule {self.cell}")
        if self.page:
            parts.append(f"page {self.page}")
        return ", ".join(parts + self._inner_parts())


_LOCATION_FIELDS = tuple(f.name for f in fields(Location))
_TYPED_FIELDS = ("table", "row", "column", "paragraph", "field")  # beyond the contract's keys


def describe_location(location: Location | dict[str, Any] | None) -> str:
    """``Location.describe`` of a location or of its ``report.json`` dict ("" for none).

    A dict written before locations were typed (an older report, the history of earlier
    analyses) has its French ``detail`` and none of the typed keys: its detail is shown as
    it was written.
    """
    if location is None:
        return ""
    if isinstance(location, Location):
        return location.describe()
    if not isinstance(location, dict) or not location.get("file"):
        return ""
    text = Location.from_dict(location).describe()
    legacy = location.get("detail")
    if legacy and not any(name in location for name in _TYPED_FIELDS) and not text.endswith(str(legacy)):
        text = str(legacy) if location.get("file") == DOSSIER_FILE else f"{text}, {legacy}"
    return text


@dataclass
class Finding:
    rule: str
    severity: Severity
    message: str
    expected: str | None = None
    found: str | None = None
    location: Location | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "location": self.location.to_dict() if self.location else None,
        }


@dataclass(frozen=True)
class CellValue:
    """One raw value read from a file, with where it was read.

    ``written`` and ``unit`` are set when the value was converted on reading: an amount of
    a column in thousands of euros holds euros in ``raw``, what the owner typed in
    ``written`` and ``"k€"`` in ``unit``, so that a finding can quote both. ``fill`` is the
    cell's background colour (``FF00B050``, ``theme:4``) where a reader keeps it (the
    timeline of a Gantt chart), None otherwise.
    """

    raw: Any
    location: Location
    written: Any = None
    unit: str | None = None
    fill: str | None = None

    @property
    def text(self) -> str:
        if self.raw is None:
            return ""
        return str(self.raw).strip()


@dataclass
class Grid:
    """A rectangle of cells as read: a sheet, a csv, a PDF or docx table."""

    name: str | None  # sheet name, or e.g. "page 2, tableau 1"
    rows: list[list[CellValue]]
    # a document's table: the paragraphs just above it (nearest last), where an owner says
    # once what the table holds (« Montants en milliers d'euros »)
    preamble: list[CellValue] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A table of one cell (a framed box of a PDF or document) is found by its page or
        # file alone: « page 1 », never « page 1, tableau 1, ligne 1, colonne 1 ».
        if len(self.rows) == 1 and len(self.rows[0]) == 1:
            cell = self.rows[0][0]
            if cell.location.table is not None:
                self.rows[0][0] = replace(cell, location=replace(cell.location, table=None, row=None, column=None))


@dataclass
class TextBlock:
    """A paragraph or a page of prose, with its location and heading level if known."""

    text: str
    location: Location
    heading_level: int | None = None


@dataclass
class Attachment:
    """A file of the dossier as received (before extraction)."""

    path: str  # relative to the dossier root, '/' separated
    sha256: str
    size: int
    data_path: str  # where the bytes are on disk (inside a temp dir for zips)


@dataclass(frozen=True)
class HiddenContent:
    """A hidden sheet, or hidden rows or columns of a visible sheet, left unread.

    ``what`` is ``feuille``, ``lignes`` or ``colonnes``; ``detail`` names them in French
    (« lignes 4 à 6 », « colonnes C, D »); ``values`` counts the non-empty cells hidden
    (None when the hidden sheet was not opened)."""

    sheet: str
    what: str
    detail: str
    values: int | None = None

    def describe(self) -> str:
        """French: « feuille masquée « Budget v1 » (42 cellules remplies) »."""
        if self.values is None:
            filled = ""
        elif self.values == 0:
            filled = " (vide)"
        else:
            plural = "s" if self.values > 1 else ""
            filled = f" ({self.values} cellule{plural} remplie{plural})"
        if self.what == "feuille":
            return f"feuille masquée « {self.sheet} »{filled}"
        plural = "s" if self.detail.split(" ", 1)[0].endswith("s") else ""
        return f"{self.detail} masquée{plural} de la feuille « {self.sheet} »{filled}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "what": self.what,
            "detail": self.detail,
            "values": self.values,
            "description": self.describe(),
        }


@dataclass
class ExtractedDocument:
    """What an extractor read from one attachment."""

    file: str
    sha256: str
    format: str  # detected from content: xlsx, pdf, docx, csv, json, ...
    grids: list[Grid] = field(default_factory=list)
    text: list[TextBlock] = field(default_factory=list)
    error: str | None = None  # French reason when the file could not be read (``core.file_problems``)
    problem: str | None = None  # the code of that reason in ``core.file_problems``
    warnings: list[str] = field(default_factory=list)  # French notes (truncation, ...)
    scanned: bool = False  # an image, or a PDF whose pages are images without a text layer
    seconds: float = 0.0  # time spent reading the file (wall clock, worker included)
    # The typed tables found in ``grids`` (``extractors.tables.Table``), found in the parsing
    # worker and cached with the document; None when not looked for yet.
    tables: list[Any] | None = None
    # What the owner hid (sheets, rows, columns): not read as content, listed in the report.
    hidden: list[HiddenContent] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.error is None

    def refuse(self, reason: Reason) -> None:
        """Mark the file unreadable for ``reason``: nothing read from it is kept."""
        self.grids.clear()
        self.text.clear()
        self.error, self.problem = reason.message, reason.code


@dataclass
class DocumentPart:
    """One classified part of a document (a workbook holds several parts)."""

    kind: DocumentKind
    confidence: float
    where: str | None = None  # sheet name or page range


@dataclass
class DocumentRecord:
    """A line of ``report.json`` ``documents``."""

    file: str
    sha256: str
    format: str
    kind: DocumentKind
    confidence: float
    parts: list[DocumentPart] = field(default_factory=list)
    role: str | None = None  # "formulaire" for the online form (dossier.json, export PDF)
    error: str | None = None  # French reason when unreadable
    problem: str | None = None  # its code in ``core.file_problems``
    scanned: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "kind": self.kind.value,
            "confidence": round(self.confidence, 2),
            "parts": [
                {"kind": p.kind.value, "confidence": round(p.confidence, 2), "where": p.where} for p in self.parts
            ],
            "role": self.role,
            "error": self.error,
            "problem": self.problem,
            "scanned": self.scanned,
            "read_seconds": round(self.seconds, 3),
        }


def jsonable(obj: Any) -> Any:
    """Dataclass/enum tree → plain JSON types."""
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        return {k: jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj
