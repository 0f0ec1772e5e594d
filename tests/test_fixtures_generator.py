"""Tests of the fixtures generator (``python -m fixtures``), not of the pipeline.

Every generated file is read back with openpyxl, csv, pdfplumber and python-docx, and an
independent, deliberately simple reading of the rules ("oracle") checks that each dossier
plants exactly the faults its expected.json announces: none for a clean dossier, none but
the announced ones for a near miss. The oracle reads the call's YAML and the FINESS category
reference itself; it shares no code with the generator or the pipeline.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pdfplumber
import pytest
import yaml

from fixtures import generate
from fixtures.__main__ import main as cli_main
from fixtures.calls import DEFAULT_CALLS, CallParams, load_call
from fixtures.cases import (
    AMOA_PROCUREMENT_EXCESS,
    AMOA_STEERING_EXCESS,
    EQUIPMENT_EXCESS,
    EQUIPMENT_LARGE_OG,
    LATE_DAYS,
    LOT01_FIRST_DAYS,
    LOT01_SECOND_DAYS,
    LOT01_THIRD_DAYS,
    LOT02_DELAY_DAYS,
    MOA_EXCESS,
    MONTANT_ERROR,
    STALE_TOTAL_ERROR,
)
from validators.finess import is_valid_finess

SEED = 7
ROOT = Path(__file__).resolve().parents[1]
HEADERS = yaml.safe_load((ROOT / "extractors" / "headers.yaml").read_text(encoding="utf-8"))
CATEGORY_REFERENCE = yaml.safe_load((ROOT / "reference" / "finess_categories.yaml").read_text(encoding="utf-8"))
REGIONAL, NATIONAL = "ars-ara-2022-regional", "cnsa-2022-national"
AMORCAGE, GRAND_EST = "ars-ara-2021-amorcage", "ars-grand-est-2023-regional"
NUMERO = {REGIONAL: "2022-ARA", NATIONAL: "2022-NAT", AMORCAGE: "2021-ARA", GRAND_EST: "2023-GE"}
#: Rules whose findings are alerts: a dossier that raises only these stays recevable.
ALERT_RULES = {
    "PIE-04",
    "PIE-05",
    "PIE-06",
    "GRP-12",
    "PLA-04",
    "PRO-03",
    "PRO-04",
    "COH-03",
    "LOT-02",
    "REF-02",
    "REF-03",
}
#: The cases checked against the call's FINESS extract, in every call.
REF_CASES = {
    "REF-01": ("a_completer", ["REF-01"]),
    "GRP-06-repertoire": ("a_completer", ["GRP-06"]),
    "REF-02": ("recevable", ["REF-02"]),
    "REF-03": ("recevable", ["REF-03"]),
    "PIE-05": ("recevable", ["PIE-05"]),
    "PIE-06": ("recevable", ["PIE-06"]),
}

#: What the brief asks for, case by case: (verdict, rules).
EXPECTED_CASES = {
    REGIONAL: {
        "PIE-01": ("a_completer", ["PIE-01"]),
        "PIE-02": ("a_completer", ["PIE-02"]),
        "PIE-03": ("a_completer", ["PIE-01", "PIE-03"]),
        "PIE-04": ("recevable", ["PIE-04"]),
        "GRP-01": ("a_completer", ["GRP-01"]),
        "GRP-02": ("a_completer", ["GRP-02"]),
        "GRP-03": ("non_recevable", ["GRP-03"]),
        "GRP-04-regional": ("non_recevable", ["GRP-04"]),
        "GRP-05": ("a_completer", ["GRP-05"]),
        "GRP-06": ("non_recevable", ["GRP-03", "GRP-06"]),
        "GRP-08": ("a_completer", ["GRP-08"]),
        "GRP-09": ("a_completer", ["BUD-04", "GRP-09", "GRP-15"]),
        "GRP-10": ("a_completer", ["GRP-10"]),
        "GRP-11": ("a_completer", ["GRP-11"]),
        "BUD-01": ("a_completer", ["BUD-01"]),
        "BUD-02": ("a_completer", ["BUD-02"]),
        "BUD-03": ("a_completer", ["BUD-03"]),
        "BUD-05": ("a_completer", ["BUD-05"]),
        "BUD-06": ("a_completer", ["BUD-06"]),
        "BUD-07": ("a_completer", ["BUD-07"]),
        "PLA-01": ("a_completer", ["PLA-01"]),
        "PLA-02": ("a_completer", ["PLA-02"]),
        "PLA-03": ("a_completer", ["PLA-03"]),
        "PLA-04": ("recevable", ["PLA-04"]),
        "PRO-01": ("a_completer", ["PRO-01"]),
        "PRO-02": ("a_completer", ["PRO-02"]),
        "PRO-03": ("recevable", ["PRO-03"]),
        "PRO-04": ("recevable", ["PRO-04"]),
        "COH-01": ("a_completer", ["COH-01"]),
        "COH-02": ("a_completer", ["COH-02"]),
        "COH-03": ("recevable", ["COH-03"]),
        "LOT-01-premier": ("recevable", ["LOT-01"]),
        "LOT-01-second": ("a_completer", ["LOT-01"]),
        "LOT-02-premier": ("recevable", ["LOT-02"]),
        "LOT-02-redepot": ("recevable", ["LOT-02"]),
        "clean-limites-budget": ("recevable", []),
        "clean-ahi-pjm": ("recevable", []),
        "DEP-01": ("non_recevable", ["DEP-01"]),
        "clean-depot-derniere-minute": ("recevable", []),
        "GRP-01-finess-vide": ("a_completer", ["GRP-01", "GRP-03"]),
        "GRP-05-minimum": ("non_recevable", ["GRP-03", "GRP-05"]),
        "clean-mise-en-conformite": ("recevable", []),
        "LOT-01-minimum": ("non_recevable", ["GRP-03", "LOT-01"]),
        "GRP-15": ("a_completer", ["GRP-15"]),
        "GRP-16": ("a_completer", ["GRP-16"]),
        "DEP-05": ("a_completer", ["DEP-05"]),
        "BUD-09": ("a_completer", ["BUD-09"]),
        "clean-conditions": ("recevable", []),
    },
    NATIONAL: {
        "GRP-04-national": ("non_recevable", ["GRP-04"]),
        "BUD-03-national": ("a_completer", ["BUD-03"]),
        "clean-national-55": ("recevable", []),
        "clean-limites-national": ("recevable", []),
        "PIE-03-national": ("a_completer", ["PIE-01", "PIE-03"]),
        "PIE-04-national": ("recevable", ["PIE-04"]),
        "GRP-06-national": ("a_completer", ["BUD-03", "GRP-06"]),
        "GRP-08-national": ("a_completer", ["GRP-08"]),
        "GRP-09-national": ("a_completer", ["BUD-04", "GRP-09", "GRP-15"]),
        "GRP-11-national": ("a_completer", ["GRP-11"]),
        "BUD-05-national": ("a_completer", ["BUD-05"]),
        "BUD-06-national": ("a_completer", ["BUD-06"]),
        "PLA-02-national": ("a_completer", ["PLA-02"]),
        "PLA-04-national": ("recevable", ["PLA-04"]),
        "PRO-01-national": ("a_completer", ["PRO-01"]),
        "PRO-02-national": ("a_completer", ["PRO-02"]),
        "PRO-03-PRO-04-national": ("recevable", ["PRO-03", "PRO-04"]),
        "COH-02-national": ("a_completer", ["COH-02"]),
        "COH-03-national": ("recevable", ["COH-03"]),
        "LOT-01-premier-national": ("recevable", ["LOT-01"]),
        "LOT-01-second-national": ("a_completer", ["LOT-01"]),
        "LOT-02-premier-national": ("recevable", ["LOT-02"]),
        "LOT-02-redepot-national": ("recevable", ["LOT-02"]),
        "PIE-02": ("a_completer", ["PIE-02"]),
        "GRP-01": ("a_completer", ["GRP-01"]),
        "GRP-02": ("a_completer", ["GRP-02"]),
        "GRP-03": ("non_recevable", ["GRP-03", "GRP-04"]),
        "GRP-10": ("a_completer", ["GRP-10"]),
        "BUD-01": ("a_completer", ["BUD-01"]),
        "BUD-02": ("a_completer", ["BUD-02"]),
        "BUD-07": ("a_completer", ["BUD-07"]),
        "PLA-01": ("a_completer", ["PLA-01"]),
        "PLA-03": ("a_completer", ["PLA-03"]),
        "COH-01": ("a_completer", ["COH-01"]),
        "clean-limites-planning-national": ("recevable", []),
        "DEP-01-national": ("non_recevable", ["DEP-01"]),
        "DEP-02": ("non_recevable", ["DEP-02"]),
        "clean-redepot-2021": ("recevable", []),
        "conditions-non-remplies": ("a_completer", ["BUD-09", "DEP-05", "GRP-15", "GRP-16"]),
    },
    AMORCAGE: {
        "clean-amorcage": ("recevable", []),
        "clean-amorcage-30": ("recevable", []),
        "GRP-06-amorcage": ("a_completer", ["GRP-06"]),
        "GRP-07": ("non_recevable", ["GRP-07"]),
        "GRP-07-exclusion": ("non_recevable", ["GRP-06", "GRP-07"]),
        "GRP-11-amorcage": ("a_completer", ["GRP-11"]),
        "GRP-12": ("recevable", ["GRP-12"]),
        "GRP-12-49": ("recevable", ["GRP-12"]),
        "DEP-01": ("non_recevable", ["DEP-01"]),
        "GRP-01-finess-vide": ("a_completer", ["GRP-01", "GRP-03"]),
        "GRP-07-colonnes": ("a_completer", ["GRP-07"]),
        "conditions-non-remplies": ("a_completer", ["BUD-09", "DEP-05", "GRP-15", "GRP-16"]),
    },
    GRAND_EST: {
        "clean-grand-est": ("recevable", []),
        "clean-limites-grand-est": ("recevable", []),
        "clean-ahi-grand-est": ("recevable", []),
        "GRP-05-grand-est": ("a_completer", ["GRP-05"]),
        "GRP-06-grand-est": ("recevable", ["GRP-06"]),
        "BUD-04-grand-est": ("a_completer", ["BUD-04"]),
        "BUD-05-grand-est": ("a_completer", ["BUD-05"]),
        "LOT-01-deja-finance": ("a_completer", ["LOT-01"]),
        "DEP-01": ("non_recevable", ["DEP-01"]),
        "conditions-non-remplies": ("a_completer", ["BUD-09", "DEP-05", "GRP-15", "GRP-16"]),
    },
}
#: How many dossiers each call gets (every generic rule on both sides in each call).
for _cases in EXPECTED_CASES.values():
    _cases.update(REF_CASES)
SIZES = {REGIONAL: (45, 60), NATIONAL: (35, 50), AMORCAGE: (40, 55), GRAND_EST: (40, 55)}

#: Heading starts of the prose sections (extractors/sections.yaml): a short body line
#: starting with one of them would open a section of its own for a reader.
SECTION_STARTS = (
    "gouvernance",
    "deploiement",
    "strategie de deploiement",
    "plan de deploiement",
    "conduite du changement",
    "plan de conduite du changement",
    "accompagnement au changement",
    "accompagnement du changement",
    "pilotage du projet",
    "organisation du projet",
    "organisation et gouvernance",
)
HEADING = re.compile(
    r"^(?:(?:\d+\.|[IVX]+ -) )?(Gouvernance du projet|Stratégie de déploiement(?: envisagée)?|"
    r"(?:Plan de )?[Cc]onduite du changement)$"
)


# --------------------------------------------------------------------------- reading back


def norm(text: Any) -> str:
    return " ".join(str(text).split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


SYNONYMS = {
    kind: {f: {norm(s) for s in syns} for f, syns in spec["fields"].items()} for kind, spec in HEADERS["tables"].items()
}
FORM_LABELS = {key: {norm(s) for s in labels} for key, labels in HEADERS["form_labels"].items()}
#: The form's question on a project submitted to an earlier call and not selected (DEP-02): a
#: question of the call's form, not a table header (extractors/form.py, docs/calls.md).
FORM_LABELS["depot_anterieur_non_retenu"] = {"Projet déposé en 2021 et non retenu"}
# the vendor contract (DEP-05) and a European co-funding (BUD-09): questions of the call's form too
FORM_LABELS["date_signature_contrat_editeur"] = {norm("Date de signature du contrat avec l'éditeur")}
FORM_LABELS["cofinancement_fonds_europeens"] = {norm("Cofinancement par d'autres fonds européens (FEDER, FSE)")}
PARIS = ZoneInfo("Europe/Paris")
KEY_FIELD = {"budget_essms": "forfait_moa", "budget_lignes": "poste", "planning": "phase", "structures": "finess_et"}


def field_of(kind: str, header: str) -> str | None:
    return next((f for f, syns in SYNONYMS[kind].items() if header in syns), None)


def header_kind(cells: list[str]) -> str | None:
    texts = [c for c in cells if c]
    if len(texts) < 2:
        return None
    for kind, key in KEY_FIELD.items():
        if any(t in SYNONYMS[kind][key] for t in texts) and sum(field_of(kind, t) is not None for t in texts) >= 2:
            return kind
    return None


@dataclass
class Table:
    kind: str
    source: str
    headers: list[str]
    unknown_headers: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None


def find_tables(grid: list[list[Any]], source: str) -> list[Table]:
    tables, i = [], 0
    while i < len(grid):
        cells = [norm(c) if isinstance(c, str) else "" for c in grid[i]]
        kind = header_kind(cells)
        if kind is None:
            i += 1
            continue
        fields = [field_of(kind, c) if c else None for c in cells]
        table = Table(
            kind, source, [c for c in cells if c], [c for c, f in zip(cells, fields) if c and not f], [], None
        )
        j = i + 1
        while j < len(grid) and any(c not in (None, "") for c in grid[j]):
            row = grid[j]
            record = {f: (row[k] if k < len(row) else None) for k, f in enumerate(fields) if f}
            first = next((c for c in row if c not in (None, "")), None)
            if isinstance(first, str) and first.strip().lower().startswith("total"):
                table.total = record
            else:
                table.rows.append(record)
            j += 1
        tables.append(table)
        i = j
    return tables


@dataclass
class Dossier:
    numero: str
    path: Path
    files: dict[str, bytes]
    form: dict[str, Any] | None = None
    form_labels: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # key → text
    headings: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    short_lines: list[str] = field(default_factory=list)  # prose lines a reader could take for headings
    pdf_text: dict[str, str] = field(default_factory=dict)
    scans: list[str] = field(default_factory=list)  # pictures, and PDFs of pictures without text
    hidden_sheets: list[str] = field(default_factory=list)  # "file!sheet" of the hidden sheets, left unread

    def tables_of(self, kind: str) -> list[Table]:
        return [t for t in self.tables if t.kind == kind]

    def table(self, kind: str) -> Table | None:
        """The table of that kind; of two (an earlier version sent too), the one with most rows."""
        found = sorted(self.tables_of(kind), key=lambda t: -len(t.rows))
        assert len(found) <= 2, f"{self.numero}: {len(found)} {kind} tables"
        return found[0] if found else None


def section_key(heading: str) -> str:
    folded = fold(heading)
    return "gouvernance" if "gouvernance" in folded else "strategie" if "strategie" in folded else "conduite"


def _suspicious(line: str) -> bool:
    folded = fold(line)
    if HEADING.match(line) or len(line.split()) > 12 or line.rstrip().endswith((".", ",", ";")):
        return False
    return any(folded == s or folded.startswith(s + " ") for s in SECTION_STARTS)


def _read_prose_lines(d: Dossier, lines: list[tuple[str, bool]]) -> None:
    """(text, is_heading) lines → sections."""
    current = None
    for text, is_heading in lines:
        if is_heading:
            d.headings.append(text)
            current = section_key(text)
            d.sections[current] = ""
        else:
            if _suspicious(text):
                d.short_lines.append(text)
            if current:
                d.sections[current] += " " + text


def read_dossier(path: Path) -> Dossier:
    numero = path.name[:-4] if path.suffix == ".zip" else path.name
    if path.is_dir():
        files = {f.relative_to(path).as_posix(): f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file()}
    else:
        with zipfile.ZipFile(path) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
    d = Dossier(numero, path, files)
    for name, data in files.items():
        low = name.lower()
        if low.endswith("dossier.json"):
            d.form = json.loads(data.decode("utf-8"))
        elif low.endswith(".xlsx"):
            try:
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            except (zipfile.BadZipFile, OSError, KeyError):
                d.unreadable.append(name)
                continue
            for ws in wb.worksheets:
                if ws.sheet_state != "visible":  # not what the owner shows
                    d.hidden_sheets.append(f"{name}!{ws.title}")
                    continue
                d.tables += find_tables([list(r) for r in ws.iter_rows(values_only=True)], f"{name}!{ws.title}")
            wb.close()
        elif low.endswith(".csv"):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
            delimiter = ";" if text.count(";") > text.count(",") else ","
            grid = [[c or None for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
            d.tables += find_tables(grid, name)
        elif low.endswith((".jpg", ".jpeg", ".png")):
            d.scans.append(name)
        elif low.endswith(".pdf"):
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                lines, images = [], 0
                for page in pdf.pages:
                    for t in page.extract_tables():
                        d.tables += find_tables(t, name)
                    lines += [ln.strip() for ln in (page.extract_text() or "").splitlines() if ln.strip()]
                    images += len(page.images)
            d.pdf_text[name] = "\n".join(lines)
            if images and not lines:
                d.scans.append(name)
            if re.search(r"(^|/)export-\d+\.pdf$", name):
                d.form = _ds_form(d, lines)
            else:
                _read_prose_lines(d, [(ln, bool(HEADING.match(ln))) for ln in lines])
        elif low.endswith(".docx"):
            document = docx.Document(io.BytesIO(data))
            _read_prose_lines(d, [(p.text, p.style.name == "Heading 1") for p in document.paragraphs if p.text.strip()])
    return d


def _ds_form(d: Dossier, lines: list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for line in lines:
        label, sep, value = line.partition(" : ")
        for key, labels in FORM_LABELS.items():
            if sep and label in labels and key not in form:
                form[key] = value
                d.form_labels.append(label)
    porteur = {k.split(".", 1)[1]: form.pop(k) for k in list(form) if k.startswith("porteur.")}
    form["porteur"] = porteur
    return form


# --------------------------------------------------------------------------- values


def amount(value: Any) -> float:
    """Blank is 0; raises ValueError on what is not an amount."""
    if value in (None, ""):
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace("€", "").replace("EUR", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"\d+(,\d{2})?", text):
        return float(text.replace(",", "."))
    raise ValueError(value)


def finess(value: Any) -> str:
    return str(value).zfill(9) if isinstance(value, int) else norm(value)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def deposit_day(form: dict[str, Any]) -> dt.date:
    """The day of the deposit, in Paris (dossier.json gives a moment, the export a day)."""
    raw = str(form["date_depot"])
    return dt.datetime.fromisoformat(raw).astimezone(PARIS).date() if "T" in raw else day(raw)


def says_yes(value: Any) -> bool:
    return value is True or fold(str(value)) == "oui"


def day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.datetime.strptime(value, "%d/%m/%Y").date()


def project_type(text: Any) -> str | None:
    folded = fold(str(text or ""))
    return "acquisition" if "acqui" in folded else "mise_en_conformite" if "conformit" in folded else None


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+", text)


def says(text: str, phrases: list[str]) -> list[str]:
    """The phrases found in ``text``, as whole words, accents and case ignored."""
    folded = f" {fold(text)} "
    return [p for p in phrases if fold(p) and f" {fold(p)} " in folded]


def call_yaml(call_id: str) -> dict[str, Any]:
    """The call's configuration as plain values (a fresh copy: callers may change it)."""
    return copy.deepcopy(_call_yaml(call_id))


