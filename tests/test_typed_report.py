"""One typed report, one truth: report.json validates against ``core.report.DossierReport``; a
report written by the previous release is read and upgraded; a re-render after a lift (web or
``esmsnum lever``) keeps the copied call's envelope and letterhead (the run's snapshot, never
the shipped configuration looked up by id); the deposit date DEP-01 read is the one shown."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from docx import Document
from fastapi.testclient import TestClient

from conftest import ROOT, load_json
from core.config import CALLS_DIR, load_call
from core.report import SCHEMA_VERSION, DossierReport
from judging.analysis import analyse_dossier
from reports.dossier import write_dossier_reports

SAMPLES = Path(__file__).with_name("samples")
SHIPPED = "ars-ara-2022-regional"
COPY_ID = "ars-test-copie-2026"
ENVELOPE = 1_234_567.0
LETTERHEAD = {
    "sender": {"value": "Agence régionale de santé de la copie", "source": "copie d'un appel livré, test"},
    "service": {"value": "Direction de l'autonomie — pôle numérique", "source": "test"},
    "address": {"value": ["1 place de la Copie", "69000 Lyon"], "source": "test"},
    "followed_by": {"value": "Équipe ESMS numérique — esms@copie.example", "source": "test"},
    "signatory": {"value": "La directrice de l'autonomie, Jeanne Copie", "source": "test"},
    "place": {"value": "Villeurbanne", "source": "test"},
    "reply_days": {"value": 21, "source": "test"},
}


# --------------------------------------------------------------------------- the model


def test_every_report_of_a_run_validates_against_the_typed_model(generated, tmp_path):
    call_dir = generated / SHIPPED / "dossiers"
    config = load_call(SHIPPED)
    for dossier in sorted(call_dir.iterdir())[:6]:
        analyse_dossier(dossier, config, tmp_path)
    written = sorted(tmp_path.glob("*/report.json"))
    assert len(written) == 6
    for path in written:
        data = load_json(path)
        assert data["schema_version"] == SCHEMA_VERSION
        report = DossierReport.model_validate(data)  # no upgrade needed: the current shape
        assert report.call_snapshot.id == SHIPPED and report.call_snapshot.complete
        assert report.call_snapshot.rules and report.call_snapshot.values
        # the contract's keys are all there (report-contract.md)
        for key in ("dossier", "call", "verdict", "findings", "documents", "essms_count", "amount_requested"):
            assert key in data, key
        assert all("waiver" not in f for f in data["findings"])  # absent, as report.json always wrote it


@pytest.mark.parametrize("sample", ["report-1.0-leve.json", "report-1.0-a-completer.json"])
def test_a_report_of_the_previous_release_is_read_upgraded_and_rendered(tmp_path, sample):
    old = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))
    assert old["schema_version"] == "1.0" and "letter_settings" in old and "call_snapshot" not in old
    report = DossierReport.load(old)
    assert report.schema_version == SCHEMA_VERSION
    assert report.call_snapshot.letters.sender == old["letter_settings"]["sender"]
    assert report.call_snapshot.submission.closes is not None and not report.call_snapshot.complete
    assert report.deposit is not None and report.deposit.moment.isoformat() == old["date_depot"]
    assert [f.fingerprint for f in report.findings] == [f["fingerprint"] for f in old["findings"]]
    # rendered with the report's own facts: no configuration is read
    folder = tmp_path / old["dossier"]
    write_dossier_reports(report, folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert old["call_title"] in page and "illisible" not in page.split("Dépôt", 1)[1][:400]
    if report.waived_findings:
        assert "Devis rectifié reçu par courriel" in page
    if report.verdict.value == "a_completer":
        text = "\n".join(p.text for p in Document(str(folder / "courrier.docx")).paragraphs)
        assert old["letter_settings"]["sender"] in text
    # what is written now is the current version, and reads back unchanged
    again = DossierReport.model_validate(load_json(folder / "report.json"))
    assert again.to_json() == report.to_json()


def test_a_summary_of_the_previous_release_is_rebuilt_from_the_reports_own_snapshot(tmp_path):
    from instruction.rerender import refresh_summary

    out = tmp_path / "sortie"
    old_summary = json.loads((SAMPLES / "summary-1.0.json").read_text(encoding="utf-8"))
    for row in old_summary["dossiers"]:
        folder = out / Path(row["report"]).parent
        folder.mkdir(parents=True)
        sample = "report-1.0-leve.json" if row["verdict"] == "recevable" else "report-1.0-a-completer.json"
        data = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))
        (folder / "report.json").write_text(json.dumps({**data, "dossier": row["dossier"]}), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(old_summary), encoding="utf-8")
    refresh_summary(out, {}, only={old_summary["dossiers"][0]["dossier"]})
    summary = load_json(out / "summary.json")
    assert summary["call_snapshot"]["id"] == SHIPPED and summary["totals"]["dossiers"] == len(old_summary["dossiers"])
    assert (out / "summary.html").is_file() and (out / "regles.html").is_file()


def test_renderers_never_read_the_call_configuration():
    """The report's snapshot is the only source of the call's facts under reports/ and web/."""
    offending = []
    for folder in ("reports", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"core\.config|load_call", text):
                offending.append(str(path.relative_to(ROOT)))
    assert offending == []


# --------------------------------------------------------------------------- the deposit


DEPOSIT_FORMS = [
    ("2022-09-28T17:42:10+02:00", "28 septembre 2022 à 17:42"),
    ("2022-09-28T15:42:10Z", "28 septembre 2022 à 17:42"),
    ("28/09/2022 à 17:42", "28 septembre 2022 à 17:42"),
    ("28/09/2022 17:42", "28 septembre 2022 à 17:42"),
    ("28 septembre 2022 à 17h42", "28 septembre 2022 à 17:42"),
    ("mercredi 28 septembre 2022 17h42", "28 septembre 2022 à 17:42"),
    ("28 septembre 22 17:09", "28 septembre 2022 entre 17:00 et 17:59"),
    ("28 septembre 22 17:42", "28 septembre 2022 à 17:42"),
    ("2022-09-28 17:42:10 +0200", "28 septembre 2022 à 17:42"),
    ("28/09/2022", "28 septembre 2022"),
]


@pytest.fixture(scope="module")
def clean_dossier(tmp_path_factory) -> Path:
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("depot-src")
    generate(out, calls=[SHIPPED], only=["clean-workbook"])
    [dossier] = (out / SHIPPED / "dossiers").iterdir()
    return dossier


@pytest.mark.parametrize(("written", "shown"), DEPOSIT_FORMS)
def test_the_report_shows_the_deposit_date_dep_01_read(tmp_path, clean_dossier, written, shown):
    dossier = tmp_path / "dossiers" / clean_dossier.name
    shutil.copytree(clean_dossier, dossier)
    form = json.loads((dossier / "dossier.json").read_text(encoding="utf-8"))
    form["date_depot"] = written
    (dossier / "dossier.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    report = analyse_dossier(dossier, load_call(SHIPPED), tmp_path / "out")
    assert report.deposit is not None, written
    assert "DEP-01" not in {f.rule for f in report.findings}  # in the window: 15 March – 30 September 2022
    page = (tmp_path / "out" / clean_dossier.name / "report.html").read_text(encoding="utf-8")
    deposit = page[page.index("<dt>Dépôt</dt>") :][:600]
    assert shown in deposit and "illisible" not in deposit, deposit


# --------------------------------------------------------------------------- a copied call


@pytest.fixture(scope="module")
def copied_call(tmp_path_factory, generated) -> tuple[Path, Path, dict]:
    """A shipped call copied to a new id with its own envelope and letterhead, run on the
    dossiers generated for the shipped call: (call file, output folder, expected cases)."""
    from flows.call import run_call

    root = tmp_path_factory.mktemp("copie")
    data = yaml.safe_load((CALLS_DIR / f"{SHIPPED}.yaml").read_text(encoding="utf-8"))
    data["id"] = COPY_ID
    data["title"] = "Appel à projets ESMS numérique — copie de test"
    data["history"]["envelope"] = {"value": ENVELOPE, "source": "délibération de test"}
    data["letters"] = LETTERHEAD
    path = root / "ma-copie.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    expected = load_json(generated / SHIPPED / "expected.json")
    cases = {v["case"]: k for k, v in expected["dossiers"].items()}
    dossiers = root / "dossiers"
    dossiers.mkdir()
    for case in ("GRP-09", "PIE-03", "clean-workbook"):
        [entry] = (generated / SHIPPED / "dossiers").glob(f"{cases[case]}*")
        (shutil.copytree if entry.is_dir() else shutil.copy)(entry, dossiers / entry.name)
    out = root / "sortie"
    run_call(dossiers, load_call(path), out)
    return path, out, cases


def _assert_the_copy_is_rendered(out: Path, numero: str) -> None:
    report = DossierReport.model_validate(load_json(out / numero / "report.json"))
    assert report.call_snapshot.id == COPY_ID and report.call_snapshot.envelope == ENVELOPE
    assert report.call_snapshot.letters.signatory == LETTERHEAD["signatory"]["value"]
    page = html.unescape((out / numero / "report.html").read_text(encoding="utf-8"))
    assert LETTERHEAD["sender"]["value"] in page and LETTERHEAD["signatory"]["value"] in page
    letter = "\n".join(p.text for p in Document(str(out / numero / "courrier.docx")).paragraphs)
    for key in ("sender", "service", "signatory"):
        assert LETTERHEAD[key]["value"] in letter, key
    assert "Villeurbanne, le " in letter and "21 jours" in letter
    shipped = load_call(SHIPPED).letter_settings().sender.value
    assert shipped not in letter
    summary = load_json(out / "summary.json")
    assert summary["call_id"] == COPY_ID and summary["totals"]["envelope"]["envelope"] == ENVELOPE
    rules_page = (out / "regles.html").read_text(encoding="utf-8")
    assert "1\u202f234\u202f567\u00a0€" in rules_page


def test_a_lift_from_the_web_keeps_the_copied_calls_envelope_and_letterhead(copied_call, tmp_path):
    from instruction.accounts import AccountStore, create_account
    from instruction.store import default_url
    from web.app import create_app
    from web.settings import WebSettings

    _, out, cases = copied_call
    numero = cases["GRP-09"]
    accounts = AccountStore(default_url(out))
    create_account(accounts, "claire", "decideur", "mot-de-passe-de-test")
    accounts.close()
    app = create_app(WebSettings(out_dirs=[out], secret_key="k" * 48, failed_login_delay=0.01))
    client = TestClient(app, follow_redirects=False, headers={"accept": "text/html"})
    token = _csrf(client.get("/connexion").text)
    client.post("/connexion", data={"csrf": token, "nom": "claire", "mot_de_passe": "mot-de-passe-de-test"})
    url = f"/appels/{COPY_ID}/dossiers/{numero}"
    page = client.get(url).text
    target = next(f for f in load_json(out / numero / "report.json")["findings"] if f["rule"] == "BUD-04")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    lifted = client.post(
        url + "/lever",
        data={"csrf": _csrf(page), "version": version, "empreinte": target["fingerprint"], "motif": "Vu avec l'ARS"},
    )
    assert lifted.status_code == 303, lifted.text
    assert load_json(out / numero / "report.json")["counts"]["leves"] == 1
    _assert_the_copy_is_rendered(out, numero)
    committee = html.unescape(client.get(f"/appels/{COPY_ID}/comite").text)
    assert "1\u202f234\u202f567\u00a0€" in committee and "délibération de test" in committee


def test_a_lift_from_the_command_line_keeps_the_copied_calls_envelope_and_letterhead(copied_call):
    from esmsnum.cli import main

    _, out, cases = copied_call
    numero = cases["PIE-03"]
    result = CliRunner().invoke(
        main, ["lever", numero, "PIE-03", "--motif", "Fichier natif reçu par courriel", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_json(out / numero / "report.json")["counts"]["leves"] >= 1
    _assert_the_copy_is_rendered(out, numero)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
