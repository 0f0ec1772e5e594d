"""Nothing is read twice when nothing changed (``judging.hashindex``): a re-run of an unchanged
call hashes no file, extracts nothing and renders no report; a corrected dossier is re-read,
re-extracted and re-rendered alone (with the call's summary). Counted with the run counters the
flow writes in ``summary.json`` and the report files on disk, never with timings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import generated_cases, run_call

CALL = "ars-ara-2022-regional"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return generated_cases(tmp_path_factory, "twice-src", CALL, ["clean-workbook", "clean-zip", "PIE-01"])


def _files(call_dir: Path) -> int:
    return sum(1 for p in call_dir.iterdir() if p.suffix == ".zip") + sum(
        1 for d in call_dir.iterdir() if d.is_dir() for f in d.rglob("*") if f.is_file()
    )


def _rendered(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/report.html")}


def test_an_unchanged_call_reads_nothing_and_a_corrected_dossier_only_itself(source, tmp_path):
    call_dir, out = tmp_path / "call", tmp_path / "out"
    shutil.copytree(source, call_dir)
    cold = run_call(call_dir, out, CALL)["run"]
    assert cold["files_hashed"] == _files(call_dir) and cold["files_known"] == 0
    assert cold["dossiers_analysed"] == 3 and cold["documents_extracted"] > 0 and cold["reports_written"] == 3
    before = _rendered(out)

    unchanged = run_call(call_dir, out, CALL)["run"]
    assert unchanged["files_hashed"] == 0 and unchanged["files_known"] == _files(call_dir)
    assert unchanged["dossiers_analysed"] == 0 and unchanged["documents_extracted"] == 0
    assert unchanged["reports_written"] == 0 and _rendered(out) == before

    # touched, not changed: read again to know it, nothing else redone
    folder = next(d for d in sorted(call_dir.iterdir()) if d.is_dir())
    touched = next(f for f in folder.rglob("*") if f.is_file())
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    same = run_call(call_dir, out, CALL)["run"]
    assert same["files_hashed"] == 1 and same["dossiers_analysed"] == 0 and same["reports_written"] == 0

    # one cell of one workbook corrected: that file re-read, that dossier re-extracted and re-rendered
    corrected = next(d for d in sorted(call_dir.iterdir()) if d.is_dir() and any(d.glob("*.xlsx")))
    workbook = sorted(corrected.glob("*.xlsx"))[0]
    book = openpyxl.load_workbook(workbook)
    book.worksheets[0]["A1"] = f"{book.worksheets[0]['A1'].value or ''} (corrigé)"
    book.save(workbook)
    again = run_call(call_dir, out, CALL)["run"]
    assert again["files_hashed"] == 1
    assert again["dossiers_analysed"] == 1 and again["documents_extracted"] == 1 and again["dossiers_cached"] == 2
    assert again["reports_written"] == 1
    after = _rendered(out)
    assert [n for n in after if after[n] != before[n]] == [corrected.name]


def test_the_index_never_vouches_for_what_it_could_not_read(tmp_path):
    """A file that could not be read (its key None) is read again next time; a file changed
    while it was hashed is not recorded either; the index lives in the private state folder."""
    from judging.hashindex import HashIndex

    file = tmp_path / "budget.csv"
    file.write_text("a;b\n", encoding="utf-8")
    index = HashIndex.for_call(tmp_path)
    assert index.value(file, lambda p: None) is None
    index.save()
    again = HashIndex.for_call(tmp_path)
    assert again.value(file, lambda p: "clé") == "clé" and again.hashed == 1
    again.save()
    third = HashIndex.for_call(tmp_path)
    assert third.value(file, lambda p: "autre") == "clé" and third.reused == 1
    assert oct(third.path.stat().st_mode & 0o777) == "0o600" and os.environ["ESMSNUM_STATE_DIR"] in str(third.path)

    def changing(path: Path) -> str:
        path.write_text("a;b\n1;2\n", encoding="utf-8")
        return "pendant"

    fourth = HashIndex(tmp_path / "index.json")
    fourth.value(file, changing)
    fourth.save()
    assert HashIndex(tmp_path / "index.json").value(file, lambda p: "relu") == "relu"


def test_another_renderer_renders_every_report_again_without_reading_anything(source, tmp_path):
    import json

    from judging.hashindex import Rendered

    call_dir, out = tmp_path / "call", tmp_path / "out"
    shutil.copytree(source, call_dir)
    run_call(call_dir, out, CALL)
    rendered = Rendered.for_output(out)
    assert json.loads(rendered.path.read_text(encoding="utf-8")) == {"renderer": rendered.version}
    rendered.path.write_text(json.dumps({"renderer": "une version précédente"}), encoding="utf-8")
    again = run_call(call_dir, out, CALL)["run"]
    assert again["reports_written"] == 3 and again["documents_extracted"] == 0 and again["files_hashed"] == 0
    assert run_call(call_dir, out, CALL)["run"]["reports_written"] == 0
