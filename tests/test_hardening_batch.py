"""Issue 24, batch side: a hostile or unlucky call folder never loses a dossier.

One call folder holds every hostile dossier of the issue beside clean ones; it is run once,
in a real process, by ``esmsnum run``. Each row of the issue is a test reading the report of
its dossier; the last test checks the whole call (exit 0, one report per dossier, clean
dossiers recevables).

Permissions: CI runs as root, and root reads a file of mode 000 (capabilities
``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH``). When this test runs as root, the command
runs under ``setpriv`` with those two capabilities dropped from its bounding and inheritable
sets: still root (it writes the output as before), but file permissions hold for it as for
any operator. Without ``setpriv`` as root, the permission rows are skipped (said so).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, import_finess, load_json

CALL = "ars-ara-2022-regional"
DROP = "-dac_override,-dac_read_search"
CLEAN = ("clean-workbook", "clean-zip")


def _privileges_dropped() -> list[str] | None:
    """The prefix that makes file permissions hold for the command, or None when they cannot."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, f"--inh-caps={DROP}", f"--bounding-set={DROP}"] if setpriv else None


def _command() -> list[str]:
    script = Path(sys.executable).with_name("esmsnum")
    return [str(script)] if script.exists() else [sys.executable, "-m", "esmsnum"]


