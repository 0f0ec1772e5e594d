"""What the rules see of one dossier: the form, the classified documents, the chosen tables
and the ESSMS list, each value with its location."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from core.config import CallConfig
from core.models import CellValue, DocumentKind, ExtractedDocument, Severity
from extractors.classify import Classified, Section
from extractors.ds_export import display_name, piece_name
from extractors.finess_extract import Establishment
from extractors.form import Form
from extractors.intake import IntakeProblem
from extractors.tables import Row, Table
from extractors.values import fold, parse_bool, parse_project_type
from validators.eligibility import Eligibility, assess
from validators.finess import department_of, is_valid_finess, normalize_finess
from validators.finess_repository import FinessRepository
from validators.reconcile import reconcile_essms_totals
from validators.schemas import (
    EssmsFacts,
    Frame,
    budget_essms_frame,
    planning_frame,
    structures_frame,
)


@dataclass(frozen=True)
class Exclusion:
    """Why an ESSMS is left out of the count and the funding: the rule that excludes it and
    the reason (French). The dossier is then judged on the ESSMS that remain (rules.md)."""

    rule: str  # the rule that excludes it (outside the region, not an eligible category…)
    reason: str


@dataclass(frozen=True)
class OgSize:
    """How many sites an organisme gestionnaire has, and where they were counted."""

    sites: int  # the count that decides (the repository's when known, never below the list's)
    listed: int  # its ESSMS in the dossier's list
    registered: int | None  # its establishments in the FINESS repository (None: not looked up / unknown)
    finess_ej: str | None  # the legal entity counted in the repository


@dataclass
class Essms:
    """One row of the structures list."""

    finess: str
    finess_cell: CellValue
    finess_ej: str
    name: str
    category: str
    department: str | None
    project_type: str | None
    referenced: bool | None
    row: Row
    eligibility: Eligibility | None = None
    registered: Establishment | None = None  # the repository's record (REF rules), when looked up and found
    department_source: str = ""  # "répertoire FINESS", "numéro FINESS" or "colonne Département"
    exclusions: list[Exclusion] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        """Not excluded by a dossier rule (outside the region, not eligible). A row whose FINESS is blank is not
        excluded: the blank cell is something the owner can fill in (GRP-01)."""
        return not self.exclusions

    def excluded_by(self, rule_id: str) -> bool:
        """Whether the rule ``rule_id`` excludes this ESSMS from the count and the funding."""
        return any(exclusion.rule == rule_id for exclusion in self.exclusions)

    @property
    def identified(self) -> bool:
        """The row gives a FINESS ET (an ESSMS without one cannot be counted yet)."""
        return bool(self.finess)

    @property
    def og_key(self) -> str:
        """Its organisme gestionnaire: FINESS EJ, else the name given."""
        if self.finess_ej:
            return self.finess_ej
        cell = self.row.get("organisme_gestionnaire")
        return cell.text.lower() if cell is not None and cell.text else "?"

    @property
    def sector(self) -> str | None:
        category = self.eligibility.category if self.eligibility else None
        return category.sector if category else None

    @property
    def label(self) -> str:
        """``EHPAD Les Tilleuls (FINESS 010000016)``; a row without FINESS is named by its row."""
        if not self.finess and not self.name:
            return f"l'ESSMS de la ligne {self.row_number}" if self.row_number else "un ESSMS sans nom ni FINESS"
        name = self.name or "ESSMS sans nom"
        return f"{name} (FINESS {self.finess or 'non renseigné'})"

    @property
    def row_number(self) -> str | None:
        """The row's number in its sheet (``9`` for cell ``A9``), when the list is a spreadsheet."""
        cell = self.finess_cell.location.cell or self.row.location.cell
        digits = "".join(ch for ch in cell or "" if ch.isdigit())
        return digits or None


def rule_excludes(config: CallConfig, rule_id: str) -> bool:
    """An exclusion applies when its rule is enabled and not softened to an alerte by the call."""
    setting = config.rule_setting(rule_id)
    return setting.enabled and setting.severity is not Severity.ALERTE


