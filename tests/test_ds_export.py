"""The Démarches simplifiées exports read as they are: the per-dossier zips of 2021 to 2025 (the
« Déposé le » of their PDF export in each date form the téléservice printed), the démarche's
spreadsheet export (xlsx, ods, csv) as the dossiers' form, the pieces' timestamped names.
Samples from the generator (fixtures/ds_samples.py), with their expected DEP-01 outcome."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import esmsnum, load_json
from core.config import load_call
from core.models import Severity
from extractors.ds_export import display_name, exports_in, piece_name, read_export
from extractors.extract import extract
from extractors.form import Form, merge_forms
from extractors.intake import open_dossier
from judging.analysis import analyse_dossier, read_dossier
from judging.submission import fingerprint
from validators.context import name_hint
from validators.deposit import parse_deposit
from validators.registry import all_rules

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> tuple[Path, dict]:
    from fixtures.ds_samples import write_ds_samples

    root = tmp_path_factory.mktemp("ds-samples")
    expected = write_ds_samples(root)
    assert json.loads((root / "expected.json").read_text("utf-8")) == expected
    return root, expected


def _config(entry: dict):
    config = load_call(CALL)
    if not entry["closes"]:
        return config
    closes = config.submission.closes.model_copy(update={"value": dt.datetime.fromisoformat(entry["closes"])})
    return config.model_copy(update={"submission": config.submission.model_copy(update={"closes": closes})})


def _dep01(path: Path, entry: dict):
    config = _config(entry)
    with open_dossier(path) as dossier:
        data = read_dossier(dossier, config, extract)
    rule = all_rules()["DEP-01"]
    return data, [(hit.severity or rule.severity, hit) for hit in rule.check(data, config)]


def _outcomes(folder: Path, entries: dict, suffix: str) -> tuple[list, list]:
    got, want = [], []
    for name, entry in entries.items():
        _data, hits = _dep01(folder / f"{name}{suffix}", entry)
        got.append((name, entry["scenario"], entry["form"], [s.value for s, _ in hits]))
        want.append((name, entry["scenario"], entry["form"], [entry["DEP-01"]] if entry["DEP-01"] else []))
    return got, want


@pytest.mark.parametrize("year", ["2021", "2022", "2023", "2024", "2025"])
def test_dep01_on_the_zip_of_each_year(samples, year):
    """In time, late (and, in the 2023-2024 form, the closing hour) in each year's zip layout."""
    root, expected = samples
    entries = expected["zips"][year]
    got, want = _outcomes(root / "zips" / year, entries, ".zip")
    assert got == want
    forms = {e["form"] for e in entries.values()}
    assert forms == {"ds-2019" if year in ("2021", "2022") else "ds-2023" if year == "2023" else "ds-2024"}
    assert {e["DEP-01"] for e in entries.values()} >= {None, "bloquant"}


@pytest.mark.parametrize("kind", ["xlsx", "ods", "csv"])
def test_dep01_on_the_demarche_spreadsheet_export(samples, kind):
    """The export's row is the form of the dossiers' folders; the xlsx also holds « Déposé le »
    typed as text in each of the three PDF forms."""
    root, expected = samples
    entries = expected["exports"][kind]
    got, want = _outcomes(root / "exports" / kind, entries, "")
    assert got == want
    if kind == "xlsx":
        assert {e["form"] for e in entries.values()} == {"cell", "ds-2019", "ds-2023", "ds-2024"}


def test_the_spreadsheet_row_is_the_form_with_its_cells(samples):
    root, expected = samples
    folder = root / "exports" / "xlsx"
    [export_file] = folder.glob("dossiers_*.xlsx")
    name = next(iter(expected["exports"]["xlsx"]))
    data, _hits = _dep01(folder / name, expected["exports"]["xlsx"][name])
    form = data.form
    assert form is not None and form.source == export_file.name
    assert form.raw("numero") == name.removeprefix("dossier-")
    for key in ("date_depot", "porteur.raison_sociale", "porteur.finess_ej", "nb_essms_declare", "montant_demande"):
        cell = form.get(key)
        assert cell is not None and cell.raw not in (None, ""), key
        assert cell.location.file == export_file.name and cell.location.sheet == "Dossiers"
        assert cell.location.cell and cell.location.cell.endswith("2"), (key, cell.location)  # the first dossier's row
    assert len(str(form.raw("porteur.finess_ej"))) == 9
    csv_form = _dep01(*_first(root, expected, "csv"))[0].form
    assert csv_form.raw("porteur.siret") and csv_form.get("date_depot").location.sheet is None  # csv: no sheet


