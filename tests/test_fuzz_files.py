"""Property-based: mutated xlsx, PDF and docx bytes never crash the analysis; a report is
always written, and a file that cannot be read is named in a PIE-02 finding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import load_call
from judging.analysis import analyse_dossier

CONFIG = load_call("ars-ara-2022-regional")


@pytest.fixture(scope="module")
def sources(generated) -> dict[str, bytes]:
    """One real file of each format, made by the project's generator."""
    found: dict[str, bytes] = {}
    for path in sorted((generated / "ars-ara-2022-regional" / "dossiers").rglob("*")):
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("xlsx", "pdf", "docx") and suffix not in found and path.stat().st_size < 400_000:
            found[suffix] = path.read_bytes()
    assert set(found) == {"xlsx", "pdf", "docx"}, found.keys()
    return found


@st.composite
def mutations(draw, size: int):
    """A list of byte edits: overwrite, truncate, or insert garbage."""
    edits = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "zero"]))
        position = draw(st.integers(0, max(0, size - 1)))
        payload = draw(st.binary(min_size=1, max_size=64))
        edits.append((kind, position, payload))
    return edits


def mutate(data: bytes, edits) -> bytes:
    buffer = bytearray(data)
    for kind, position, payload in edits:
        position = min(position, len(buffer))
        if kind == "flip":
            buffer[position : position + len(payload)] = payload
        elif kind == "truncate":
            del buffer[position:]
        elif kind == "insert":
            buffer[position:position] = payload
        else:
            buffer[position : position + len(payload)] = bytes(len(payload))
    return bytes(buffer)


def _check(tmp: Path, name: str, data: bytes) -> None:
    dossier = tmp / "call" / "FUZZ-0001"
    shutil.rmtree(tmp / "call", ignore_errors=True)
    dossier.mkdir(parents=True)
    (dossier / name).write_bytes(data)
    outcome = analyse_dossier(dossier, CONFIG, tmp / "out").to_json()
    report = json.loads((tmp / "out" / "FUZZ-0001" / "report.json").read_text(encoding="utf-8"))
    assert not outcome["internal_error"], report["findings"]
    assert report["verdict"] in ("recevable", "a_completer", "non_recevable")
    # a mutation can turn a workbook into a plain zip: its members are then documents of their
    # own, or the archive is refused as a whole (PIE-02 on the file)
    refused = {f["location"]["file"] for f in report["findings"] if f["rule"] == "PIE-02"}
    named = {d["file"] for d in report["documents"]} | refused
    assert any(n == name or n.startswith(name + "/") for n in named), (name, named)
    for document in report["documents"]:
        if document["kind"] == "illisible":
            where = document["file"]
            assert any(f["rule"] == "PIE-02" and f["location"]["file"] == where for f in report["findings"]), where


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "docx"])
@FUZZ
@given(data=st.data())
def test_mutated_files_always_give_a_report(fmt, data, sources, tmp_path):
    original = sources[fmt]
    edits = data.draw(mutations(len(original)))
    _check(tmp_path, f"piece.{fmt}", mutate(original, edits))