def exclusions_of(essms: Essms, config: CallConfig) -> list[Exclusion]:
    """The dossier-level exclusions of an ESSMS: those of the rules that declare one
    (``excludes``: not an eligible category, outside the region…), in catalogue order."""
    from validators.registry import all_rules  # the rule modules import this one

    out = []
    for rule in all_rules().values():
        if rule.excludes is not None and rule_excludes(config, rule.id):
            reason = rule.excludes(essms, config)
            if reason:
                out.append(Exclusion(rule.id, reason))
    return out


@dataclass
class DossierData:
    numero: str
    config: CallConfig
    form: Form | None
    documents: list[ExtractedDocument]
    classified: Classified
    intake_problems: list[IntakeProblem] = field(default_factory=list)
    repository: FinessRepository | None = None  # the national FINESS repository, when an extract is loaded

    # ----------------------------------------------------------------- chosen tables

    def table(self, kind: str) -> Table | None:
        """The table of that kind the dossier relies on (see ``choose_table``)."""
        return choose_table(self.classified.tables.get(kind) or [])[0]

    @cached_property
    def structures(self) -> Table | None:
        return self.table("structures")

    @cached_property
    def budget_essms(self) -> Table | None:
        """The per-ESSMS budget, its unrecognised amount columns read as part of the forfaits
        when they reconcile every row's total (``validators.reconcile``)."""
        table = self.table("budget_essms")
        if table is not None:
            reconcile_essms_totals(table, self.config.funding.amount_tolerance.value)
        return table

    @cached_property
    def budget_lines(self) -> Table | None:
        return self.table("budget_lignes")

    @cached_property
    def planning(self) -> Table | None:
        return self.table("planning")

    def sections(self, kind: DocumentKind) -> list[Section]:
        return self.classified.sections.get(kind) or []

    @cached_property
    def kinds_present(self) -> set[DocumentKind]:
        present = {part.kind for record in self.classified.records for part in record.parts}
        return present

    @cached_property
    def budget_frame(self) -> Frame | None:
        """The per-ESSMS budget as typed values with each row's rank, type and ceilings."""
        if self.budget_essms is None:
            return None
        form_type = parse_project_type(self.form.raw("type_projet")).value if self.form else None
        default_type = form_type if form_type in ("acquisition", "mise_en_conformite") else None
        frame = budget_essms_frame(self.budget_essms, self.essms_facts(), default_type)
        self._rank_counted_rows(frame)
        return frame

    def _rank_counted_rows(self, frame: Frame) -> None:
        """The national tier counts the ESSMS that are funded, not the budget's rows: each
        row's rank is its place among the rows of counted ESSMS (listed, not excluded, first
        row of its FINESS), in budget order; BUD-03's ceilings follow that rank."""
        counted = {e.finess for e in self.counted_essms} if self.structures is not None else None
        seen: set[str] = set()
        rank = 0
        for index, finess in enumerate(frame.df["finess_et"]):
            if not finess or finess in seen or (counted is not None and finess not in counted):
                continue
            seen.add(finess)
            rank += 1
            frame.df.at[index, "rank"] = rank

    def essms_facts(self) -> dict[str, EssmsFacts]:
        """Per FINESS ET: project type, Ségur referencing (list, else form) and whether its
        organisme gestionnaire is small (fewer sites in the list than the call's threshold; an
        ESSMS whose organisme the list does not give is not refused the aid on a guess)."""
        form_referenced = parse_bool(self.form.raw("referencement_segur")).value if self.form else None
        sizes = self.og_sizes
        threshold = self.config.funding.small_og_max_sites.value
        return {
            e.finess: EssmsFacts(
                e.project_type,
                e.referenced if e.referenced is not None else form_referenced,
                e.og_key == "?" or sizes[e.og_key].sites < threshold,  # organisme unknown: not refused on it
            )
            for e in self.distinct_essms
            if e.finess
        }

    @cached_property
    def og_sizes(self) -> dict[str, OgSize]:
        """Per organisme gestionnaire (``Essms.og_key``): its number of sites (BUD-05's « petite
        taille »). With a FINESS extract loaded: every establishment (ET) of its legal entity in
        the repository — the list's FINESS EJ, else the one the repository records for its
        ESSMS — and never fewer than the list shows (an ESSMS not registered yet). Without an
        extract, or for an entity the repository does not know: the ESSMS of the list."""
        listed: dict[str, list[Essms]] = {}
        for e in self.distinct_essms:
            listed.setdefault(e.og_key, []).append(e)
        out: dict[str, OgSize] = {}
        for key, members in listed.items():
            count = len(members)
            out[key] = OgSize(count, count, None, None)
            if self.repository is None or key == "?":
                continue
            candidates = [m.finess_ej for m in members if m.finess_ej] + [
                m.registered.finess_ej for m in members if m.registered is not None and m.registered.finess_ej
            ]
            for ej in dict.fromkeys(candidates):
                registered = len(self.repository.managed_by(ej))
                if registered:
                    out[key] = OgSize(max(count, registered), count, registered, ej)
                    break
        return out

    @cached_property
    def planning_frame(self) -> Frame | None:
        return planning_frame(self.planning) if self.planning is not None else None

    @cached_property
    def structures_frame(self) -> Frame | None:
        return structures_frame(self.structures) if self.structures is not None else None

    def typed(self, kind: str) -> tuple[Frame, frozenset[str]] | None:
        """The typed frame of a table kind (``schemas.TABLE_KINDS``) and the columns of its
        table, for the rules' pandera checks; None when the dossier has no such table."""
        frames = {
            "structures": ("structures", "structures_frame"),
            "budget_essms": ("budget_essms", "budget_frame"),
            "planning": ("planning", "planning_frame"),
        }
        table_attr, frame_attr = frames[kind]
        table, frame = getattr(self, table_attr), getattr(self, frame_attr)
        return None if table is None or frame is None else (frame, frozenset(table.columns))

    # ----------------------------------------------------------------- ESSMS list

    @cached_property
    def registered(self) -> dict[str, Establishment]:
        """The listed FINESS ET (valid key) the repository holds, by number: one query."""
        if self.repository is None or self.structures is None:
            return {}
        cells = (row.get("finess_et") for row in self.structures.rows)
        numbers = {normalize_finess(cell.raw) for cell in cells if cell is not None}
        return self.repository.establishments(n for n in numbers if is_valid_finess(n))

    @cached_property
    def essms(self) -> list[Essms]:
        if self.structures is None:
            return []
        registered = self.registered
        out = []
        for row in self.structures.rows:
            cell = row.get("finess_et")
            finess = normalize_finess(cell.raw) if cell else ""
            record = registered.get(finess)
            department, source = _department(row, finess, record)
            essms = Essms(
                finess=finess,
                finess_cell=cell or CellValue(None, row.location),
                finess_ej=normalize_finess(row.get("finess_ej").raw) if row.get("finess_ej") else "",
                name=_text(row, "raison_sociale"),
                category=_text(row, "categorie"),
                department=department,
                project_type=parse_project_type(row.get("type_projet").raw).value if row.get("type_projet") else None,
                referenced=parse_bool(row.get("referencement_segur").raw).value
                if row.get("referencement_segur")
                else None,
                row=row,
                eligibility=assess(finess, _text(row, "categorie"), self.config, record),
                registered=record,
                department_source=source,
            )
            essms.exclusions = exclusions_of(essms, self.config)
            out.append(essms)
        return out

    @cached_property
    def distinct_essms(self) -> list[Essms]:
        """One entry per FINESS ET (first occurrence); rows without a FINESS are kept."""
        seen: set[str] = set()
        out = []
        for e in self.essms:
            if e.finess and e.finess in seen:
                continue
            seen.add(e.finess)
            out.append(e)
        return out

    @cached_property
    def eligible_essms(self) -> list[Essms]:
        """Distinct ESSMS not excluded (outside the region, not eligible), with or without a FINESS: the grouping
        is judged on these."""
        return [e for e in self.distinct_essms if e.eligible]

    @cached_property
    def counted_essms(self) -> list[Essms]:
        """Eligible ESSMS identified by their FINESS ET: what the size and channel rules count."""
        return [e for e in self.eligible_essms if e.identified]

    @cached_property
    def unidentified_essms(self) -> list[Essms]:
        """Rows of the list without a FINESS ET (not excluded): they may be ESSMS of the
        grouping, so a count that depends on them is not decided (rules.md, missing data)."""
        return [e for e in self.eligible_essms if not e.identified]

    @cached_property
    def excluded_essms(self) -> list[Essms]:
        return [e for e in self.distinct_essms if not e.eligible]

    @property
    def essms_count(self) -> int:
        """Eligible distinct ESSMS identified by their FINESS (what the size and channel rules count)."""
        return len(self.counted_essms)

    @property
    def listed_count(self) -> int:
        """Distinct ESSMS as listed by the owner, eligible or not, with or without a FINESS."""
        return len(self.distinct_essms)

    def essms_by_finess(self) -> dict[str, Essms]:
        return {e.finess: e for e in self.distinct_essms if e.finess}