def _run(
    args: list[str], prefix: list[str] | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess:
    """``esmsnum ARGS`` (or ``command``) in a process of its own, after ``prefix``."""
    environment = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    environment.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    full = (prefix or []) + (command if command is not None else _command() + args)
    return subprocess.run(full, capture_output=True, text=True, timeout=900, env=environment, cwd=ROOT)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


#: dossier number → what it holds (the clean ones are the generator's numbers)
HOSTILE = {
    "2022-ARA-0901": "dossier.json is []",
    "2022-ARA-0902": "dossier.json is invalid JSON",
    "2022-ARA-0903": "dossier.json is not UTF-8",
    "2022-ARA-0904": "dossier.json of 50 MB",
    "2022-ARA-0905": "one file of mode 000",
    "2022-ARA-0906": "dossier folder of mode 000",
    "2022-ARA-0907": "zip with a file and a folder of the same name, a name part of 300 bytes",
    "2022-ARA-0908": "a link to a folder outside the call, as a dossier",
    "2022-ARA-0909": "a link to a file outside the dossier",
    "2022-ARA-0910": "bidi controls (U+202E) in a file name and in the owner's name",
}
RLO = "\u202e"


@pytest.fixture(scope="module")
def hostile_call(tmp_path_factory):
    """(call folder, output folder, the command's outcome, clean numbers)."""
    from fixtures.generate import generate

    prefix = _privileges_dropped()
    root = tmp_path_factory.mktemp("hostile-call")
    expected = generate(root / "gen", calls=[CALL], only=list(CLEAN))[CALL]["dossiers"]
    call_dir = root / "gen" / CALL / "dossiers"
    model = next(p for p in call_dir.iterdir() if p.is_dir())

    def copy(numero: str) -> Path:
        target = call_dir / numero
        shutil.copytree(model, target)
        return target

    copy("2022-ARA-0901").joinpath("dossier.json").write_text("[]", encoding="utf-8")
    copy("2022-ARA-0902").joinpath("dossier.json").write_text('{"numero": "2022-ARA-0902", ', encoding="utf-8")
    copy("2022-ARA-0903").joinpath("dossier.json").write_bytes(b'\xff\xfe{"numero": "x"}')
    copy("2022-ARA-0904").joinpath("dossier.json").write_bytes(b"{" + b" " * (50 * 1024 * 1024) + b"}")
    locked = copy("2022-ARA-0905")
    (locked / "Dossier_complet.xlsx").chmod(0)
    closed = copy("2022-ARA-0906")
    closed.chmod(0)
    (call_dir / "2022-ARA-0907.zip").write_bytes(
        _zip({"a": b"x", "a/b.txt": b"y", "x" * 296 + ".pdf": b"z", "notes.txt": b"bonjour"})
    )
    outside = root / "ailleurs"
    shutil.copytree(model, outside)
    (outside / "secret.txt").write_text("contenu hors du dossier d'appel", encoding="utf-8")
    (call_dir / "2022-ARA-0908").symlink_to(outside, target_is_directory=True)
    copy("2022-ARA-0909").joinpath("budget-lien.pdf").symlink_to(outside / "secret.txt")

    bidi = copy("2022-ARA-0910")
    (bidi / f"facture{RLO}fdp.exe").write_bytes(b"MZ\x90\x00 not a document")
    form = load_json(bidi / "dossier.json")
    form["porteur"]["raison_sociale"] = f"Association {RLO}esuoM"
    (bidi / "dossier.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    finess = import_finess(root / "gen" / CALL, root / "finess")
    out = root / "out"
    planted = root / "planted"  # a link planted in the shared output folder, as a dossier's report folder
    planted.mkdir()
    (planted / ".report.json.x.tmp").write_text("à garder", encoding="utf-8")
    out.mkdir()
    (out / "2022-ARA-0901").symlink_to(planted, target_is_directory=True)
    proc = _run(["run", str(call_dir), "--call", CALL, "--out", str(out), "--finess", str(finess)], prefix)
    closed.chmod(0o755)
    yield call_dir, out, proc, set(expected), prefix is not None


def _report(out: Path, numero: str) -> dict:
    return load_json(out / numero / "report.json")


def _pie02(report: dict) -> dict[str, str]:
    return {f["location"]["file"]: f["message"] for f in report["findings"] if f["rule"] == "PIE-02"}


def _codes(report: dict) -> set[str]:
    return {p["problem"] for p in report["file_problems"]}


@pytest.mark.parametrize(
    ("numero", "code", "words"),
    [
        ("2022-ARA-0901", "form-not-object", "un objet JSON est attendu, le fichier contient une liste"),
        ("2022-ARA-0902", "form-invalid-json", "JSON invalide : ligne 1, colonne 29"),
        ("2022-ARA-0903", "form-not-unicode", "pas en UTF-8 : octet 0xff en position 0"),
        ("2022-ARA-0904", "form-too-large", "trop volumineux (52 Mo, limite 2 Mo)"),
    ],
)
def test_an_unreadable_form_is_a_finding_of_its_dossier(hostile_call, numero, code, words):
    """Row 1: the form is unreadable, why, what to send again; the rest of the dossier is read."""
    _, out, _, _, _ = hostile_call
    report = _report(out, numero)
    assert not report["internal_error"] and report["verdict"] == "a_completer"
    assert code in _codes(report)
    message = _pie02(report)["dossier.json"]
    assert words in message and "fournir à nouveau le formulaire en ligne" in message
    assert any(d["file"] == "Dossier_complet.xlsx" for d in report["documents"])  # the rest is read
    [deposit] = [f for f in report["findings"] if f["rule"] == "DEP-01"]
    assert deposit["severity"] == "alerte" and isinstance(deposit["found"], str)


def test_a_file_this_process_may_not_read_is_a_finding_and_no_letter(hostile_call):
    """Row 2: a file of mode 000 (read as an operator: see the module docstring)."""
    _, out, _, _, permissions = hostile_call
    if not permissions:
        pytest.skip("root sans setpriv : les droits des fichiers ne s'appliquent pas")
    report = _report(out, "2022-ARA-0905")
    assert "file-not-readable" in _codes(report)
    assert "illisible par le traitement (droits d'accès refusés)" in _pie02(report)["Dossier_complet.xlsx"]
    assert not (out / "2022-ARA-0905" / "courrier.pdf").exists()  # the owner sent it: nothing to ask


def test_a_folder_this_process_may_not_read_is_told_to_the_operator_not_the_owner(hostile_call):
    """Row 3: a dossier folder of mode 000: « dossier illisible par le traitement » in the
    report and the summary, no letter asking for pieces."""
    _, out, proc, _, permissions = hostile_call
    if not permissions:
        pytest.skip("root sans setpriv : les droits des dossiers ne s'appliquent pas")
    report = _report(out, "2022-ARA-0906")
    assert report["internal_error"] and report["verdict"] == "a_completer"
    [finding] = report["findings"]
    assert "dossier illisible par le traitement" in finding["message"] and "aucun courrier" in finding["message"]
    assert not list((out / "2022-ARA-0906").glob("courrier.*"))
    summary = load_json(out / "summary.json")
    assert (
        summary["totals"]["by_file_problem"]["dossier-not-readable"]["title"] == "Dossier illisible par le traitement"
    )
    assert "Dossier illisible par le traitement" in (out / "summary.html").read_text(encoding="utf-8")


def test_a_zip_member_that_cannot_be_written_is_a_finding_the_rest_is_read(hostile_call):
    """Row 4: a file and a folder of the same name, a name part beyond 255 bytes."""
    _, out, _, _, _ = hostile_call
    report = _report(out, "2022-ARA-0907")
    assert not report["internal_error"]
    assert {"archive-name-clash", "archive-name-too-long"} <= _codes(report)
    messages = _pie02(report)
    assert "nom porté à la fois par un fichier et par un dossier" in messages["2022-ARA-0907.zip:a/b.txt"]
    assert "nom de 300 octets" in messages["2022-ARA-0907.zip:" + "x" * 296 + ".pdf"]
    assert {d["file"] for d in report["documents"]} == {"a", "notes.txt"}


def test_links_are_never_followed_and_named(hostile_call):
    """Row 5: a linked dossier entry and a linked file: never followed, a finding names them,
    no letter to the owner (the operator replaces the link)."""
    _, out, _, _, _ = hostile_call
    linked = _report(out, "2022-ARA-0908")
    assert "linked-entry" in _codes(linked) and not linked["documents"]
    assert "lien symbolique" in linked["findings"][0]["message"]
    report = _report(out, "2022-ARA-0909")
    assert "lien non suivi" in _pie02(report)["budget-lien.pdf"]
    assert "budget-lien.pdf" not in {d["file"] for d in report["documents"]}
    planted = out.parent / "planted"  # the link planted in the output folder was neither followed nor emptied
    assert sorted(p.name for p in planted.iterdir()) == [".report.json.x.tmp"]
    assert (out / "2022-ARA-0901").is_dir() and not (out / "2022-ARA-0901").is_symlink()
    for folder in (out / "2022-ARA-0908", out / "2022-ARA-0909"):
        assert not list(folder.glob("courrier.*"))
        assert "contenu hors du dossier" not in (folder / "report.json").read_text(encoding="utf-8")


def test_bidi_controls_are_shown_never_obeyed(hostile_call):
    """Row 8: U+202E in a file name and in the form's text: the HTML report and the letter
    (docx, and its text in the report) show « [U+202E] », never the control itself."""
    _, out, _, _, _ = hostile_call
    folder = out / "2022-ARA-0910"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert RLO not in html
    assert "facture[U+202E]fdp.exe" in html and "Association [U+202E]esuoM" in html
    with zipfile.ZipFile(folder / "courrier.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert RLO not in body and "[U+202E]" in body
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert RLO not in summary and "Association [U+202E]esuoM" in summary


def test_the_hostile_call_finishes_with_a_report_per_dossier(hostile_call):
    """The whole call: exit 0, one report per dossier, the clean dossiers still recevables."""
    call_dir, out, proc, clean, _ = hostile_call
    assert proc.returncode == 0, proc.stderr[-3000:]
    numbers = {p.name.removesuffix(".zip") for p in call_dir.iterdir()}
    assert numbers == clean | set(HOSTILE)
    assert {p.parent.name for p in out.glob("*/report.json")} == numbers
    summary = load_json(out / "summary.json")
    assert {d["dossier"] for d in summary["dossiers"]} == numbers
    for numero in clean:
        assert _report(out, numero)["verdict"] == "recevable", numero
    assert "Traceback" not in proc.stderr
    assert not [p for p in out.rglob("*") if p.is_symlink()]  # the planted link was replaced
    json.dumps(summary)  # the summary is plain data


def test_too_many_workers_is_a_usage_error(tmp_path):
    """Row 6: ``--workers 1000`` is refused before anything starts, in French, exit 2."""
    from conftest import esmsnum
    from core.limits import max_workers

    (tmp_path / "appel" / "2022-ARA-0001").mkdir(parents=True)
    proc = esmsnum("run", str(tmp_path / "appel"), "--call", CALL, "--out", str(tmp_path / "out"), "--workers", "1000")
    assert proc.returncode == 2
    assert f"1000 : au plus {max_workers()} processus sur cette machine" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inside", ["appel", "appel/rapports"])
def test_an_output_folder_inside_the_call_folder_is_refused(tmp_path, inside):
    """Row 7: ``--out`` the call folder or a folder inside it: refused, French message, exit 2."""
    from conftest import esmsnum

    (tmp_path / "appel" / "2022-ARA-0001").mkdir(parents=True)
    proc = esmsnum("run", str(tmp_path / "appel"), "--call", CALL, "--out", str(tmp_path / inside))
    assert proc.returncode == 2, proc.stderr
    assert "est dans le dossier d'appel" in proc.stderr and "hors du dossier d'appel" in proc.stderr
    assert not (tmp_path / "appel" / "rapports").exists()
    assert sorted(p.name for p in (tmp_path / "appel").iterdir()) == ["2022-ARA-0001"]


def _can_mount_tmpfs(folder: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{folder}'"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


def test_a_full_disk_stops_the_run_with_a_french_message_and_nothing_half_written(tmp_path):
    """Row 10: the output folder on a small tmpfs (``unshare -rm``: a mount namespace of the
    command alone, no privilege needed where user namespaces are allowed; skipped, said so,
    where they are not): the run stops with exit 1 and a French message naming what could
    not be written; every report on disk is whole (atomic writes), no temporary file is left."""
    from fixtures.generate import generate

    out = tmp_path / "out"
    out.mkdir()
    if shutil.which("unshare") is None or not _can_mount_tmpfs(out):
        pytest.skip("unshare -rm indisponible (espaces de noms utilisateur refusés) : disque plein non simulable")
    generate(tmp_path / "gen", calls=[CALL], only=list(CLEAN))
    call_dir = tmp_path / "gen" / CALL / "dossiers"
    model = next(p for p in call_dir.iterdir() if p.is_dir())
    for n in range(10):  # more reports than the tmpfs holds (the result cache is not there: private state)
        shutil.copytree(model, call_dir / f"2022-ARA-09{n:02d}")
    command = [*_command(), "run", str(call_dir), "--call", CALL]
    script = (
        f"mount -t tmpfs -o size=300k tmpfs '{out}' && "
        + " ".join(f"'{part}'" for part in [*command, "--out", str(out), "--finess", "aucune"])
        + f"; code=$?; find '{out}' -name '*.tmp' -printf 'TMP %p\\n'; "
        + f"for f in '{out}'/*/report.json; do python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \"$f\" "
        + '|| echo "BROKEN $f"; done; exit $code'
    )
    proc = _run([], command=["unshare", "-rm", "sh", "-c", script])
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("Erreur : Analyse interrompue : impossible d'écrire"), last
    assert "disque plein" in last and "Les rapports déjà écrits sont complets" in last
    assert "TMP " not in proc.stdout and "BROKEN " not in proc.stdout, proc.stdout


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory) -> Path:
    from fixtures.hostile import long_workbook

    path = tmp_path_factory.mktemp("long") / "Budget détaillé.xlsx"
    path.write_bytes(long_workbook(1_000_000))
    return path


def test_a_million_row_workbook_is_read_within_the_bounds_and_the_truncation_told(million_rows, tmp_path):
    """Row 9: a 1,000,000-row xlsx is read in a worker bounded to 60 s and 500 MB (the
    sandbox's limits: past them the file would be refused as « timeout » or « memory »); the
    truncation is an alerte; the faults on its rows are capped per rule with the rest counted."""
    from core.config import load_call
    from core.limits import Limits
    from core.models import Attachment
    from extractors.intake import sha256_file
    from extractors.sandbox import extract_isolated
    from judging.analysis import analyse_dossier
    from validators.engine import MAX_FINDINGS_PER_RULE

    attachment = Attachment(
        million_rows.name, sha256_file(million_rows), million_rows.stat().st_size, str(million_rows)
    )
    doc = extract_isolated(attachment, Limits(seconds_per_file=60, memory_mb_per_file=500))
    assert doc.readable and doc.problem is None, doc.error
    assert doc.warnings == [
        "tableau tronqué à 20\u202f000 lignes (feuille Budget) : les lignes suivantes ne sont pas lues"
    ]

    from fixtures.generate import generate

    generate(tmp_path / "gen", calls=[CALL], only=["clean-workbook"])
    dossier = next(p for p in (tmp_path / "gen" / CALL / "dossiers").iterdir() if p.is_dir())
    shutil.copy(million_rows, dossier / million_rows.name)
    report = analyse_dossier(dossier, load_call(CALL), tmp_path / "out")
    [told] = [f for f in report.findings if f.rule == "PIE-02"]
    assert told.severity.value == "alerte" and "tableau tronqué à 20\u202f000 lignes" in told.message
    by_rule: dict[str, int] = {}
    for finding in report.findings:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    assert max(by_rule.values()) <= MAX_FINDINGS_PER_RULE + 1
    capped = [f for f in report.findings if f.message.startswith("Et ") and "non détaillés" in f.message]
    assert capped and all(by_rule[f.rule] == MAX_FINDINGS_PER_RULE + 1 for f in capped)
    assert (tmp_path / "out" / dossier.name / "report.json").stat().st_size < 5_000_000


def test_the_web_never_serves_a_link_of_the_output_folder(hostile_call, tmp_path):
    """Row 5, web side: a link planted in place of an export or of a report is a 404, never
    the file it points to."""
    import re

    from fastapi.testclient import TestClient

    from instruction.accounts import AccountStore, create_account
    from instruction.store import default_url
    from web.app import create_app
    from web.settings import WebSettings

    _, out, _, clean, _ = hostile_call
    work = tmp_path / "out"
    shutil.copytree(out, work, symlinks=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("ne doit jamais être servi", encoding="utf-8")
    (work / "summary.csv").unlink()
    (work / "summary.csv").symlink_to(secret)
    numero = sorted(clean)[0]
    (work / numero / "report.html").unlink()
    (work / numero / "report.html").symlink_to(secret)
    accounts = AccountStore(default_url(work))
    create_account(accounts, "marie", "instructeur", "motdepasse-marie")
    accounts.close()
    app = create_app(WebSettings(out_dirs=[work], secret_key="k" * 48, failed_login_delay=0.01))
    client = TestClient(app, follow_redirects=False, headers={"accept": "text/html"})
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text).group(1)
    logged = client.post(
        "/connexion", data={"csrf": token, "nom": "marie", "mot_de_passe": "motdepasse-marie", "suite": "/"}
    )
    assert logged.status_code == 303
    assert client.get(f"/appels/{CALL}/exports/synthese.xlsx").status_code == 200  # real files are served
    assert client.get(f"/appels/{CALL}/dossiers/{sorted(clean)[1]}/rapport").status_code == 200
    exported = client.get(f"/appels/{CALL}/exports/synthese.csv")  # built from the reports, never OUT's file
    assert exported.status_code == 200 and "ne doit jamais" not in exported.text
    assert numero in exported.text, "the export still lists the dossier whose report.html is a link"
    response = client.get(f"/appels/{CALL}/dossiers/{numero}/rapport")
    assert response.status_code == 404 and "ne doit jamais" not in response.text