@functools.cache
def _call_yaml(call_id: str) -> dict[str, Any]:
    def value(node: Any) -> Any:
        if isinstance(node, dict):
            return node["value"] if "value" in node and "source" in node else {k: value(v) for k, v in node.items()}
        return node

    from core.config import SAFE_LOADER, inherit_programme

    path = ROOT / "calls" / f"{call_id}.yaml"
    return value(inherit_programme(yaml.load(path.read_bytes(), Loader=SAFE_LOADER), path)[0])


def category_code(text: Any) -> str | None:
    """A FINESS category code from a list cell: the code, the label, a known wording."""
    if text in (None, ""):
        return None
    raw = str(text).strip()
    head = raw.split()[0]
    if head.isdigit() and head in CATEGORY_REFERENCE["categories"]:
        return head
    folded = fold(raw)
    for code, spec in CATEGORY_REFERENCE["categories"].items():
        names = {fold(spec["label"])} | {fold(a) for a in spec.get("aliases", [])}
        if folded in names or folded.split()[0] in names:
            return str(code)
    return None


def repository_of(d: Dossier) -> dict[str, tuple[str, str]]:
    """The call's FINESS extract the generator wrote, read simply: FINESS ET → (category code,
    FINESS EJ) of every ``structureet`` line."""
    folder = d.path.parent.parent / "finess"
    if folder not in _EXTRACTS:
        [path] = folder.glob("etalab-cs1100507-*.csv")
        lines = path.read_text(encoding="utf-8").splitlines()
        assert re.fullmatch(r"finess;etalab;\d+;\d{4}-\d{2}-\d{2}", lines[0])
        rows = [r for r in csv.reader(lines[1:], delimiter=";") if r[0] == "structureet"]
        assert all(len(r) == 32 for r in rows)
        _EXTRACTS[folder] = {r[1]: (r[18], r[2]) for r in rows}
    return _EXTRACTS[folder]