_VERSION = re.compile(r"\bv\s?(\d{1,3})\b")


def name_hint(path: str) -> tuple[int, int, int]:
    """Weak hint from a file name: ``final``/``définitif`` first, then the highest version,
    then the latest upload of a Démarches simplifiées piece (``<label>-<dd-mm-YYYY-HH-MM>-<n>``:
    its label is read without the suffix, its upload time orders two versions)."""
    piece = piece_name(path)
    folded = fold(display_name(path))
    final = int(any(w in folded for w in ("final", "definitif", "definitive")))
    versions = [int(v) for v in _VERSION.findall(folded)]
    uploaded = int(piece.uploaded.strftime("%Y%m%d%H%M")) if piece else 0
    return final, max(versions, default=0), uploaded


def choose_table(candidates: list[Table]) -> tuple[Table | None, str]:
    """The candidate the rules use, and why (French): the most data rows, then the name hint
    (``final``, highest version), then the first in path order."""
    if not candidates:
        return None, ""
    ranked = sorted(candidates, key=lambda t: (-len(t.rows), tuple(-x for x in name_hint(t.file)), t.file))
    chosen = ranked[0]
    if len(ranked) == 1:
        return chosen, ""
    runner_up = ranked[1]
    if len(chosen.rows) != len(runner_up.rows):
        reason = f"il compte le plus de lignes ({len(chosen.rows)} contre {len(runner_up.rows)})"
    elif name_hint(chosen.file) != name_hint(runner_up.file):
        reason = "à nombre de lignes égal, son nom désigne la version la plus récente ou finale"
    else:
        reason = "à contenu de même taille, le premier dans l'ordre des fichiers est retenu"
    return chosen, reason


def _text(row: Row, field_name: str) -> str:
    cell = row.get(field_name)
    return cell.text if cell else ""


REPOSITORY, NUMBER, COLUMN = "répertoire FINESS", "numéro FINESS", "colonne Département"


def _department(row: Row, finess: str, registered: Establishment | None) -> tuple[str | None, str]:
    """The ESSMS's département and where it was read: the repository when it holds the
    number, else the number's prefix, else the list's Département column."""
    if registered is not None and registered.department:
        return registered.department, REPOSITORY
    derived = department_of(finess)
    if derived:
        return derived, NUMBER
    cell = row.get("departement")
    if cell and cell.text:
        text = cell.text.split()[0].upper()
        return (text.zfill(2) if text.isdigit() and len(text) == 1 else text), COLUMN
    return None, ""