def _first(root: Path, expected: dict, kind: str) -> tuple[Path, dict]:
    name, entry = next(iter(expected["exports"][kind].items()))
    return root / "exports" / kind / name, entry


def test_a_deposit_in_the_closing_hour_without_minutes_is_explained_in_the_report(samples, tmp_path):
    """The 2023-2024 form at a deadline of 12:30: deposited at 12:47 (late to the minute), the
    export says 12:00-12:59: not positively late, an alerte explained to the reviewer."""
    root, expected = samples
    name, entry = next((n, e) for n, e in expected["zips"]["2023"].items() if e["scenario"] == "heure-de-cloture-apres")
    report = analyse_dossier(root / "zips" / "2023" / f"{name}.zip", _config(entry), tmp_path)
    [finding] = [f for f in report.findings if f.rule == "DEP-01"]
    assert finding.severity is Severity.ALERTE
    assert report.verdict.value != "non_recevable"
    assert "entre 12:00 et 12:59" in finding.message and "n'indique pas les minutes" in finding.message
    assert "vérifier l'heure exacte du dépôt dans le téléservice" in finding.message
    assert report.deposit.precision == "hour" and report.deposit.form == "ds-2023"
    html = (tmp_path / name / "report.html").read_text("utf-8")
    assert "n&#39;indique pas les minutes" in html or "n'indique pas les minutes" in html
    stored = json.loads((tmp_path / name / "report.json").read_text("utf-8"))
    assert stored["deposit"]["raw"] == entry["written"] == "30 septembre 22 12:09"


def test_piece_names_of_the_teleservice():
    parsed = piece_name("dossier-8100001/pieces_justificatives/Budget prévisionnel-28-09-2022-15-42-176.xlsx")
    assert parsed is not None and parsed.label == "Budget prévisionnel" and parsed.number == 176
    assert parsed.uploaded == dt.datetime(2022, 9, 28, 15, 42) and parsed.extension == ".xlsx"
    assert display_name("a/Budget_V3-28-09-2022-15-42-1.xlsx") == "Budget_V3.xlsx"
    assert piece_name("budget-2022.xlsx") is None and piece_name("x-31-02-2022-10-00-1.pdf") is None
    # two versions of one piece: the version in the label first, then the later upload
    assert name_hint("Budget_v3-01-09-2022-10-00-1.xlsx")[1] == 3
    assert name_hint("Budget-28-09-2022-15-42-2.xlsx") > name_hint("Budget-27-09-2022-09-00-1.xlsx")