_EXTRACTS: dict[Path, dict[str, tuple[str, str]]] = {}


def known(code: str | None) -> str | None:
    """A category code the reference lists (the repository may use others)."""
    return code if code in CATEGORY_REFERENCE["categories"] else None


def eligible(code: str | None, rules: dict[str, Any]) -> bool:
    """Unknown categories are counted (an alert, not an exclusion)."""
    if code is None:
        return True
    if code in rules["excluded_categories"]:
        return False
    if rules["eligible_categories"] is not None:
        return code in rules["eligible_categories"]
    return CATEGORY_REFERENCE["categories"][code]["sector"] in rules["eligible_sectors"]


# --------------------------------------------------------------------------- the oracle


@dataclass
class Listing:
    """The ESSMS list as the rules count it: identified rows, rows without FINESS, and the ESSMS
    kept (eligible category, inside the region of a regional call)."""

    ets: list[str]
    distinct: dict[str, dict[str, Any]]
    unidentified: list[dict[str, Any]]
    codes: dict[str, str | None]
    outside: set[str]
    kept: dict[str, dict[str, Any]]


def listing(d: Dossier, call: CallParams) -> Listing:
    rules = call_yaml(call.id)["eligibility"]
    structures = d.table("structures")
    rows = structures.rows if structures else []
    ets = [finess(r["finess_et"]) for r in rows if not blank(r.get("finess_et"))]
    distinct = {finess(r["finess_et"]): r for r in reversed(rows) if not blank(r.get("finess_et"))}
    unidentified = [r for r in rows if blank(r.get("finess_et"))]
    registered = repository_of(d)
    # the repository's category decides, where it knows the number (REF rules)
    codes = {
        et: known(registered[et][0]) if et in registered else category_code(r.get("categorie"))
        for et, r in distinct.items()
    }
    outside = {et for et in distinct if call.departments is not None and et[:2] not in call.departments}
    kept = {et: r for et, r in distinct.items() if eligible(codes[et], rules) and et not in outside}
    return Listing(ets, distinct, unidentified, codes, outside, kept)


def dui_words(text: Any) -> set[str]:
    """The distinctive words of a software's name: no « DUI », no version number."""
    return {w for w in fold(str(text or "")).split() if w != "dui" and not re.fullmatch(r"v?\d+(\.\d+)*", w)}


def ej(r: dict[str, Any]) -> str | None:
    return None if blank(r.get("finess_ej")) else finess(r["finess_ej"])


