"""Classify documents by content into the kinds of the report contract.

A workbook may hold several kinds (one per sheet), a PDF or docx the three prose sections:
a document gets one ``DocumentRecord`` whose ``kind`` is its most confident part, and every
part is listed. The file name is never used.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from core.models import (
    DocumentKind,
    DocumentPart,
    DocumentRecord,
    ExtractedDocument,
    TextBlock,
)
from extractors.tables import Table, catalogue, find_document_tables
from extractors.values import fold

SECTIONS_FILE = Path(__file__).with_name("sections.yaml")
_NUMBERING = re.compile(r"^((partie|annexe|chapitre)\s+)?([0-9]+|[ivx]+|[a-h])(\s*[.)\-:]\s*|\s+)")
MAX_HEADING_WORDS = 12


@dataclass
class Section:
    kind: DocumentKind
    file: str
    heading: TextBlock | None
    blocks: list[TextBlock] = field(default_factory=list)
    confidence: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


@dataclass
class Classified:
    records: list[DocumentRecord] = field(default_factory=list)
    tables: dict[str, list[Table]] = field(default_factory=lambda: defaultdict(list))
    sections: dict[DocumentKind, list[Section]] = field(default_factory=lambda: defaultdict(list))


@lru_cache(maxsize=1)
def _section_catalogue() -> tuple[dict[DocumentKind, tuple[str, ...]], dict[DocumentKind, tuple[str, ...]], int]:
    data = yaml.safe_load(SECTIONS_FILE.read_text(encoding="utf-8"))
    headings = {DocumentKind(k): tuple(fold(h) for h in v["headings"]) for k, v in data["sections"].items()}
    keywords = {DocumentKind(k): tuple(fold(w) for w in v["keywords"]) for k, v in data["sections"].items()}
    return headings, keywords, int(data["min_keyword_hits"])


def heading_kind(block: TextBlock) -> DocumentKind | None:
    """The prose section this block opens, if it is a heading."""
    words = block.text.split()
    if not words or len(words) > MAX_HEADING_WORDS:
        return None
    if block.heading_level is None and block.text.rstrip().endswith((".", ",", ";")):
        return None
    folded = _NUMBERING.sub("", fold(block.text))
    headings, _, _ = _section_catalogue()
    best: tuple[int, DocumentKind] | None = None
    for kind, patterns in headings.items():
        for pattern in patterns:
            matches = folded == pattern or folded.startswith(pattern + " ")
            if matches and (best is None or len(pattern) > best[0]):
                best = (len(pattern), kind)
    return best[1] if best else None


def find_sections(doc: ExtractedDocument) -> list[Section]:
    sections: list[Section] = []
    current: Section | None = None
    for block in doc.text:
        kind = heading_kind(block)
        if kind is not None:
            current = Section(kind, doc.file, block, confidence=0.9)
            sections.append(current)
        elif current is not None:
            current.blocks.append(block)
    if sections:
        return sections
    return _by_keywords(doc)


def _by_keywords(doc: ExtractedDocument) -> list[Section]:
    if not doc.text:
        return []
    _, keywords, min_hits = _section_catalogue()
    text = " " + fold(" ".join(b.text for b in doc.text)) + " "
    hits = {kind: sum(text.count(f" {w} ") for w in words) for kind, words in keywords.items()}
    kind, count = max(hits.items(), key=lambda kv: kv[1])
    if count < min_hits:
        return []
    share = count / max(sum(hits.values()), 1)
    return [Section(kind, doc.file, None, list(doc.text), confidence=round(0.4 + 0.4 * share, 2))]


def _table_confidence(table: Table) -> float:
    return min(1.0, 0.5 + 0.08 * len(table.columns))


def classify(docs: list[ExtractedDocument]) -> Classified:
    out = Classified()
    kinds = catalogue().kinds
    for doc in docs:
        parts: list[DocumentPart] = []
        if doc.readable:
            if doc.tables is None:
                doc.tables = find_document_tables(doc.grids, doc.file)
            tables = doc.tables
            for table in tables:
                out.tables[table.kind].append(table)
                parts.append(
                    DocumentPart(DocumentKind(kinds[table.kind].document), _table_confidence(table), table.grid_name)
                )
            for section in find_sections(doc):
                out.sections[section.kind].append(section)
                where = section.heading.location.describe() if section.heading else None
                parts.append(DocumentPart(section.kind, section.confidence, where))
        out.records.append(_record(doc, parts))
    return out


def _record(doc: ExtractedDocument, parts: list[DocumentPart]) -> DocumentRecord:
    if not doc.readable:
        kind, confidence = DocumentKind.ILLISIBLE, 1.0
    elif parts:
        best = max(parts, key=lambda p: p.confidence)
        kind, confidence = best.kind, best.confidence
    else:
        kind, confidence = DocumentKind.AUTRE, 0.5
    return DocumentRecord(
        doc.file,
        doc.sha256,
        doc.format,
        kind,
        confidence,
        parts,
        error=doc.error,
        problem=doc.problem,
        scanned=doc.scanned,
        seconds=doc.seconds,
    )
