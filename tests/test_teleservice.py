"""The Démarches simplifiées connector (``esmsnum ds``) against a local server built from the
public schema (tests/ds_server.py): every query and mutation it sends is validated there."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from ds_server import FakeDs

from conftest import esmsnum
from core.config import load_call
from fixtures.generate import generate

CALL = "ars-ara-2022-regional"
TOKEN = "ds-jeton-secret-0123456789abcdef"
CASES = ["clean-workbook", "PIE-01", "BUD-03"]
ALLOWED_MUTATIONS = {
    "dossierModifierAnnotationText",
    "dossierAjouterLabel",
    "dossierPasserEnInstruction",
    "dossierEnvoyerMessage",
}
PAST = dt.datetime(2022, 9, 30, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits of the client (429, network failures), recorded instead of slept."""
    import teleservice.client

    seen: list[float] = []
    monkeypatch.setattr(teleservice.client, "sleep", seen.append)
    return seen


@pytest.fixture
def server():
    fake = FakeDs(TOKEN).start()
    yield fake
    fake.stop()


def _env(fake: FakeDs, token: str | None = TOKEN) -> dict[str, str | None]:
    return {"DS_API_URL": fake.url, "DS_API_TOKEN": token}


def _demarche(tmp_path: Path, fake: FakeDs) -> tuple[Path, dict[str, int], dict]:
    """Generated dossiers (the project's generator) and the same dossiers on the local DS."""
    expected = generate(tmp_path / "gen", calls=[CALL], only=CASES)[CALL]
    files_dir = tmp_path / "gen" / CALL / "dossiers"
    config = load_call(CALL)
    numbers = {}
    for i, numero in enumerate(sorted(expected["dossiers"])):
        numbers[numero] = 100_001 + i
        fake.add_from_folder(numbers[numero], files_dir / numero, config, PAST)
    return files_dir, numbers, expected