def oracle(d: Dossier, call: CallParams) -> dict[str, list[Any]]:
    """A simple reading of the rules the fixtures exercise: rule id → what triggers it."""
    found: dict[str, list[Any]] = {}
    raw = call_yaml(call.id)
    rules = raw["eligibility"]

    def hit(rule: str, detail: Any) -> None:
        found.setdefault(rule, []).append(detail)

    for name in d.unreadable:
        hit("PIE-02", name)
    structures, per_essms = d.table("structures"), d.table("budget_essms")
    lines, planning = d.table("budget_lignes"), d.table("planning")
    for kind, table in (("structures", structures), ("budget", per_essms or lines), ("planning", planning)):
        if table is None:
            hit("PIE-01", kind)
    for key in ("gouvernance", "strategie", "conduite"):
        if key not in d.sections:
            hit("PIE-01", key)
    if "PIE-01" in found:
        for name in d.scans:
            hit("PIE-03", name)
    for kind in ("structures", "budget_essms", "budget_lignes", "planning"):
        if len({t.source for t in d.tables_of(kind)}) > 1:
            hit("PIE-04", kind)
    for sheet in d.hidden_sheets:
        hit("PIE-05", sheet)
    for table in (per_essms, lines):
        for header in table.unknown_headers if table is not None else ():
            hit("PIE-06", header)

    form = d.form or {}
    deposit = deposit_day(form)
    if not call.opens <= deposit <= call.closes:
        hit("DEP-01", (deposit - call.closes).days)
    if (
        call.resubmission_closes is not None
        and says_yes(form.get("depot_anterieur_non_retenu"))
        and deposit > call.resubmission_closes
    ):
        hit("DEP-02", (deposit - call.resubmission_closes).days)
    signed = form.get("date_signature_contrat_editeur")
    dated = bool(signed) and re.fullmatch(r"\d{2}/\d{2}/\d{4}", str(signed)) is not None
    if dated and dt.datetime.strptime(str(signed), "%d/%m/%Y").date() < deposit:
        hit("DEP-05", signed)
    cofunding = fold(str(form.get("cofinancement_fonds_europeens") or ""))
    if re.search(r"\b(oui|feder|fse)\b", cofunding):
        hit("BUD-09", cofunding)
    grouping = listing(d, call)
    ets, distinct, codes, kept = grouping.ets, grouping.distinct, grouping.codes, grouping.kept
    registered = repository_of(d)
    declared = {et: category_code(r.get("categorie")) for et, r in distinct.items()}
    if structures:
        for r in structures.rows:
            for col in ("finess_et", "finess_ej"):
                if col not in r:
                    continue
                if blank(r[col]):
                    if col == "finess_et":  # a blank FINESS EJ is not asked for: a blank FINESS ET is
                        hit("GRP-01", None)
                elif not is_valid_finess(finess(r[col])):
                    hit("GRP-01", finess(r[col]))
        if not is_valid_finess(str(form["porteur"]["finess_ej"])):
            hit("GRP-01", form["porteur"]["finess_ej"])
        duplicates = sorted({x for x in ets if ets.count(x) > 1})
        if duplicates:
            hit("GRP-02", duplicates)
        n, unknown = len(kept), len(grouping.unidentified)
        if n < call.min_essms:  # bloquant, or an alerte when rows without FINESS could reach the minimum
            hit("GRP-03", n)
        if (call.channel == "regional" and n + unknown >= call.channel_threshold) or (
            call.channel == "national" and n < call.channel_threshold
        ):
            hit("GRP-04", n)
        for x in sorted(grouping.outside):
            hit("GRP-05", x)
        for et, code in codes.items():
            if not eligible(code, rules) or code is None:
                hit("GRP-06", (et, code, distinct[et].get("categorie")))
        for et, r in distinct.items():
            if not is_valid_finess(et):
                continue
            if et not in registered:
                hit("REF-01", et)
                continue
            code, registered_ej = registered[et]
            if eligible(codes[et], rules) and known(code) and r.get("categorie") and declared[et] != code:
                hit("REF-02", (et, declared[et], code))
            if eligible(codes[et], rules) and not blank(r.get("finess_ej")) and finess(r["finess_ej"]) != registered_ej:
                hit("REF-03", (et, finess(r["finess_ej"]), registered_ej))
        has_owners = any("finess_ej" in r or "organisme_gestionnaire" in r for r in structures.rows)
        owners = {ej(r) for r in kept.values()} - {None}
        if raw["grouping"]["min_og"] is not None and (not has_owners or len(owners) < raw["grouping"]["min_og"]):
            hit("GRP-07", len(owners) if has_owners else "colonnes")
        for et, r in distinct.items():
            if "type_projet" in r and not project_type(r["type_projet"]):
                hit("GRP-08", (et, "type_projet"))
            software = [r[c] for c in ("logiciel", "editeur") if c in r]
            if software and not any(software):
                hit("GRP-08", (et, "logiciel"))
        sectors = {CATEGORY_REFERENCE["categories"][codes[et]]["sector"] if codes[et] else None for et in kept}
        exempt = None not in sectors and sectors <= set(rules["segur_exempt_sectors"])
        form_type = project_type(form.get("type_projet"))
        for et, r in kept.items():
            moving = (
                project_type(r.get("type_projet")) or form_type
            ) == "mise_en_conformite"  # to a referenced version
            if fold(str(r.get("referencement_segur"))) == "non" and not exempt and not moving:
                hit("GRP-09", et)
        confort = any("confort" in fold(t) for t in list(d.sections.values()) + list(d.pdf_text.values()))
        for et, r in kept.items():
            if codes[et] in ("460", "209") and not r.get("part_essentielle") and not confort:
                hit("GRP-11", et)
        # GRP-15: one DUI per project; GRP-16: a SONS prestation Ségur ordered for another DUI
        duis: list[set[str]] = []
        for r in kept.values():
            key = dui_words(r.get("logiciel") or form.get("logiciel"))
            if key and not any(key <= k or k <= key for k in duis):
                duis.append(key)
        if len(duis) > 1:
            hit("GRP-15", duis)
        for et, r in distinct.items():
            sons = dui_words(r.get("dui_prestation_segur"))
            own = dui_words(r.get("logiciel") or form.get("logiciel"))
            if sons and sons not in ({"non"}, {"aucune"}, {"aucun"}) and own and not (sons <= own or own <= sons):
                hit("GRP-16", et)
        cap = raw["grouping"]["max_essms_counted"]
        if cap is not None and len(kept) > cap:
            hit("GRP-12", len(kept))
        declared = int(str(form["nb_essms_declare"]))
        listed_count = len(distinct) + len(grouping.unidentified)
        if declared != listed_count:
            hit("GRP-10", declared - listed_count)
        porteur = str(form["porteur"]["finess_ej"])
        name = fold(str(form["porteur"]["raison_sociale"]))
        with_ej = any("finess_ej" in r for r in structures.rows)
        if with_ej and porteur not in {ej(r) for r in distinct.values()} and "gcsms" not in name.split():
            hit("COH-02", porteur)

    types = {et: project_type(r.get("type_projet")) for et, r in distinct.items()}
    names = {
        "forfait_moa": "moa",
        "forfait_editeur": "editeur",
        "bonus_segur": "bonus_segur",
        "equipement": "equipement",
    }
    sites: dict[str, int] = {}
    for r in distinct.values():
        if ej(r) is not None:
            sites[ej(r)] = sites.get(ej(r), 0) + 1
    if per_essms:
        columns: dict[str, float] = {}
        retained: set[str] = set()  # the national tier counts the ESSMS retained, not the budget's rows
        for index, r in enumerate(per_essms.rows, start=1):
            et = None if blank(r["finess_et"]) else finess(r["finess_et"])
            rank = index
            if et is not None and et not in retained and (et in kept or structures is None):
                retained.add(et)
                rank = len(retained)
            ptype = project_type(r.get("type_projet")) or types.get(et) or "acquisition"
            ceilings = call.ceilings(ptype, rank)
            values, readable = {}, True
            for col, cname in names.items():
                if col not in r:
                    continue
                try:
                    values[col] = amount(r[col])
                except ValueError:
                    hit("BUD-01", (et, col, r[col]))
                    readable = False
                    continue
                columns[col] = columns.get(col, 0.0) + values[col]
                if col != "equipement" and values[col] > ceilings[cname]:
                    hit("BUD-03", (rank, et, col, values[col], ceilings[cname]))
            columns["total_essms"] = columns.get("total_essms", 0.0) + amount(r["total_essms"])
            if readable and abs(amount(r["total_essms"]) - sum(values.values())) > 1:
                hit("BUD-02", (et, "total_essms"))
            listed = distinct.get(et)
            if (
                values.get("bonus_segur")
                and listed is not None
                and fold(str(listed.get("referencement_segur"))) == "non"
            ):
                hit("BUD-04", (et, values["bonus_segur"]))
            if values.get("equipement") and listed is not None:
                og_sites = sites.get(ej(listed), 0)  # an organisme the list does not give counts as small
                if og_sites >= call.small_og_max_sites or values["equipement"] > call.equipment_ceiling:
                    hit("BUD-05", (et, values["equipement"], og_sites))
        for col, value in (per_essms.total or {}).items():
            if col in columns and abs(amount(value) - columns[col]) > 1:
                hit("BUD-02", ("Total", col, amount(value) - columns[col]))
        listed_ets = set(ets)
        budgeted = {finess(r["finess_et"]) for r in per_essms.rows if not blank(r["finess_et"])}
        if structures and listed_ets != budgeted:
            hit("COH-01", sorted(listed_ets ^ budgeted))
    if lines:
        sums: dict[str, float] = {}
        amoa: dict[str, float] = {}
        for r in lines.rows:
            for col in ("montant_ttc", "financement_demande", "autofinancement"):
                sums[col] = sums.get(col, 0.0) + amount(r.get(col))
            label = f" {fold(str(r['poste']))} "
            if " amoa " in label:
                kind = (
                    "procedure"
                    if any(w in label for w in (" marche", " procedure", " achat", " consultation"))
                    else "pilotage"
                )
                amoa[kind] = amoa.get(kind, 0.0) + amount(r.get("financement_demande"))
        for col, value in (lines.total or {}).items():
            if col in sums and abs(amount(value) - sums[col]) > 1:
                hit("BUD-02", ("Total", col))
        declared_amount = amount(form["montant_demande"])
        if abs(declared_amount - sums["financement_demande"]) > 1:
            hit("BUD-07", declared_amount - sums["financement_demande"])
        ceilings = {"procedure": call.amoa_procurement_ceiling, "pilotage": call.amoa_steering_ceiling}
        for kind, total in amoa.items():
            if total > ceilings[kind]:
                hit("BUD-06", (kind, total))
    if planning:
        key_phases = raw["planning"]["key_phases"]
        starts: dict[str, list[dt.date]] = {label: [] for label in key_phases}
        listed_numbers = set(distinct) | {ej(r) for r in distinct.values()}
        for r in planning.rows:
            start, end = day(r["date_debut"]), day(r["date_fin"])
            if end < start:
                hit("PLA-01", r["phase"])
            if max(start, end) > call.window_end:
                hit("PLA-03", (r["phase"], max(start, end)))
            text = f"{r['phase']} {r.get('livrable') or ''}"
            for label, phrases in key_phases.items():
                if any(f" {fold(w)}" in f" {fold(text)} " for w in phrases):
                    starts[label].append(start)
            for cell in (r.get("phase"), r.get("livrable"), r.get("perimetre")):
                for token in re.findall(r"\b\d{9}\b", str(cell or "")):
                    if token not in listed_numbers:
                        hit("COH-03", token)
        for label, found_starts in starts.items():
            if not found_starts:
                hit("PLA-02", label)
        deploy, usage = starts[raw["planning"]["deployment_phase"]], starts[raw["planning"]["usage_phase"]]
        if deploy and usage and min(usage) < min(deploy):
            hit("PLA-04", (min(usage), min(deploy)))
    prose = raw["prose"]
    for key, text in d.sections.items():
        if len(words(text)) < prose["min_words"] or says(text, prose["placeholders"]):
            hit("PRO-01", (key, len(words(text)), says(text, prose["placeholders"])))
    if "gouvernance" in d.sections:
        gov = d.sections["gouvernance"]
        named = re.search(r"\b(M\.|Mme) [A-ZÉÈ][\w'-]+ [A-ZÉÈ][\w'-]+", gov)
        if not says(gov, prose["lead_words"]) or not says(gov, prose["committee_words"]) or not named:
            hit("PRO-02", "gouvernance")
    if "conduite" in d.sections:
        change = d.sections["conduite"]
        if not says(change, prose["training_words"]) or not says(change, prose["usage_words"]):
            hit("PRO-03", "conduite")
    if "strategie" in d.sections and not says(d.sections["strategie"], prose["services_socles"]):
        hit("PRO-04", "strategie")
    return found