def test_the_dossier_fingerprint_follows_its_row_of_the_export(samples, tmp_path):
    root, expected = samples
    folder = tmp_path / "appel"
    shutil.copytree(root / "exports" / "ods", folder)
    name = next(iter(expected["exports"]["ods"]))
    with_row = fingerprint(folder / name)
    [export] = exports_in(folder)
    assert any(path.startswith(export.file + "#") for path, _ in with_row.documents)
    [export_file] = folder.glob("dossiers_*.ods")
    export_file.rename(folder / "notes.ods")  # another name: the same content is still the export
    assert read_export(folder / "notes.ods") is not None
    (folder / "notes.ods").unlink()
    [piece] = (folder / name / "pieces_justificatives").glob("*.xlsx")
    shutil.copy(piece, folder / "notes.xlsx")  # the owner's workbook, not an export
    (folder / "abime.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)  # damaged: ignored, never a crash
    assert exports_in(folder) == []  # a workbook that is not a démarche export is no form
    without = fingerprint(folder / name)
    assert without.sha256 != with_row.sha256


def test_the_dossier_own_form_comes_first():
    from core.models import CellValue, Location

    own = Form("dossier-1/export-1.pdf", {"date_depot": CellValue("28/09/2022", Location("dossier-1/export-1.pdf"))})
    row = Form(
        "dossiers.xlsx",
        {
            "date_depot": CellValue(
                "2022-10-03 10:12:30 +0200", Location("dossiers.xlsx", sheet="Dossiers", cell="I2")
            ),
            "montant_demande": CellValue(12000, Location("dossiers.xlsx", sheet="Dossiers", cell="T2")),
        },
    )
    merged = merge_forms(own, row)
    assert merged.raw("date_depot") == "28/09/2022" and merged.get("montant_demande").location.cell == "T2"
    assert merge_forms(None, row) is row and merge_forms(own, None) is own


@pytest.mark.parametrize(
    "raw, moment, precision, form",
    [
        ("Déposé le : mercredi 28 septembre 2022 17h42", "2022-09-28T17:42:00+02:00", "minute", "ds-2019"),
        ("Déposé le 28/09/2022 à 17:42", "2022-09-28T17:42:00+02:00", "minute", "numeric"),
        ("Date de dépôt : 2022-09-28T17:42:10+02:00", "2022-09-28T17:42:10+02:00", "minute", "iso"),
        # digits equal to the month: the minute is unknown for a deposit printed before the fix…
        ("04 avril 24 17:04", "2024-04-04T17:00:00+02:00", "hour", "ds-2023"),
        # …but a deposit from 5 April 2024 on was printed after it: real minutes
        ("05 avril 24 17:04", "2024-04-05T17:04:00+02:00", "minute", "ds-2024"),
        ("12 mai 24 17:05", "2024-05-12T17:05:00+02:00", "minute", "ds-2024"),
        ("28 septembre 22 17:42", "2022-09-28T17:42:00+02:00", "minute", "ds-2024"),  # 42 is no month
    ],
)
def test_deposit_forms_and_their_period(raw, moment, precision, form):
    deposit, problem = parse_deposit(raw)
    assert problem is None and deposit is not None
    assert (deposit.moment.isoformat(), deposit.precision, deposit.form) == (moment, precision, form)


def test_the_hour_repeated_when_summer_time_ends():
    """« 30 octobre 22 02:10 » (the month form): 02:00-02:59 happens twice in Paris that night;
    the hour lasts until 02:59:59 winter time."""
    deposit, _ = parse_deposit("30 octobre 22 02:10")
    assert deposit.moment.isoformat() == "2022-10-30T02:00:00+02:00"
    assert deposit.latest.isoformat() == "2022-10-30T02:59:59+01:00"
    assert (deposit.latest.astimezone(dt.UTC) - deposit.moment.astimezone(dt.UTC)).total_seconds() == 2 * 3600 - 1


def test_run_on_a_call_folder_with_the_csv_export_and_a_changed_row(samples, tmp_path):
    """``esmsnum run`` on dossiers whose form is the démarche's csv export: DEP-01 on the late
    one only; the export downloaded again with one deposit changed re-judges that dossier."""
    root, expected = samples
    folder = tmp_path / "appel"
    shutil.copytree(root / "exports" / "csv", folder)
    entries = expected["exports"]["csv"]
    out = tmp_path / "out"

    def dep01() -> dict[str, list[str]]:
        proc = esmsnum("run", str(folder), "--call", CALL, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        return {
            name: [f["severity"] for f in load_json(out / name / "report.json")["findings"] if f["rule"] == "DEP-01"]
            for name in entries
        }

    assert dep01() == {n: [e["DEP-01"]] if e["DEP-01"] else [] for n, e in entries.items()}
    [export_file] = folder.glob("dossiers_*.csv")
    in_time = next(n for n, e in entries.items() if e["DEP-01"] is None)
    rows = list(csv.reader(io.StringIO(export_file.read_text("utf-8"))))
    column = rows[0].index("Déposé le")
    [row] = [r for r in rows[1:] if r[0] == in_time.removeprefix("dossier-")]
    assert row[column] == "2022-09-28 17:42:10 +0200"
    row[column] = "2022-10-01 09:05:00 +0200"  # the row of a new download, the deposit corrected
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    export_file.write_text(buffer.getvalue(), "utf-8")
    assert dep01() == {n: ["bloquant"] for n in entries}
    report = load_json(out / in_time / "report.json")
    [finding] = [f for f in report["findings"] if f["rule"] == "DEP-01"]
    assert finding["location"]["file"] == export_file.name and finding["location"]["cell"].startswith("K")