def _verdicts(out_dir: Path) -> dict[str, tuple[str, list[str]]]:
    out = {}
    for path in out_dir.glob("*/report.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        out[report["dossier"]] = (report["verdict"], sorted({f["rule"] for f in report["findings"]}))
    return out


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_pull_run_publish_against_the_schema(tmp_path, server, waits, caplog):
    files_dir, numbers, expected = _demarche(tmp_path, server)
    imported = tmp_path / "appel-ds"
    outputs = []

    # A first pull, two dossiers a page: the second page meets a 429 then a dropped
    # connection, the first attachment's URL has expired when it is downloaded, and the next
    # download is cut in the middle of the file.
    server.faults.extend(["429", "drop"])
    server.fault_filter = lambda body: bool((body.get("variables") or {}).get("after"))
    server.expire_first_download = True
    server.cut_downloads = 1
    pulled = esmsnum(
        "ds",
        "importer",
        str(server.number),
        "--appel",
        CALL,
        "--dans",
        str(imported),
        "--par-page",
        "2",
        env=_env(server),
    )
    outputs.append(pulled)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert "3 dossiers reçus" in pulled.stdout and "3 dossiers écrits" in pulled.stdout
    assert 7.0 in waits  # the Retry-After of the 429
    pages = [d for d in server.documents if d["operation"] == "esmsnumDossiers"]
    second = [d["variables"]["after"] for d in pages if d["variables"]["after"]]
    assert len(second) == 3 and len(set(second)) == 1  # the same page asked again, from its cursor
    assert any(d["operation"] == "esmsnumDossier" for d in server.documents)  # expired URL asked again
    assert len(server.downloads) == len(set(server.downloads)) + 1  # the cut file, downloaded again
    assert sorted(p.name for p in imported.iterdir() if not p.name.startswith(".")) == sorted(
        map(str, numbers.values())
    )
    for numero, number in numbers.items():
        form = json.loads((imported / str(number) / "dossier.json").read_text(encoding="utf-8"))
        source = json.loads((files_dir / numero / "dossier.json").read_text(encoding="utf-8"))
        assert form["numero"] == str(number) and form["date_depot"] == source["date_depot"]
        assert {k: v for k, v in form.items() if k != "numero"} == {k: v for k, v in source.items() if k != "numero"}
        attachments = sorted(p.name for p in (files_dir / numero).iterdir() if p.name != "dossier.json")
        assert sorted(p.name for p in (imported / str(number)).iterdir() if p.name != "dossier.json") == attachments
    state = json.loads((imported / ".esmsnum-ds.json").read_text(encoding="utf-8"))
    assert state["demarches"][str(server.number)]["derniere_importation"]

    # The same verdicts as the same dossiers read from files.
    out_files, out_ds = tmp_path / "out-fichiers", tmp_path / "out-ds"
    outputs.append(esmsnum("run", str(files_dir), "--call", CALL, "--out", str(out_files)))
    outputs.append(esmsnum("run", str(imported), "--call", CALL, "--out", str(out_ds)))
    from_files, from_ds = _verdicts(out_files), _verdicts(out_ds)
    assert len(from_files) == 3
    for numero, number in numbers.items():
        assert from_ds[str(number)] == from_files[numero], numero
        assert from_files[numero][0] == expected["dossiers"][numero]["verdict"]

    # One dossier updated on the téléservice: the next pull asks only for what changed since,
    # leaves the others byte for byte, and the next run judges only that one.
    changed = numbers[sorted(numbers)[0]]
    others = {n: _snapshot(imported / str(n)) for n in numbers.values() if n != changed}
    server.update_champ(changed, "Montant total demandé", 1, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    again = esmsnum("ds", "importer", str(server.number), "--appel", CALL, "--dans", str(imported), env=_env(server))
    outputs.append(again)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 dossier reçu" in again.stdout and "1 dossier écrit" in again.stdout
    assert pages[-1]["variables"]["since"] is None
    assert server.documents[-1]["variables"]["since"] == state["demarches"][str(server.number)]["derniere_importation"]
    assert {n: _snapshot(imported / str(n)) for n in others} == others
    # Everything asked again: nothing is downloaded again, nothing rewritten.
    downloads = len(server.downloads)
    full = esmsnum(
        "ds", "importer", str(server.number), "--appel", CALL, "--dans", str(imported), "--tout", env=_env(server)
    )
    outputs.append(full)
    assert "3 dossiers reçus" in full.stdout and "0 dossier écrit" in full.stdout, full.stdout + full.stderr
    assert len(server.downloads) == downloads
    assert {n: _snapshot(imported / str(n)) for n in others} == others
    rerun = esmsnum("run", str(imported), "--call", CALL, "--out", str(out_ds))
    outputs.append(rerun)
    summary = json.loads((out_ds / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["dossiers_analysed"] == 1 and summary["run"]["dossiers_cached"] == 2

    # An instructeur asks for complements in the instruction workspace.
    from instruction.store import History

    incomplete = next(n for numero, n in numbers.items() if expected["dossiers"][numero]["verdict"] == "a_completer")
    history = History.for_output(out_ds)
    history.change(
        CALL,
        str(incomplete),
        expected_version=0,
        author="camille",
        kind="statut",
        data={"before": "a_instruire", "after": "complements_demandes"},
        status="complements_demandes",
    )
    history.close()

    args = ["ds", "publier", str(out_ds), "--instructeur", "instructrice@ars.sante.fr"]
    args += ["--identite", "camille=referent@ars.sante.fr"]
    dry = esmsnum(*args, env=_env(server))
    outputs.append(dry)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert server.mutations == []  # nothing sent without --envoyer
    assert "mutation esmsnumAnnotation" in dry.stdout and "mutation esmsnumCorrection" in dry.stdout
    planned = dry.stdout.count("\nmutation ")
    sent = esmsnum(*args, "--envoyer", env=_env(server))
    outputs.append(sent)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert len(server.mutations) == planned
    printed = [json.loads(block[block.index("\n{") :]) for block in dry.stdout.split("\n\n") if "\nmutation " in block]
    assert [p["input"] for p in printed] == [m["input"] for m in server.mutations]  # printed = sent
    kinds = [m["mutation"] for m in server.mutations]
    assert set(kinds) <= ALLOWED_MUTATIONS and kinds.count("dossierModifierAnnotationText") == 3
    correction = next(m["input"] for m in server.mutations if m["mutation"] == "dossierEnvoyerMessage")
    assert correction["correction"] == "incomplete" and correction["instructeurId"] == server.instructeurs[1]["id"]
    assert correction["dossierId"] == server.dossiers[incomplete]["id"]
    moved = [m["input"]["dossierId"] for m in server.mutations if m["mutation"] == "dossierPasserEnInstruction"]
    assert server.dossiers[incomplete]["id"] not in moved
    for dossier in server.dossiers.values():
        report = json.loads((out_ds / str(dossier["number"]) / "report.json").read_text(encoding="utf-8"))
        assert dossier["annotations"][0]["stringValue"].startswith(report["verdict_label"])
    # Sent again: what the téléservice already holds is not sent twice.
    repeat = esmsnum(*args, env=_env(server))
    outputs.append(repeat)
    assert "mutation " not in repeat.stdout

    # Every query and mutation was valid against the schema.
    assert [d for d in server.documents if d["errors"]] == []

    # The token is nowhere: files written, command outputs, logs.
    secret = TOKEN.encode()
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert secret not in path.read_bytes(), path
    for completed in outputs:
        assert TOKEN not in completed.stdout + completed.stderr
    assert TOKEN not in caplog.text


def test_token_missing_or_refused(tmp_path, server):
    generate(tmp_path / "gen", calls=[CALL], only=["PIE-01"])
    folder = next((tmp_path / "gen" / CALL / "dossiers").iterdir())
    server.add_from_folder(7, folder, load_call(CALL), PAST)
    target = tmp_path / "appel"
    missing = esmsnum(
        "ds", "importer", str(server.number), "--appel", CALL, "--dans", str(target), env=_env(server, None)
    )
    assert missing.returncode == 3 and "DS_API_TOKEN" in missing.stderr and "absent" in missing.stderr
    refused = esmsnum(
        "ds", "importer", str(server.number), "--appel", CALL, "--dans", str(target), env=_env(server, "faux")
    )
    assert refused.returncode == 3 and "Jeton d'API refusé" in refused.stderr
    assert not target.exists() or list(target.iterdir()) == []


def test_altered_attachment_is_not_written(tmp_path, server, waits):
    generate(tmp_path / "gen", calls=[CALL], only=["clean-workbook", "PIE-01"])
    folders = sorted((tmp_path / "gen" / CALL / "dossiers").iterdir())
    for n, folder in enumerate(folders, 1):
        server.add_from_folder(n, folder, load_call(CALL), PAST)
    blob = next(iter(server.blobs))
    server.blobs[blob] = server.blobs[blob] + b"altered"  # the bytes no longer match the checksum
    target = tmp_path / "appel"
    pulled = esmsnum("ds", "importer", str(server.number), "--appel", CALL, "--dans", str(target), env=_env(server))
    assert pulled.returncode == 1
    assert "somme de contrôle" in pulled.stderr or "octets reçus" in pulled.stderr
    assert [p.name for p in target.iterdir()] == ["2"]  # the other dossier, whole; no hidden leftover
    assert not (target / ".esmsnum-ds.json").exists()  # the next pull asks for both again
    shutil.rmtree(target)


def test_attachment_above_the_size_limit_is_not_downloaded(tmp_path, server):
    generate(tmp_path / "gen", calls=[CALL], only=["clean-workbook"])
    folder = next((tmp_path / "gen" / CALL / "dossiers").iterdir())
    server.add_from_folder(5, folder, load_call(CALL), PAST)
    text = Path(load_call(CALL).config_path).read_text(encoding="utf-8")
    small = tmp_path / "appel.yaml"
    small.write_text(text + "\nlimits:\n  max_file_mb: 0.001\n", encoding="utf-8")
    target = tmp_path / "appel"
    pulled = esmsnum(
        "ds", "importer", str(server.number), "--appel", str(small), "--dans", str(target), env=_env(server)
    )
    assert pulled.returncode == 1 and "trop volumineuse" in pulled.stderr
    assert server.downloads == [] and list(target.iterdir()) == []


def test_ds_section_checked_and_listed(tmp_path):
    listing = esmsnum("ds", "champs", CALL)
    rows = [line.split("\t") for line in listing.stdout.splitlines()]
    assert listing.returncode == 0 and len(rows) == len(load_call(CALL).ds.champs.value)
    assert ["Montant total demandé", "Montant total demandé"] in rows
    text = Path(load_call(CALL).config_path).read_text(encoding="utf-8")
    bad = tmp_path / "appel.yaml"
    bad.write_text(text.replace('"SIRET": porteur.siret', '"SIRET": porteur.numero_tva'), encoding="utf-8")
    checked = esmsnum("check-call", str(bad))
    assert checked.returncode == 2 and "porteur.numero_tva : champ du formulaire inconnu" in checked.stderr
    assert "Démarches simplifiées" in esmsnum("check-call", CALL).stdout
