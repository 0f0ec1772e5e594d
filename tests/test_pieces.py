"""The pieces of a dossier, kept by the run beside its report (``OUT/<dossier>/pieces/``) and
served by the workspace (issue 27: « les pièces justificatives ne s'ouvrent pas depuis le web ;
les liens du rapport imprimable mènent à une 404 »), over the run of ``test_reports_pipeline``:

- a piece downloads byte for byte, as an attachment, never as a page; the zip holds every piece;
- lecture reads them, no session is sent to the login page;
- a report.json edited to point outside ``pieces/`` (``../../etc/passwd``, an absolute path) or a
  link planted in ``pieces/`` is a 404; a hostile name stays inside ``pieces/``;
- a dossier taken from the cache keeps its pieces; a corrected submission replaces them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from html import unescape
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from fastapi.testclient import TestClient
from test_reports_pipeline import CALL, HOSTILE_CASE, reports_run
from test_web_app import PASSWORDS, ROLES, dossier_url, login

from conftest import esmsnum, load_json


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from instruction.accounts import AccountStore, create_account
    from instruction.store import default_url
    from web.app import create_app
    from web.settings import WebSettings

    out, cases = reports_run()
    root = tmp_path_factory.mktemp("pieces")
    work = root / "out"
    shutil.copytree(out, work, symlinks=True)
    db = AccountStore(default_url(work))
    for name in ("lea", "marie"):
        create_account(db, name, ROLES[name], PASSWORDS[name])
    db.close()
    app = create_app(WebSettings(out_dirs=[work], secret_key="k" * 48, failed_login_delay=0.01))
    return app, work, cases


def _documents(work: Path, numero: str) -> list[dict]:
    return load_json(work / numero / "report.json")["documents"]


def _piece_url(numero: str, name: str) -> str:
    return f"{dossier_url(numero)}/pieces/{quote(name, safe='')}"


def test_a_piece_downloads_as_it_was_received_with_safe_headers(served):
    app, work, cases = served
    lea = login(app, "lea")  # lecture reads the pieces
    numero = cases["clean-workbook"]
    documents = _documents(work, numero)
    assert documents and all(d["piece"]["path"].startswith("pieces/") for d in documents)
    for document in documents:
        name = document["piece"]["path"].removeprefix("pieces/")
        response = lea.get(_piece_url(numero, name))
        assert response.status_code == 200, name
        assert hashlib.sha256(response.content).hexdigest() == document["sha256"], "byte for byte as received"
        assert len(response.content) == document["piece"]["size"]
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert response.headers["x-content-type-options"] == "nosniff"
        media = response.headers["content-type"]
        assert "html" not in media
        expected = {".pdf": "application/pdf", ".json": "application/octet-stream"}.get(Path(name).suffix)
        assert expected is None or media.startswith(expected), (name, media)
    page = lea.get(dossier_url(numero)).text
    assert "Télécharger le dossier (zip)" in page
    linked = {unescape(h) for h in re.findall(r'href="([^"]+/pieces/[^"]+)"', page)}
    assert linked == {_piece_url(numero, d["piece"]["path"].removeprefix("pieces/")) for d in documents}
    assert "\u00a0ko)" in page, "sizes in French units"


def test_the_zip_holds_every_kept_piece(served):
    app, work, cases = served
    lea = login(app, "lea")
    numero = cases["PIE-03"]  # a zip dossier: its members are the pieces
    response = lea.get(dossier_url(numero) + "/pieces.zip")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = work / numero / "pieces"
    assert sorted(archive.namelist()) == sorted(p.name for p in folder.iterdir())
    for name in archive.namelist():
        assert archive.read(name) == (folder / name).read_bytes()


def test_no_session_is_sent_to_the_login_page(served):
    app, work, cases = served
    anonymous = TestClient(app, follow_redirects=False, headers={"accept": "text/html"})
    numero = cases["clean-workbook"]
    for url in (_piece_url(numero, "dossier.json"), dossier_url(numero) + "/pieces.zip"):
        response = anonymous.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion?suite=")


def test_the_printable_reports_piece_links_lead_to_the_pieces(served):
    app, work, cases = served
    lea = login(app, "lea")
    numero = cases[HOSTILE_CASE]
    url = dossier_url(numero) + "/rapport"
    links = [unescape(h) for h in re.findall(r'href="(pieces/[^"]+)"', lea.get(url).text)]
    assert len(links) == len(_documents(work, numero))
    for href in links:
        response = lea.get(urljoin("http://testserver" + url, href))
        assert response.status_code == 200, href
        assert "html" not in response.headers["content-type"]


def test_a_report_pointing_outside_its_pieces_or_a_planted_link_is_a_404(served):
    app, work, cases = served
    lea = login(app, "lea")
    numero = cases["GRP-05"]
    path = work / numero / "report.json"
    original = path.read_bytes()
    data = json.loads(original)
    first, second = data["documents"][0], data["documents"][1]
    try:
        first["piece"]["path"] = "pieces/../../summary.json"
        second["piece"]["path"] = "/etc/passwd"
        data["documents"].append({**first, "file": "x", "piece": {"path": "../../etc/passwd"}})
        path.write_text(json.dumps(data), encoding="utf-8")
        for name in (
            "..%2F..%2Fsummary.json",
            "../../summary.json",
            "passwd",
            "%2Fetc%2Fpasswd",
            "%2E%2E",
            "summary.json",
        ):
            assert lea.get(f"{dossier_url(numero)}/pieces/{name}").status_code == 404, name
        page = lea.get(dossier_url(numero)).text
        assert "etc/passwd" not in re.sub(r"<td class=\"file\">[^<]*", "", page), "never linked"
        assert page.count("pièce non conservée") >= 3
    finally:
        path.write_bytes(original)
    kept = data["documents"][2]["piece"]["path"].removeprefix("pieces/")
    planted = work / numero / "pieces" / kept
    saved = planted.read_bytes()
    planted.unlink()
    planted.symlink_to(work / "summary.json")
    try:
        assert lea.get(_piece_url(numero, kept)).status_code == 404, "a link is never followed"
        archive = zipfile.ZipFile(io.BytesIO(lea.get(dossier_url(numero) + "/pieces.zip").content))
        assert kept not in archive.namelist()
    finally:
        planted.unlink()
        planted.write_bytes(saved)


def test_hostile_names_stay_inside_the_pieces_folder(served):
    from reports.piece_copies import MAX_NAME_BYTES, safe_name, safe_names

    _, work, cases = served
    bidi = "facture\u202egpj.exe"
    names = safe_names(
        ["../../etc/passwd", bidi, "a/Budget.xlsx", "b/budget.XLSX", "x" * 300 + ".pdf", "..", "CON.pdf"]
    )
    assert names["../../etc/passwd"] == "passwd"
    assert "\u202e" not in names[bidi]
    assert names["a/Budget.xlsx"] == "Budget.xlsx" and names["b/budget.XLSX"] == "budget (2).XLSX"
    assert len(names["x" * 300 + ".pdf"].encode()) <= MAX_NAME_BYTES and names["x" * 300 + ".pdf"].endswith(".pdf")
    assert names[".."] == "piece" and names["CON.pdf"] == "_CON.pdf"
    assert all(name == safe_name(name) and "/" not in name for name in names.values())
    folder = (work / cases[HOSTILE_CASE] / "pieces").resolve()
    for entry in folder.iterdir():
        assert entry.resolve().parent == folder and not entry.is_symlink()
        assert not set(entry.name) & set('<>:"\\|?*')


def test_the_cache_keeps_the_pieces_and_a_corrected_submission_replaces_them(served, tmp_path):
    from core.config import load_call
    from core.report import DossierReport
    from judging.keep_pieces import keep_pieces
    from reports.piece_copies import piece_row, safe_name

    _, work, cases = served
    out, _ = reports_run()
    numero, corrected = cases["GRP-06"], cases["BUD-03"]
    calls = tmp_path / "dossiers"
    for dossier in (numero, corrected):  # two dossiers are enough: one unchanged, one corrected
        shutil.copytree(out.parent / "fixtures" / CALL / "dossiers" / dossier, calls / dossier)
    config = load_call(CALL)
    folder = work / numero / "pieces"
    before = {p.name: p.stat().st_ino for p in folder.iterdir()}
    # a report taken from the cache knows nothing of the copies: they are found, not written again
    cached = DossierReport.load(load_json(work / numero / "report.json"))
    for document in cached.documents:
        document.piece = None
    keep_pieces(cached, calls / numero, work / numero, config.limits)
    assert {p.name: p.stat().st_ino for p in folder.iterdir()} == before
    assert [d.piece.path for d in cached.documents] == [d["piece"]["path"] for d in _documents(work, numero)]
    # a file over the per-file limit is listed, not kept, and the page says why
    small = config.limits.model_copy(update={"max_file_mb": 0.02})
    shutil.copytree(work / numero, tmp_path / "small")
    keep_pieces(cached, calls / numero, tmp_path / "small", small)
    large = [d for d in cached.documents if d.piece.size and d.piece.size > 0.02 * 1024 * 1024]
    assert large and all(d.piece.path is None and d.piece.not_kept.startswith("fichier de") for d in large)
    assert not {safe_name(d.file) for d in large} & {p.name for p in (tmp_path / "small" / "pieces").iterdir()}
    assert piece_row(large[0])["note"].startswith("pièce non conservée : fichier de")
    # a run over the same output folder: the dossiers come from the cache, the pieces stay
    rerun = tmp_path / "out"
    finess = out.parent / "finess"
    dropped, changed = (
        sorted(p for p in (calls / corrected).iterdir() if p.suffix == ".pdf")[0],
        calls / corrected / "dossier.json",
    )
    first = esmsnum("run", str(calls), "--call", CALL, "--out", str(rerun), "--finess", str(finess))
    assert first.returncode == 0, first.stderr[-2000:]
    kept = {p.name: p.stat().st_ino for p in (rerun / numero / "pieces").iterdir()}
    dropped.unlink()  # the owner sends a corrected dossier: one file less, one changed
    changed.write_text(changed.read_text(encoding="utf-8").replace("}", ', "note": "corrigé"}', 1), encoding="utf-8")
    second = esmsnum("run", str(calls), "--call", CALL, "--out", str(rerun), "--finess", str(finess))
    assert second.returncode == 0, second.stderr[-2000:]
    assert load_json(rerun / "summary.json")["run"]["dossiers_cached"] == 1
    assert {p.name: p.stat().st_ino for p in (rerun / numero / "pieces").iterdir()} == kept, "cached: kept"
    pieces = rerun / corrected / "pieces"
    assert dropped.name not in {p.name for p in pieces.iterdir()}, "no stale piece"
    assert (pieces / "dossier.json").read_bytes() == changed.read_bytes(), "the corrected file replaces the old"
    assert sorted(p.name for p in pieces.iterdir()) == sorted(
        d["piece"]["path"].removeprefix("pieces/") for d in _documents(rerun, corrected)
    )
