"""Tests of the fixtures generator (``python -m fixtures``), not of the pipeline.

Every generated file is read back with openpyxl, csv, pdfplumber and python-docx, and an
independent, deliberately simple reading of the rules ("oracle") checks that each dossier
plants exactly the faults its expected.json announces: none for a clean dossier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pdfplumber
import pytest
import yaml

from fixtures import generate
from fixtures.__main__ import main as cli_main
from fixtures.calls import DEFAULT_CALLS, CallParams, load_call
from fixtures.cases import MONTANT_ERROR, MOA_EXCESS, STALE_TOTAL_ERROR
from validators.finess import is_valid_finess

SEED = 7
ROOT = Path(__file__).resolve().parents[1]
HEADERS = yaml.safe_load((ROOT / "extractors" / "headers.yaml").read_text(encoding="utf-8"))
REGIONAL, NATIONAL = "ars-ara-2022-regional", "cnsa-2022-national"

#: What the brief asks for, case by case: (verdict, rules).
EXPECTED_CASES = {
    REGIONAL: {
        "PIE-01": ("a_completer", ["PIE-01"]),
        "PIE-02": ("a_completer", ["PIE-02"]),
        "GRP-01": ("a_completer", ["GRP-01"]),
        "GRP-02": ("a_completer", ["GRP-02"]),
        "GRP-03": ("non_recevable", ["GRP-03"]),
        "GRP-04-regional": ("non_recevable", ["GRP-04"]),
        "GRP-05": ("non_recevable", ["GRP-05"]),
        "GRP-10": ("a_completer", ["GRP-10"]),
        "BUD-01": ("a_completer", ["BUD-01"]),
        "BUD-02": ("a_completer", ["BUD-02"]),
        "BUD-03": ("a_completer", ["BUD-03"]),
        "BUD-07": ("a_completer", ["BUD-07"]),
        "PLA-01": ("a_completer", ["PLA-01"]),
        "PLA-03": ("a_completer", ["PLA-03"]),
        "COH-01": ("a_completer", ["COH-01"]),
    },
    NATIONAL: {
        "GRP-04-national": ("non_recevable", ["GRP-04"]),
        "BUD-03-national": ("a_completer", ["BUD-03"]),
        "clean-national-55": ("recevable", []),
    },
}

#: Heading starts of the prose sections (extractors/sections.yaml): a short body line
#: starting with one of them would open a section of its own for a reader.
SECTION_STARTS = ("gouvernance", "deploiement", "strategie de deploiement", "plan de deploiement",
                  "conduite du changement", "plan de conduite du changement", "accompagnement au changement",
                  "accompagnement du changement", "pilotage du projet", "organisation du projet",
                  "organisation et gouvernance")
HEADING = re.compile(r"^(?:(?:\d+\.|[IVX]+ -) )?(Gouvernance du projet|Stratégie de déploiement(?: envisagée)?|"
                     r"(?:Plan de )?[Cc]onduite du changement)$")


# --------------------------------------------------------------------------- reading back

def norm(text: Any) -> str:
    return " ".join(str(text).split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


SYNONYMS = {kind: {f: {norm(s) for s in syns} for f, syns in spec["fields"].items()}
            for kind, spec in HEADERS["tables"].items()}
FORM_LABELS = {key: {norm(s) for s in labels} for key, labels in HEADERS["form_labels"].items()}
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
        table = Table(kind, source, [c for c in cells if c], [c for c, f in zip(cells, fields) if c and not f], [], None)
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

    def table(self, kind: str) -> Table | None:
        found = [t for t in self.tables if t.kind == kind]
        assert len(found) <= 1, f"{self.numero}: two {kind} tables"
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
        elif low.endswith(".pdf"):
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                lines = []
                for page in pdf.pages:
                    for t in page.extract_tables():
                        d.tables += find_tables(t, name)
                    lines += [ln.strip() for ln in (page.extract_text() or "").splitlines() if ln.strip()]
            d.pdf_text[name] = "\n".join(lines)
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


def day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.datetime.strptime(value, "%d/%m/%Y").date()


def project_type(text: Any) -> str:
    return "acquisition" if "acqui" in fold(str(text)) else "mise_en_conformite"


# --------------------------------------------------------------------------- the oracle

def oracle(d: Dossier, call: CallParams) -> dict[str, list[Any]]:
    """A simple reading of the rules the fixtures exercise: rule id → what triggers it."""
    found: dict[str, list[Any]] = {}

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

    form = d.form or {}
    ets = [finess(r["finess_et"]) for r in structures.rows] if structures else []
    if structures:
        for r in structures.rows:
            for col in ("finess_et", "finess_ej"):
                if col in r and not is_valid_finess(finess(r[col])):
                    hit("GRP-01", finess(r[col]))
        if not is_valid_finess(str(form["porteur"]["finess_ej"])):
            hit("GRP-01", form["porteur"]["finess_ej"])
        duplicates = sorted({x for x in ets if ets.count(x) > 1})
        if duplicates:
            hit("GRP-02", duplicates)
        n = len(set(ets))
        if n < call.min_essms:
            hit("GRP-03", n)
        if (call.channel == "regional") == (n >= call.channel_threshold):
            hit("GRP-04", n)
        for x in sorted(set(ets)):
            if call.departments is not None and x[:2] not in call.departments:
                hit("GRP-05", x)
        declared = int(str(form["nb_essms_declare"]))
        if declared != n:
            hit("GRP-10", declared - n)

    types = {finess(r["finess_et"]): project_type(r["type_projet"]) for r in structures.rows} if structures else {}
    names = {"forfait_moa": "moa", "forfait_editeur": "editeur", "bonus_segur": "bonus_segur", "equipement": "equipement"}
    if per_essms:
        columns: dict[str, float] = {}
        for rank, r in enumerate(per_essms.rows, start=1):
            et = finess(r["finess_et"])
            ptype = project_type(r["type_projet"]) if r.get("type_projet") else types.get(et, "acquisition")
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
                if values[col] > ceilings[cname]:
                    hit("BUD-03", (rank, et, col, values[col], ceilings[cname]))
            columns["total_essms"] = columns.get("total_essms", 0.0) + amount(r["total_essms"])
            if readable and abs(amount(r["total_essms"]) - sum(values.values())) > 1:
                hit("BUD-02", (et, "total_essms"))
        for col, value in (per_essms.total or {}).items():
            if col in columns and abs(amount(value) - columns[col]) > 1:
                hit("BUD-02", ("Total", col, amount(value) - columns[col]))
        listed, budgeted = set(ets), {finess(r["finess_et"]) for r in per_essms.rows}
        if structures and listed != budgeted:
            hit("COH-01", sorted(listed ^ budgeted))
    if lines:
        sums: dict[str, float] = {}
        for r in lines.rows:
            for col in ("montant_ttc", "financement_demande", "autofinancement"):
                sums[col] = sums.get(col, 0.0) + amount(r.get(col))
        for col, value in (lines.total or {}).items():
            if col in sums and abs(amount(value) - sums[col]) > 1:
                hit("BUD-02", ("Total", col))
        declared_amount = amount(form["montant_demande"])
        if abs(declared_amount - sums["financement_demande"]) > 1:
            hit("BUD-07", declared_amount - sums["financement_demande"])
    if planning:
        for r in planning.rows:
            start, end = day(r["date_debut"]), day(r["date_fin"])
            if end < start:
                hit("PLA-01", r["phase"])
            if max(start, end) > call.window_end:
                hit("PLA-03", (r["phase"], max(start, end)))
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
        for numero, (d, exp) in items.items():
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
    assert set(results) == set(DEFAULT_CALLS)
    for call_id, cases in EXPECTED_CASES.items():
        expected = json.loads((out / call_id / "expected.json").read_text(encoding="utf-8"))
        assert expected == results[call_id] and expected["call"] == call_id
        by_case = {item["case"]: item for item in expected["dossiers"].values()}
        for case, (verdict, rules) in cases.items():
            assert by_case[case]["verdict"] == verdict and by_case[case]["rules"] == rules, case
        code = "ARA" if call_id == REGIONAL else "NAT"
        for numero, item in expected["dossiers"].items():
            assert re.fullmatch(rf"2022-{code}-\d{{4}}", numero)
            assert item["rules"] == sorted(set(item["rules"]))
            assert item["verdict"] in ("recevable", "a_completer", "non_recevable")
            assert (item["verdict"] == "recevable") == (item["rules"] == [])
            assert item["description"].endswith(".") and len(item["description"].split()) >= 6
            entry = out / call_id / "dossiers"
            assert (entry / numero).is_dir() or (entry / f"{numero}.zip").is_file()
    clean_regional = [i for i in results[REGIONAL]["dossiers"].values() if i["verdict"] == "recevable"]
    assert len(clean_regional) >= 4
    assert 20 <= sum(len(r["dossiers"]) for r in results.values()) <= 30


def test_each_dossier_plants_exactly_its_faults(dossiers):
    for call, d, exp in _all(dossiers):
        found = oracle(d, call)
        assert sorted(found) == exp["rules"], (d.numero, exp["case"], found)


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


def test_clean_dossiers_finess_are_valid_and_in_the_region(dossiers):
    for call, d, exp in _all(dossiers, clean=True):
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
            assert str(d.form["porteur"]["finess_ej"]) in owners
            assert 2 <= len(owners) <= 4


def test_every_header_is_a_known_synonym(dossiers):
    seen: dict[str, set[str]] = {}
    for _, d, _ in _all(dossiers):
        for table in d.tables:
            assert not table.unknown_headers, (d.numero, table.source, table.unknown_headers)
            for header in table.headers:
                seen.setdefault(f"{table.kind}.{field_of(table.kind, header)}", set()).add(header)
        for label in d.form_labels:
            assert any(label in labels for labels in FORM_LABELS.values())
    # spellings vary between dossiers
    assert sum(len(v) > 1 for v in seen.values()) >= 8, seen


def test_clean_budgets_within_ceilings_and_consistent(dossiers):
    for call, d, exp in _all(dossiers, clean=True):
        structures, per_essms, lines = d.table("structures"), d.table("budget_essms"), d.table("budget_lignes")
        types = {finess(r["finess_et"]): project_type(r["type_projet"]) for r in structures.rows}
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
            if call.tier_from_rank and rank >= call.tier_from_rank:
                assert moa <= call.forfaits[ptype]["moa"][1]
            assert amount(r["total_essms"]) == moa + edi + bonus + equip
            row_totals += moa + edi + bonus + equip
        assert amount(per_essms.total["total_essms"]) == row_totals
        by_label = {norm(r["poste"]): r for r in lines.rows}
        amoa = amount(by_label.get("AMOA pilotage du projet", {}).get("financement_demande"))
        assert amoa <= call.amoa_steering_ceiling
        financement = sum(amount(r.get("financement_demande")) for r in lines.rows)
        assert financement == row_totals + amoa == amount(d.form["montant_demande"])
        for r in lines.rows:
            ttc, fin, auto = (amount(r.get(c)) for c in ("montant_ttc", "financement_demande", "autofinancement"))
            assert ttc >= fin and auto == ttc - fin
        assert int(str(d.form["nb_essms_declare"])) == len({finess(r["finess_et"]) for r in structures.rows})


def test_national_tiers_are_applied(dossiers):
    for call, d, exp in _all(dossiers, clean=True):
        if call.tier_from_rank is None:
            continue
        rows = d.table("budget_essms").rows
        reduced = {r["forfait_moa"] for r in rows[call.tier_from_rank - 1:]}
        assert all(amount(v) <= call.forfaits["acquisition"]["moa"][1] for v in reduced)
        assert any(amount(r["forfait_moa"]) > call.forfaits["acquisition"]["moa"][1] for r in rows[:10])


def test_clean_forms_and_plannings(dossiers):
    for call, d, exp in _all(dossiers, clean=True):
        form = d.form
        assert form["numero"] == d.numero and form["appel"] == call.reference
        deposit = (dt.datetime.fromisoformat(form["date_depot"]).date() if "T" in form["date_depot"]
                   else day(form["date_depot"]))
        assert call.opens <= deposit <= call.closes
        siret = str(form["porteur"]["siret"])
        assert re.fullmatch(r"\d{14}", siret) and _luhn(siret) and _luhn(siret[:9])
        if "contact" in form["porteur"]:
            assert {"nom", "email", "telephone"} <= set(form["porteur"]["contact"])
        phases = d.table("planning").rows
        assert len(phases) == 8
        for r in phases:
            assert deposit < day(r["date_debut"]) <= day(r["date_fin"]) <= call.window_end
        labels = " ".join(fold(str(r["phase"])) for r in phases)
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
        assert set(d.sections) == {"gouvernance", "strategie", "conduite"}, d.numero
        for key, text in d.sections.items():
            assert len(text.split()) >= 120, (d.numero, key)
        gov, strat, change = (fold(d.sections[k]) for k in ("gouvernance", "strategie", "conduite"))
        assert "comite de pilotage" in gov and re.search(r"(mme|m) [a-z]+ [a-z]+ (cheffe|chef) de projet", gov)
        assert all(w in strat for w in ("ins", "mssante", "dmp", "vague"))
        assert all(w in change for w in ("formation", "cibles d usage", "communication"))
        structures = d.table("structures")
        names = {fold(str(r["raison_sociale"])) for r in structures.rows}
        assert sum(n in strat for n in names) >= 3, d.numero
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
    for _, d, exp in _all(dossiers):
        for name, data in d.files.items():
            if not name.endswith(".xlsx") or name in d.unreadable:
                continue
            formulas = openpyxl.load_workbook(io.BytesIO(data))
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            for ws in formulas.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str) and cell.value.startswith("=SUM("):
                            cached = values[ws.title][cell.coordinate].value
                            assert isinstance(cached, int), (d.numero, name, cell.coordinate)
                            found += 1
    assert found > 50


def test_cli_only_keeps_numbers_and_content(fixture_run, tmp_path):
    out, _ = fixture_run
    assert cli_main([str(tmp_path), "--seed", str(SEED), "--calls", REGIONAL, "--only", "GRP-03,clean-ds"]) == 0
    expected = json.loads((tmp_path / REGIONAL / "expected.json").read_text(encoding="utf-8"))
    full = json.loads((out / REGIONAL / "expected.json").read_text(encoding="utf-8"))
    assert expected["dossiers"] == {k: v for k, v in full["dossiers"].items() if v["case"] in ("GRP-03", "clean-ds")}
    assert not (tmp_path / NATIONAL).exists()
    for numero in expected["dossiers"]:
        for suffix in ("", ".zip"):
            a, b = out / REGIONAL / "dossiers" / f"{numero}{suffix}", tmp_path / REGIONAL / "dossiers" / f"{numero}{suffix}"
            if a.is_file():
                assert a.read_bytes() == b.read_bytes()
            elif a.is_dir():
                assert _files(a) == _files(b)