def call_oracle(dossiers: dict[str, Dossier], call: CallParams) -> dict[str, dict[str, list[Any]]]:
    """The LOT rules over a call's dossiers: numero → rule → details. An ESSMS shared with an
    earlier dossier, or already funded, is excluded from the later dossier, which is then
    judged on what remains: GRP-03 when too few ESSMS remain."""
    found: dict[str, dict[str, list[Any]]] = {}
    facts = {}
    excluded: dict[str, set[str]] = {}
    kept_count = {}
    for numero, d in dossiers.items():
        grouping = listing(d, call)
        ets = set(grouping.kept)  # an ESSMS excluded by the dossier's own rules is not funded: no double funding
        kept_count[numero] = len(grouping.kept)
        facts[numero] = (ets, str(d.form["porteur"]["finess_ej"]), deposit_day(d.form))
        for et in sorted(ets & set(call.previously_funded)):
            found.setdefault(numero, {}).setdefault("LOT-01", []).append(("déjà financé", et))
            excluded.setdefault(numero, set()).add(et)
    numbers = sorted(facts)
    resubmitted = set()
    for i, a in enumerate(numbers):
        for b in numbers[i + 1 :]:
            (ea, pa, _), (eb, pb, _) = facts[a], facts[b]
            if pa == pb and ea and eb and len(ea & eb) >= 0.5 * min(len(ea), len(eb)):
                resubmitted.add(frozenset((a, b)))
                for x, y in ((a, b), (b, a)):
                    found.setdefault(x, {}).setdefault("LOT-02", []).append((y, len(ea & eb)))
    for i, a in enumerate(numbers):
        for b in numbers[i + 1 :]:
            shared = facts[a][0] & facts[b][0]
            if shared and frozenset((a, b)) not in resubmitted:
                later = a if facts[a][2] > facts[b][2] else b
                excluded.setdefault(later, set()).update(shared)
                for x, y in ((a, b), (b, a)):
                    found.setdefault(x, {}).setdefault("LOT-01", []).append(
                        (y, sorted(shared), "a_corriger" if x == later else "alerte")
                    )
    for numero, gone in excluded.items():
        if kept_count[numero] >= call.min_essms > kept_count[numero] - len(gone):
            found[numero].setdefault("GRP-03", []).append(kept_count[numero] - len(gone))
    return found


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    out = tmp_path_factory.mktemp("fixtures")
    return out, generate(out, seed=SEED)


@pytest.fixture(scope="module")
def dossiers(fixture_run) -> dict[str, dict[str, tuple[Dossier, dict]]]:
    out, results = fixture_run
    loaded: dict[str, dict[str, tuple[Dossier, dict]]] = {}
    for call_id, expected in results.items():
        loaded[call_id] = {}
        for entry in sorted((out / call_id / "dossiers").iterdir()):
            d = read_dossier(entry)
            loaded[call_id][d.numero] = (d, expected["dossiers"][d.numero])
    return loaded


def _all(dossiers, clean: bool | None = None):
    for call_id, items in dossiers.items():
        for _numero, (d, exp) in items.items():
            if clean is None or (exp["rules"] == []) == clean:
                yield load_call(call_id), d, exp


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- tests


def test_generation_is_deterministic(fixture_run, tmp_path):
    out, results = fixture_run
    again = generate(tmp_path, seed=SEED)
    assert again == results
    first, second = _files(out), _files(tmp_path)
    assert sorted(first) == sorted(second)
    for name in first:
        if name.endswith((".csv", ".json")):
            assert first[name] == second[name], name
    # the other formats are reproducible too: fixed document dates and zip timestamps
    assert first == second


def test_another_seed_gives_other_dossiers(fixture_run, tmp_path):
    out, _ = fixture_run
    generate(tmp_path, seed=SEED + 1, calls=[REGIONAL], only=["clean-workbook"])
    name = "ars-ara-2022-regional/dossiers/2022-ARA-0001/dossier.json"
    assert (out / name).read_bytes() != (tmp_path / name).read_bytes()


def test_expected_json_lists_every_case(fixture_run):
    out, results = fixture_run
    assert set(results) == set(DEFAULT_CALLS) == set(EXPECTED_CASES)
    for call_id, cases in EXPECTED_CASES.items():
        expected = json.loads((out / call_id / "expected.json").read_text(encoding="utf-8"))
        assert expected == results[call_id] and expected["call"] == call_id
        by_case = {item["case"]: item for item in expected["dossiers"].values()}
        assert len(by_case) == len(expected["dossiers"])
        for case, (verdict, rules) in cases.items():
            assert by_case[case]["verdict"] == verdict and by_case[case]["rules"] == rules, case
        low, high = SIZES[call_id]
        assert low <= len(expected["dossiers"]) <= high, (call_id, len(expected["dossiers"]))
        for numero, item in expected["dossiers"].items():
            assert re.fullmatch(rf"{NUMERO[call_id]}-\d{{4}}", numero)
            assert item["rules"] == sorted(set(item["rules"]))
            assert item["verdict"] in ("recevable", "a_completer", "non_recevable")
            if item["verdict"] == "recevable":  # nothing, or alerts only
                assert set(item["rules"]) <= ALERT_RULES | {"LOT-01", "GRP-06"}, (numero, item)
            else:
                assert item["rules"], numero
            assert item["description"].endswith(".") and len(item["description"].split()) >= 6
            assert "{" not in item["description"], item["description"]
            entry = out / call_id / "dossiers"
            assert (entry / numero).is_dir() or (entry / f"{numero}.zip").is_file()
    # every rule id raised by a dossier of a call is also the subject of a near miss there
    for call_id, expected in results.items():
        clean = [i for i in expected["dossiers"].values() if i["rules"] == []]
        assert len(clean) >= 2, call_id


def test_earlier_cases_keep_their_numbers(fixture_run):
    """Cases are appended: the dossiers of the first catalogue keep their numbers."""
    _, results = fixture_run
    first = [
        "clean-workbook",
        "PIE-01",
        "GRP-03",
        "clean-separate-csv",
        "GRP-01",
        "BUD-02",
        "clean-zip",
        "GRP-02",
        "BUD-01",
        "clean-ds",
        "GRP-04-regional",
        "BUD-03",
        "GRP-05",
        "clean-pdf-structures",
        "PIE-02",
        "GRP-10",
        "BUD-07",
        "clean-zip-nested-utf8",
        "PLA-01",
        "PLA-03",
        "COH-01",
    ]
    national = [
        "clean-national-55",
        "GRP-04-national",
        "BUD-03-national",
        "clean-national-50-zip",
        "clean-national-60-corse",
        "clean-national-pdf-prose",
    ]
    for call_id, cases, code in ((REGIONAL, first, "2022-ARA"), (NATIONAL, national, "2022-NAT")):
        dossiers = results[call_id]["dossiers"]
        for index, case in enumerate(cases, start=1):
            assert dossiers[f"{code}-{index:04d}"]["case"] == case


def test_each_dossier_plants_exactly_its_faults(dossiers):
    for call_id, items in dossiers.items():
        call = load_call(call_id)
        lots = call_oracle({numero: d for numero, (d, _) in items.items()}, call)
        for numero, (d, exp) in items.items():
            found = oracle(d, call)
            found.update(lots.get(numero, {}))
            assert sorted(found) == exp["rules"], (d.numero, exp["case"], found)


def test_cross_dossier_cases_have_the_intended_partner(dossiers):
    for call_id, items in dossiers.items():
        call = load_call(call_id)
        lots = call_oracle({numero: d for numero, (d, _) in items.items()}, call)
        by_case = {exp["case"]: numero for numero, (_, exp) in items.items()}
        for numero, rules in lots.items():
            case = items[numero][1]["case"]
            if "LOT-01" in rules and case == "LOT-01-deja-finance":
                assert rules["LOT-01"] == [("déjà financé", call.previously_funded[0])]
            elif "LOT-01" in rules:
                for other, shared, severity in rules["LOT-01"]:
                    assert len(shared) == 1
                    pair = {case, items[other][1]["case"]}
                    [first] = [c for c in pair if c.startswith("LOT-01-premier")]
                    [second] = pair - {first}
                    assert second.startswith(("LOT-01-second", "LOT-01-minimum"))
                    assert severity == ("alerte" if case.startswith("LOT-01-premier") else "a_corriger")
                assert len(rules["LOT-01"]) == (
                    1
                    if not case.startswith("LOT-01-premier")
                    else sum(
                        c.startswith(("LOT-01-second", "LOT-01-minimum"))
                        and c.endswith("-national") == case.endswith("-national")
                        for c in by_case
                    )
                )
            if "LOT-02" in rules:
                [(other, common)] = rules["LOT-02"]
                assert {case, items[other][1]["case"]} in (
                    {"LOT-02-premier", "LOT-02-redepot"},
                    {"LOT-02-premier-national", "LOT-02-redepot-national"},
                )
                first = by_case[min(case, items[other][1]["case"])]
                assert common == len(items[first][0].table("structures").rows) - 1  # one ESSMS left
        for case in ("LOT-01-premier", "LOT-01-second", "LOT-01-minimum", "LOT-02-premier", "LOT-02-redepot"):
            for suffix in ("", "-national"):
                if case + suffix in by_case:
                    d = items[by_case[case + suffix]][0]
                    raw = str(d.form["date_depot"])
                    when = dt.datetime.fromisoformat(raw).date() if "T" in raw else day(raw)
                    before = (call.closes - when).days
                    expected = {
                        "LOT-01-premier": LOT01_FIRST_DAYS,
                        "LOT-01-second": LOT01_SECOND_DAYS,
                        "LOT-01-minimum": LOT01_THIRD_DAYS,
                    }.get(case)
                    if expected is not None:
                        assert before == expected, (case, before)
                    elif case == "LOT-02-redepot":
                        first = items[by_case["LOT-02-premier" + suffix]][0]
                        raw = str(first.form["date_depot"])
                        then = dt.datetime.fromisoformat(raw).date() if "T" in raw else day(raw)
                        assert (when - then).days in (LOT02_DELAY_DAYS - 1, LOT02_DELAY_DAYS, LOT02_DELAY_DAYS + 1)


