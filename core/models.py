"""Data shared by every stage: locations, findings, extracted documents and reports.

Everything a reviewer reads is traceable: a value extracted from a file keeps its
``Location`` and every ``Finding`` points to one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How a finding weighs on the verdict (rules.md)."""

    BLOQUANT = "bloquant"
    A_CORRIGER = "a_corriger"
    ALERTE = "alerte"

    @property
    def rank(self) -> int:
        return {"bloquant": 0, "a_corriger": 1, "alerte": 2}[self.value]

    @property
    def label(self) -> str:
        return {"bloquant": "Bloquant", "a_corriger": "À corriger", "alerte": "Alerte"}[self.value]


class Verdict(str, Enum):
    RECEVABLE = "recevable"
    A_COMPLETER = "a_completer"
    NON_RECEVABLE = "non_recevable"

    @property
    def label(self) -> str:
        return {
            "recevable": "Recevable",
            "a_completer": "À compléter",
            "non_recevable": "Non recevable",
        }[self.value]


class DocumentKind(str, Enum):
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
        return KIND_LABELS[self]


KIND_LABELS = {
    DocumentKind.BUDGET: "budget détaillé",
    DocumentKind.STRUCTURES: "liste des structures engagées",
    DocumentKind.PLANNING: "planning du projet",
    DocumentKind.GOUVERNANCE: "gouvernance du projet",
    DocumentKind.STRATEGIE: "stratégie de déploiement",
    DocumentKind.CONDUITE: "plan de conduite du changement",
    DocumentKind.AUTRE: "autre pièce",
    DocumentKind.ILLISIBLE: "pièce illisible",
}


@dataclass(frozen=True)
class Location:
    """Where a value or a finding comes from.

    ``file`` is relative to the dossier root. ``sheet``/``cell`` for spreadsheets and csv
    (csv cells use spreadsheet coordinates, as reviewers open them in a spreadsheet),
    ``page`` for PDF (1-based), ``detail`` for what has no cell (a docx table row, a
    paragraph, a JSON key of the online form).
    """

    file: str
    sheet: str | None = None
    cell: str | None = None
    page: int | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "page": self.page,
            "detail": self.detail,
        }

    def describe(self) -> str:
        """French, human-readable: ``budget.xlsx, feuille Budget, cellule D12``."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"feuille {self.sheet}")
        if self.cell:
            parts.append(f"cellule {self.cell}")
        if self.page:
            parts.append(f"page {self.page}")
        if self.detail:
            parts.append(self.detail)
        return ", ".join(parts)


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
        return {"sheet": self.sheet, "what": self.what, "detail": self.detail, "values": self.values,
                "description": self.describe()}


@dataclass
class ExtractedDocument:
    """What an extractor read from one attachment."""

    file: str
    sha256: str
    format: str  # detected from content: xlsx, pdf, docx, csv, json, ...
    grids: list[Grid] = field(default_factory=list)
    text: list[TextBlock] = field(default_factory=list)
    error: str | None = None  # French reason when the file could not be read
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
                {"kind": p.kind.value, "confidence": round(p.confidence, 2), "where": p.where}
                for p in self.parts
            ],
            "role": self.role,
            "error": self.error,
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