def test_planted_faults_have_the_intended_size(dossiers):
    for call, d, exp in _all(dossiers, clean=False):
        found = oracle(d, call)
        case = exp["case"]
        moa = call.forfaits["acquisition"]["moa"]
        if case == "GRP-03":
            assert found["GRP-03"] == [call.min_essms - 3]
        elif case == "GRP-04-regional":
            assert found["GRP-04"] == [call.channel_threshold + 2]
        elif case == "GRP-04-national":
            assert found["GRP-04"] == [30]
        elif case == "GRP-10":
            assert found["GRP-10"] == [2]
        elif case == "BUD-07":
            assert found["BUD-07"] == [MONTANT_ERROR]
        elif case == "BUD-02":
            assert found["BUD-02"] == [("Total", "forfait_moa", STALE_TOTAL_ERROR)]
        elif case == "BUD-03":
            [(rank, _, column, value, ceiling)] = found["BUD-03"]
            assert (column, value, ceiling) == ("forfait_moa", moa[0] + MOA_EXCESS, moa[0])
        elif case == "BUD-03-national":
            [(rank, _, column, value, ceiling)] = found["BUD-03"]
            assert (rank, column, value, ceiling) == (52, "forfait_moa", moa[0], moa[1])
        elif case == "BUD-01":
            [(_, column, raw)] = found["BUD-01"]
            assert raw == "à préciser"
        elif case == "GRP-01":
            [bad] = found["GRP-01"]
            assert bad in {finess(r["finess_et"]) for r in d.table("budget_essms").rows}
        elif case == "GRP-02":
            assert len(found["GRP-02"]) == 1 and len(found["GRP-02"][0]) == 1
        elif case == "GRP-05":
            [paris] = found["GRP-05"]
            assert paris.startswith("75") and is_valid_finess(paris)
        elif case == "GRP-05-grand-est":
            [lyon] = found["GRP-05"]
            assert lyon.startswith("69") and is_valid_finess(lyon)
        elif case == "COH-01":
            assert len(found["COH-01"][0]) == 1
        elif case == "PLA-01":
            assert len(found["PLA-01"]) == 1
        elif case == "PLA-03":
            [(_, end)] = found["PLA-03"]
            assert end == dt.date(call.window_end.year + 1, 6, 30)
        elif case == "PIE-01":
            assert found["PIE-01"] == ["planning"]
        elif case == "PIE-02":
            assert found["PIE-02"] == ["annexe_convention.xlsx"]
        elif case == "PIE-03":
            assert found["PIE-01"] == ["planning"] and [n.rsplit("/", 1)[-1][:14] for n in found["PIE-03"]] == [
                "Planning signé"
            ]
        elif case == "PIE-03-national":
            assert found["PIE-01"] == ["structures"] and found["PIE-03"] == ["liste des structures.jpg"]
        elif case in ("PIE-04", "PIE-04-national"):
            assert found["PIE-04"] == (["planning"] if case == "PIE-04" else ["budget_essms"])
        elif case == "GRP-06":
            assert sorted(code for _, code, _ in found["GRP-06"]) == ["355", "362"]
            assert found["GRP-03"] == [call.min_essms - 1]
        elif case == "GRP-06-national":
            assert [code for _, code, _ in found["GRP-06"]] == ["362"]
            assert len(d.table("structures").rows) == call.channel_threshold + 1
            # the ESSMS of the first reduced-tier row becomes the last of the first tier
            [(rank, _, column, value, ceiling)] = found["BUD-03"]
            bonus = call.forfaits["acquisition"]["bonus_segur"]
            assert (rank, column, value, ceiling) == (call.tier_from_rank - 1, "bonus_segur", bonus[1], bonus[0])
        elif case == "GRP-06-amorcage":
            assert sorted(code for _, code, _ in found["GRP-06"]) == ["246", "446"]
            assert len(d.table("structures").rows) == call.max_essms_counted + 2
        elif case == "GRP-06-grand-est":
            [(_, code, text)] = found["GRP-06"]
            assert code is None and text == "Plateforme de répit"
        elif case in ("DEP-01", "DEP-01-national"):
            assert found["DEP-01"] == [LATE_DAYS]
        elif case == "DEP-02":
            [days] = found["DEP-02"]
            assert days > 0 and deposit_day(d.form) <= call.closes
        elif case == "GRP-01-finess-vide":
            assert found["GRP-01"] == [None] and found["GRP-03"] == [call.min_essms - 1]
            assert sum(blank(r["finess_et"]) for r in d.table("budget_essms").rows) == 1
        elif case == "GRP-05-minimum":
            [paris] = found["GRP-05"]
            assert paris.startswith("75") and found["GRP-03"] == [call.min_essms - 1]
        elif case == "GRP-07-colonnes":
            assert found["GRP-07"] == ["colonnes"]
        elif case in ("GRP-07", "GRP-07-exclusion"):
            assert found["GRP-07"] == [call.min_og - 1]
            if case == "GRP-07-exclusion":
                assert [code for _, code, _ in found["GRP-06"]] == ["246", "246"]
        elif case == "GRP-12":
            assert found["GRP-12"] == [call.max_essms_counted + 1]
        elif case == "GRP-12-49":
            assert found["GRP-12"] == [call.channel_threshold - 1]
        elif case.startswith("GRP-08"):
            [(_, column)] = found["GRP-08"]
            assert column == ("type_projet" if case.endswith("national") else "logiciel")
        elif case.startswith("GRP-09"):
            [et] = found["GRP-09"]
            if max(call.forfaits["acquisition"]["bonus_segur"]) == 0:  # amorçage: no Ségur bonus
                assert "BUD-04" not in found
            else:
                [(bonus_et, bonus)] = found["BUD-04"]
                assert bonus_et == et and bonus in call.forfaits["acquisition"]["bonus_segur"]
        elif case == "BUD-04-grand-est":
            [(_, bonus)] = found["BUD-04"]
            assert bonus == call.forfaits["acquisition"]["bonus_segur"][0]
        elif case.startswith("GRP-11"):
            [et] = found["GRP-11"]
            code = category_code(
                next(r for r in d.table("structures").rows if finess(r["finess_et"]) == et)["categorie"]
            )
            assert code == ("460" if case == "GRP-11" else "209")
        elif case == "BUD-05":
            [(_, value, sites)] = found["BUD-05"]
            assert value == call.equipment_ceiling + EQUIPMENT_EXCESS and sites < call.small_og_max_sites
        elif case in ("BUD-05-national", "BUD-05-grand-est"):
            [(_, value, sites)] = found["BUD-05"]
            assert (value, sites) == (EQUIPMENT_LARGE_OG, call.small_og_max_sites)
        elif case == "BUD-06":
            assert found["BUD-06"] == [("pilotage", call.amoa_steering_ceiling + AMOA_STEERING_EXCESS)]
        elif case == "BUD-06-national":
            assert found["BUD-06"] == [("procedure", call.amoa_procurement_ceiling + AMOA_PROCUREMENT_EXCESS)]
        elif case.startswith("PLA-02"):
            assert found["PLA-02"] == (["cibles d'usage"] if case == "PLA-02" else ["formation"])
        elif case.startswith("PLA-04"):
            [(usage, deploy)] = found["PLA-04"]
            assert usage < deploy
        elif case == "PRO-01":
            [(key, count, placeholders)] = found["PRO-01"]
            assert key == "strategie" and count < call.words("min_words") and not placeholders
        elif case == "PRO-01-national":
            [(key, count, placeholders)] = found["PRO-01"]
            assert key == "conduite" and count >= call.words("min_words") and placeholders == ["a completer"]
        elif case.startswith("COH-02"):
            [porteur] = found["COH-02"]
            assert is_valid_finess(porteur)
        elif case.startswith("COH-03"):
            [ghost] = found["COH-03"]
            assert is_valid_finess(ghost)


def test_near_misses_sit_at_the_limits(dossiers):
    """Each near-miss dossier is as close to its rules as its description says."""
    by_case = {(call.id, exp["case"]): (call, d) for call, d, exp in _all(dossiers)}

    def og_sites(structures: Table) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in structures.rows:
            counts[finess(r["finess_ej"])] = counts.get(finess(r["finess_ej"]), 0) + 1
        return counts

    for call_id, case, partner in (
        (REGIONAL, "clean-limites-budget", "clean-workbook"),
        (NATIONAL, "clean-limites-national", "clean-national-55"),
    ):
        call, d = by_case[(call_id, case)]
        structures, per_essms, lines = d.table("structures"), d.table("budget_essms"), d.table("budget_lignes")
        rows = {finess(r["finess_et"]): r for r in structures.rows}
        sites = og_sites(structures)
        at_ceiling = [r for r in per_essms.rows if amount(r["equipement"]) == call.equipment_ceiling]
        assert (
            sorted(sites[finess(rows[finess(r["finess_et"])]["finess_ej"])] for r in at_ceiling)[-1]
            == call.small_og_max_sites - 1
        )
        assert min(sites[finess(rows[finess(r["finess_et"])]["finess_ej"])] for r in at_ceiling) <= 3
        amoa = {norm(r["poste"]): amount(r["financement_demande"]) for r in lines.rows if "AMOA" in str(r["poste"])}
        assert sorted(amoa.values()) == [call.amoa_procurement_ceiling, call.amoa_steering_ceiling]
        saad = [r for r in structures.rows if category_code(r["categorie"]) == "460"]
        assert len(saad) == 1 and saad[0]["part_essentielle"]
        assert any(not r["logiciel"] and r["editeur"] for r in structures.rows)
        assert any(len(str(r["categorie"]).split()) >= 3 and category_code(r["categorie"]) for r in structures.rows)
        planning_numbers = {n for r in d.table("planning").rows for n in re.findall(r"\b\d{9}\b", str(r["livrable"]))}
        assert planning_numbers and planning_numbers <= set(rows)
        other = by_case[(call_id, partner)][1]
        assert str(d.form["porteur"]["finess_ej"]) == str(other.form["porteur"]["finess_ej"])
        assert not set(rows) & {finess(r["finess_et"]) for r in other.table("structures").rows}
        assert {t.kind for t in d.tables} >= {"budget_lignes", "budget_essms"}
        assert len({t.source for t in d.tables if t.kind.startswith("budget")}) == 2

    call, d = by_case[(REGIONAL, "clean-ahi-pjm")]
    structures = d.table("structures")
    assert {category_code(r["categorie"]) for r in structures.rows} <= {"214", "443", "442", "340"}
    assert all(fold(str(r["referencement_segur"])) == "non" for r in structures.rows)
    assert all(amount(r["bonus_segur"]) == 0 for r in d.table("budget_essms").rows)
    assert "gcsms" in fold(d.form["porteur"]["raison_sociale"]).split()
    assert str(d.form["porteur"]["finess_ej"]) not in {finess(r["finess_ej"]) for r in structures.rows}
    for call_id, case in ((REGIONAL, "clean-ahi-pjm"), (NATIONAL, "clean-limites-national")):
        call, d = by_case[(call_id, case)]
        phases = d.table("planning").rows
        usage = next(r for r in phases if "cibles d usage" in fold(str(r["livrable"])))
        assert "usage" not in fold(str(usage["phase"]))
        first_deployment = min(day(r["date_debut"]) for r in phases if "deploiement" in fold(str(r["phase"])))
        assert day(usage["date_debut"]) == first_deployment
        prose = call_yaml(call_id)["prose"]
        assert says(d.sections["gouvernance"], prose["committee_words"]) == ["copil"]
        assert says(d.sections["strategie"], prose["services_socles"]) == ["messagerie sécurisée"]
        change = d.sections["conduite"]
        assert prose["min_words"] <= len(words(change)) <= prose["min_words"] + 10
        assert says(change, prose["training_words"]) == ["former"]
        assert says(change, prose["usage_words"]) == ["taux d'usage"]
        assert len(d.scans) == 1 and "Lettre" in d.scans[0]

    call, d = by_case[(AMORCAGE, "clean-amorcage")]
    assert len(og_sites(d.table("structures"))) == call.min_og
    assert d.form["date_depot"].endswith("+01:00")
    for case, count in (("clean-amorcage-30", 30), ("GRP-06-amorcage", 30)):
        call, d = by_case[(AMORCAGE, case)]
        rules = call_yaml(AMORCAGE)["eligibility"]
        kept = [r for r in d.table("structures").rows if eligible(category_code(r["categorie"]), rules)]
        assert len(kept) == count == call.max_essms_counted
    call, d = by_case[(AMORCAGE, "clean-amorcage-30")]
    assert [r["part_essentielle"] for r in d.table("structures").rows if category_code(r["categorie"]) == "209"]

    call, d = by_case[(GRAND_EST, "clean-grand-est")]
    funded = call.previously_funded[0]
    assert funded in d.sections["strategie"] and funded not in {
        finess(r["finess_et"]) for r in d.table("structures").rows
    }
    call, d = by_case[(GRAND_EST, "clean-limites-grand-est")]
    sites = og_sites(d.table("structures"))
    rows = {finess(r["finess_et"]): r for r in d.table("structures").rows}
    [equipped] = [r for r in d.table("budget_essms").rows if amount(r["equipement"])]
    assert amount(equipped["equipement"]) == call.equipment_ceiling
    assert sites[finess(rows[finess(equipped["finess_et"])]["finess_ej"])] == call.small_og_max_sites - 1
    call, d = by_case[(NATIONAL, "clean-limites-planning-national")]
    [bilan] = [r for r in d.table("planning").rows if "bilan" in fold(str(r["phase"]))]
    assert day(bilan["date_debut"]) == day(bilan["date_fin"]) == call.window_end
    call, d = by_case[(GRAND_EST, "clean-ahi-grand-est")]
    assert all(fold(str(r["referencement_segur"])) == "non" for r in d.table("structures").rows)

    # DEP-01: deposited on the closing day, in its last half hour (Paris time)
    call, d = by_case[(REGIONAL, "clean-depot-derniere-minute")]
    moment = dt.datetime.fromisoformat(d.form["date_depot"]).astimezone(PARIS)
    assert moment.date() == call.closes and moment.time() >= dt.time(23, 30)
    # GRP-09: the versions in place of the ESSMS in mise en conformité are not referenced
    call, d = by_case[(REGIONAL, "clean-mise-en-conformite")]
    moving = [r for r in d.table("structures").rows if project_type(r["type_projet"]) == "mise_en_conformite"]
    assert moving and all(fold(str(r["referencement_segur"])) == "non" for r in moving)
    assert any(project_type(r["type_projet"]) == "acquisition" for r in d.table("structures").rows)
    # DEP-02: a project not selected in 2021, deposited before its date
    call, d = by_case[(NATIONAL, "clean-redepot-2021")]
    assert d.form["depot_anterieur_non_retenu"] is True
    assert call.opens <= deposit_day(d.form) <= call.resubmission_closes


def test_clean_dossiers_finess_are_valid_and_in_the_region(dossiers):
    for call, d, _exp in _all(dossiers, clean=True):
        structures, budget = d.table("structures"), d.table("budget_essms")
        numbers = [finess(r[c]) for r in structures.rows for c in ("finess_et", "finess_ej") if c in r]
        numbers += [finess(r["finess_et"]) for r in budget.rows] + [str(d.form["porteur"]["finess_ej"])]
        assert numbers and all(is_valid_finess(x) for x in numbers), d.numero
        ets = [finess(r["finess_et"]) for r in structures.rows]
        if call.departments is not None:
            assert all(x[:2] in call.departments for x in ets), d.numero
            assert call.min_essms <= len(set(ets)) < call.channel_threshold
        else:
            assert len(set(ets)) >= call.channel_threshold
            assert len({x[:2] for x in ets}) >= 5, "a national grouping spans several départements"
        for r in structures.rows:
            if "departement" in r:
                assert finess(r["finess_et"]).startswith(str(r["departement"]))
        owners = {finess(r["finess_ej"]) for r in structures.rows if "finess_ej" in r}
        if owners:
            gcsms = "gcsms" in fold(d.form["porteur"]["raison_sociale"]).split()
            assert gcsms or str(d.form["porteur"]["finess_ej"]) in owners
            assert max(2, call.min_og or 2) <= len(owners) <= 4


def test_every_header_is_a_known_synonym(dossiers):
    seen: dict[str, set[str]] = {}
    for _, d, _ in _all(dossiers):
        for table in d.tables:
            # the one header no synonym names on purpose: PIE-06's column
            unknown = [h for h in table.unknown_headers if h != norm("Valorisation du temps interne (€)")]
            assert not unknown, (d.numero, table.source, table.unknown_headers)
            for header in table.headers:
                seen.setdefault(f"{table.kind}.{field_of(table.kind, header)}", set()).add(header)
        for label in d.form_labels:
            assert any(label in labels for labels in FORM_LABELS.values())
    # spellings vary between dossiers
    assert sum(len(v) > 1 for v in seen.values()) >= 8, seen


def test_clean_budgets_within_ceilings_and_consistent(dossiers):
    for call, d, _exp in _all(dossiers, clean=True):
        structures, per_essms, lines = d.table("structures"), d.table("budget_essms"), d.table("budget_lignes")
        types = {finess(r["finess_et"]): project_type(r["type_projet"]) for r in structures.rows}
        segur = {finess(r["finess_et"]): fold(str(r["referencement_segur"])) == "oui" for r in structures.rows}
        row_totals = 0.0
        for rank, r in enumerate(per_essms.rows, start=1):
            ptype = types[finess(r["finess_et"])]
            c = call.ceilings(ptype, rank)
            moa, edi = amount(r["forfait_moa"]), amount(r["forfait_editeur"])
            bonus, equip = amount(r["bonus_segur"]), amount(r["equipement"])
            assert 0 < moa <= c["moa"] and edi <= c["editeur"] and bonus <= c["bonus_segur"]
            assert equip <= call.equipment_ceiling
            if ptype == "mise_en_conformite":
                assert edi == bonus == 0
            if not segur[finess(r["finess_et"])]:
                assert bonus == 0
            if call.tier_from_rank and rank >= call.tier_from_rank:
                assert moa <= call.forfaits[ptype]["moa"][1]
            assert amount(r["total_essms"]) == moa + edi + bonus + equip
            row_totals += moa + edi + bonus + equip
        assert amount(per_essms.total["total_essms"]) == row_totals
        by_label = {norm(r["poste"]): r for r in lines.rows}
        amoa = amount(by_label.get("AMOA pilotage du projet", {}).get("financement_demande"))
        procurement = amount(
            by_label.get("AMOA accompagnement à la procédure de marché", {}).get("financement_demande")
        )
        assert amoa <= call.amoa_steering_ceiling and procurement <= call.amoa_procurement_ceiling
        financement = sum(amount(r.get("financement_demande")) for r in lines.rows)
        assert financement == row_totals + amoa + procurement == amount(d.form["montant_demande"])
        for r in lines.rows:
            ttc, fin, auto = (amount(r.get(c)) for c in ("montant_ttc", "financement_demande", "autofinancement"))
            assert ttc >= fin and auto == ttc - fin
        assert int(str(d.form["nb_essms_declare"])) == len({finess(r["finess_et"]) for r in structures.rows})


def test_national_tiers_are_applied(dossiers):
    for call, d, _exp in _all(dossiers, clean=True):
        if call.tier_from_rank is None:
            continue
        rows = d.table("budget_essms").rows
        reduced = {r["forfait_moa"] for r in rows[call.tier_from_rank - 1 :]}
        assert all(amount(v) <= call.forfaits["acquisition"]["moa"][1] for v in reduced)
        assert any(amount(r["forfait_moa"]) > call.forfaits["acquisition"]["moa"][1] for r in rows[:10])


def test_clean_forms_and_plannings(dossiers):
    for call, d, _exp in _all(dossiers, clean=True):
        form = d.form
        assert form["numero"] == d.numero and form["appel"] == call.reference
        deposit = (
            dt.datetime.fromisoformat(form["date_depot"]).date()
            if "T" in form["date_depot"]
            else day(form["date_depot"])
        )
        assert call.opens <= deposit <= call.closes
        if "T" in form["date_depot"]:  # the offset of Paris on that day
            summer = dt.date(deposit.year, 3, 25) <= deposit <= dt.date(deposit.year, 10, 25)
            assert form["date_depot"].endswith("+02:00" if summer else "+01:00")
        siret = str(form["porteur"]["siret"])
        assert re.fullmatch(r"\d{14}", siret) and _luhn(siret) and _luhn(siret[:9])
        if "contact" in form["porteur"]:
            assert {"nom", "email", "telephone"} <= set(form["porteur"]["contact"])
        phases = d.table("planning").rows
        assert len(phases) == 8
        for r in phases:
            assert deposit < day(r["date_debut"]) <= day(r["date_fin"]) <= call.window_end
        labels = " ".join(fold(f"{r['phase']} {r.get('livrable') or ''}") for r in phases)
        for word in ("cadrage", "deploiement vague 1", "deploiement vague 2", "formation", "cibles d usage", "bilan"):
            assert word in labels


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def test_prose_sections_are_substantive_and_agree_with_tables(dossiers):
    for call, d, exp in _all(dossiers):
        if "PIE-01" in exp["rules"] and not d.sections:
            continue
        assert set(d.sections) == {"gouvernance", "strategie", "conduite"}, d.numero
        prose = call_yaml(call.id)["prose"]
        untouched = not any(r.startswith("PRO") for r in exp["rules"]) and exp["case"] not in (
            "clean-ahi-pjm",
            "clean-limites-national",
            "clean-limites-gcsms",
        )
        for key, text in d.sections.items():
            assert len(text.split()) >= (120 if untouched else 20), (d.numero, key)
        gov, strat, change = (fold(d.sections[k]) for k in ("gouvernance", "strategie", "conduite"))
        if untouched:
            assert "comite de pilotage" in gov and re.search(r"(mme|m) [a-z]+ [a-z]+ (cheffe|chef) de projet", gov)
            assert all(w in strat for w in ("ins", "mssante", "vague"))
            assert all(w in change for w in ("formation", "cibles d usage", "communication"))
        assert says(d.sections["gouvernance"], prose["lead_words"]), d.numero
        structures = d.table("structures")
        if structures is None:
            continue
        names = {fold(str(r["raison_sociale"])) for r in structures.rows}
        assert sum(n in strat for n in names) >= (3 if untouched else 1), d.numero
        planning = d.table("planning")
        if planning and "perimetre" in planning.rows[0]:
            for r in planning.rows:
                for name in filter(None, str(r["perimetre"] or "").split(", ")):
                    assert fold(name) in names


def test_no_prose_line_reads_as_a_section_heading(dossiers):
    for _, d, _ in _all(dossiers):
        assert not d.short_lines, (d.numero, d.short_lines)
        assert len(d.headings) == 3, (d.numero, d.headings)


def test_extra_pieces_do_not_read_as_prose_sections(dossiers):
    for _, d, _ in _all(dossiers):
        for name, text in d.pdf_text.items():
            if "Convention" in name or "RIB" in name:
                folded = fold(text)
                assert not any(w in folded for w in ("comite de pilotage", "deploiement", "formation", "referent"))


def test_layouts_vary(fixture_run, dossiers):
    out, _ = fixture_run
    entries = [p for call in DEFAULT_CALLS for p in (out / call / "dossiers").iterdir()]
    zips = [p for p in entries if p.suffix == ".zip"]
    assert any(p.is_dir() for p in entries) and zips
    kinds = set()
    for z in zips:
        with zipfile.ZipFile(z) as zf:
            names = zf.namelist()
        numero = z.stem
        if any(re.fullmatch(r"dossier-\d+/export-\d+\.pdf", n) for n in names):
            kinds.add("ds")
            assert "dossier.json" not in {n.rsplit("/", 1)[-1] for n in names}
            pieces = [n for n in names if "/pieces_justificatives/" in n]
            assert pieces and all(re.search(r"-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-\d+\.\w+$", n) for n in pieces)
        elif all(n.startswith(f"{numero}/") for n in names):
            kinds.add("nested")
        elif "dossier.json" in names:
            kinds.add("root")
    assert kinds == {"ds", "nested", "root"}
    all_files = {name for _, d, _ in _all(dossiers) for name in d.files}
    assert any(n.endswith(".csv") for n in all_files) and any(n.endswith(".docx") for n in all_files)
    sources = {t.source for _, d, _ in _all(dossiers) for t in d.tables}
    assert any(s.endswith(".pdf") for s in sources), "a structures table printed to PDF"
    csv_files = [(name, data) for _, d, _ in _all(dossiers) for name, data in d.files.items() if name.endswith(".csv")]
    encodings = set()
    for _, data in csv_files:
        try:
            data.decode("utf-8")
            encodings.add("utf-8," if data.startswith(b"\xef\xbb\xbf") else "utf-8")
        except UnicodeDecodeError:
            encodings.add("cp1252;")
    assert {"utf-8,", "cp1252;"} <= encodings
    cells = [v for _, d, _ in _all(dossiers, clean=True) for t in d.tables for r in t.rows for v in r.values()]
    assert any(isinstance(v, str) and "€" in v for v in cells), "amounts typed as text"
    assert any(isinstance(v, int) and v > 10_000_000 for v in cells), "a FINESS stored as a number"
    assert any(isinstance(v, str) and re.fullmatch(r"\d{2}/\d{2}/\d{4}", v) for v in cells), "dates as text"
    assert any(isinstance(v, dt.datetime) for v in cells), "real dates"
    forms = [d.form for _, d, _ in _all(dossiers)]
    assert any(isinstance(f["montant_demande"], str) for f in forms)
    assert any(isinstance(f["montant_demande"], int) for f in forms)


def test_xlsx_totals_are_formulas_with_cached_values(dossiers):
    found = 0
    for _, d, _exp in _all(dossiers):
        for name, data in d.files.items():
            if not name.endswith(".xlsx") or name in d.unreadable:
                continue
            formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            for ws in formulas.worksheets:
                cached_rows = values[ws.title].iter_rows(values_only=True)
                for row, cached_row in zip(ws.iter_rows(values_only=True), cached_rows, strict=True):
                    for column, (formula, cached) in enumerate(zip(row, cached_row, strict=True), start=1):
                        if isinstance(formula, str) and formula.startswith("=SUM("):
                            assert isinstance(cached, int), (d.numero, name, ws.title, column)
                            found += 1
    assert found > 50


def test_cli_only_keeps_numbers_and_content(fixture_run, tmp_path):
    """``--only`` keeps numbers and bytes, also for a case built from a partner case."""
    out, _ = fixture_run
    cases = ("GRP-03", "clean-ds", "LOT-01-second", "LOT-02-redepot", "clean-limites-budget")
    assert cli_main([str(tmp_path), "--seed", str(SEED), "--calls", REGIONAL, "--only", ",".join(cases)]) == 0
    expected = json.loads((tmp_path / REGIONAL / "expected.json").read_text(encoding="utf-8"))
    full = json.loads((out / REGIONAL / "expected.json").read_text(encoding="utf-8"))
    assert expected["dossiers"] == {k: v for k, v in full["dossiers"].items() if v["case"] in cases}
    assert not (tmp_path / NATIONAL).exists()
    for numero in expected["dossiers"]:
        for suffix in ("", ".zip"):
            a, b = (
                out / REGIONAL / "dossiers" / f"{numero}{suffix}",
                tmp_path / REGIONAL / "dossiers" / f"{numero}{suffix}",
            )
            if a.is_file():
                assert a.read_bytes() == b.read_bytes()
            elif a.is_dir():
                assert _files(a) == _files(b)
