"""Metamorphic tests (issue #29): the same dossier in any layout gets the same verdict.

Each base dossier (a case of the generator: clean ones, and one per rule that must fire) is
written in many layouts drawn from ``(base, seed)`` (``fixtures.variants``): tables moved,
split, stacked, pasted into documents, headed with another vocabulary, values typed other
ways, packed in folders, zips or téléservice exports. Every variant must be judged as its
base is: same verdict, same rule ids. A failing variant is written under
``test-output/metamorphic/<base>-<seed>/`` with ``failure.json`` (its layout and the replay
command). The variants are judged with the plain functions, readers in-process, in two
spawned processes (``fixtures.variants.check.sweep``).
"""

from __future__ import annotations

import collections
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, TEST_OUTPUT
from fixtures.variants.bases import BASES, load_base
from fixtures.variants.check import Outcome, run_variant, sweep
from fixtures.variants.plan import VOCABULARY, all_wordings, draw, vocabulary
from fixtures.variants.write import write_variant

SEEDS_PER_BASE = 17  # 18 bases × 17 seeds: 306 variants
CI_PAIRS = [(name, seed) for seed in range(SEEDS_PER_BASE) for name in BASES]
KEEP = TEST_OUTPUT / "metamorphic"
READER_VOCABULARY = ROOT / "extractors" / "headers.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, list]:
    work = tmp_path_factory.mktemp("metamorphic")
    out: dict[str, list] = collections.defaultdict(list)
    for result in sweep(CI_PAIRS, work, workers=2, keep=KEEP):
        out[result.base].append(result)
    return out


def test_the_ci_set_is_at_least_300_variants_over_10_bases_clean_and_faulty():
    assert len(CI_PAIRS) >= 300
    assert len(BASES) >= 10
    clean = [name for name in BASES if load_base(name).case.verdict == "recevable"]
    faulty = {rule for name in BASES for rule in load_base(name).case.rules}
    assert len(clean) >= 2
    assert len(faulty) >= 10


@pytest.mark.parametrize("name", list(BASES))
def test_every_variant_is_judged_as_its_base(name, results):
    failures = [r for r in results[name] if not r.passed]
    assert len(results[name]) == SEEDS_PER_BASE
    assert not failures, f"{len(failures)} variante(s) de {name} jugée(s) autrement que la base :\n" + "\n".join(
        r.explain() for r in failures
    )


def test_the_variants_vary_what_they_should(results):
    """The CI set draws every arrangement, container and value form at least once."""
    layouts = " ".join(r.layout for rs in results.values() for r in rs)
    for word in ("workbook/", "stacked/", "separate/", "csv_list/", "csv_all/", "docx_list/", "pdf_list/", "docx_all/"):
        assert word in layouts, word
    for word in ("folder/", "zip_root/", "zip_nested/", "ds/", "attached_zip/", "k€", "feuille masquée", "transposé"):
        assert word in layouts, word


def test_a_failing_variant_is_kept_with_its_seed_and_replay_command(tmp_path):
    wrong = Outcome("non_recevable", ("XXX-99",))  # no variant can match it
    result = run_variant("clean-zip", 3, wrong, tmp_path / "work", keep=tmp_path / "kept")
    assert not result.passed
    failure = json.loads((tmp_path / "kept" / "clean-zip-3" / "failure.json").read_text(encoding="utf-8"))
    assert failure["replay"] == "python -m fixtures.variants replay clean-zip 3 OUT"
    assert failure["expected"] == {"verdict": "non_recevable", "rules": ["XXX-99"]}
    assert failure["got"]["verdict"] == "recevable"
    assert failure["plan"]["seed"] == 3
    assert any(
        p.name.startswith(load_base("clean-zip").spec.numero) for p in (tmp_path / "kept" / "clean-zip-3").iterdir()
    )


def _files(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("seed", [5, 11])
def test_a_variant_is_rebuilt_byte_for_byte_from_its_base_and_seed(seed, tmp_path):
    first = write_variant(load_base("BUD-02"), draw(load_base("BUD-02"), seed), tmp_path / "a")
    again = write_variant(load_base("BUD-02"), draw(load_base("BUD-02"), seed), tmp_path / "b")
    assert _files(first) == _files(again)
    other = write_variant(load_base("BUD-02"), draw(load_base("BUD-02"), seed + 1), tmp_path / "c")
    assert _files(other) != _files(first)


def test_replay_writes_the_variant_and_its_layout(tmp_path, capsys):
    from fixtures.variants.__main__ import main

    assert main(["replay", "GRP-03", "2", str(tmp_path)]) == 0
    layout = json.loads((tmp_path / "layout.json").read_text(encoding="utf-8"))
    assert layout == draw(load_base("GRP-03"), 2).to_dict()
    printed = capsys.readouterr().out
    assert "attendu : non_recevable ['GRP-03']" in printed
    assert "obtenu  : non_recevable ['GRP-03']" in printed


# --------------------------------------------------------------------------- the vocabulary


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("œ", "oe")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _strings(node) -> set[str]:
    if isinstance(node, str):
        return {_fold(node)}
    if isinstance(node, dict):
        return set().union(set(), *(_strings(v) for k, v in node.items() if k != "label"))
    if isinstance(node, list):
        return set().union(set(), *(_strings(v) for v in node))
    return set()


def test_the_variants_vocabulary_is_not_the_readers():
    reader = _strings(yaml.safe_load(READER_VOCABULARY.read_text(encoding="utf-8")))
    copied = [f"{section}.{key}: « {text} »" for section, key, text, _ in all_wordings() if _fold(text) in reader]
    assert not copied, "Intitulés du vocabulaire des variantes présents tels quels dans extractors/headers.yaml :\n" + (
        "\n".join(copied)
    )
    assert VOCABULARY.parent != READER_VOCABULARY.parent


def test_every_wording_names_its_public_source():
    sources = vocabulary()["sources"]
    assert len(sources) >= 5
    unknown = [f"{key}: « {text} » ({source})" for _, key, text, source in all_wordings() if source not in sources]
    assert not unknown, "\n".join(unknown)
    assert len({_fold(text) for _, _, text, _ in all_wordings()}) >= 60


def test_writing_a_variant_leaves_its_base_unchanged(tmp_path):
    """The sweep shares one base between its variants: writing one must not change it."""
    import pickle

    base = load_base("BUD-01", fresh=False)
    before = pickle.dumps(base.spec)
    for seed in range(4):
        write_variant(base, draw(base, seed), tmp_path / str(seed))
    assert pickle.dumps(base.spec) == before


def test_the_report_says_how_each_table_was_recognised(tmp_path):
    """report.json ``documents[].tables`` and report.html « Lecture des pièces »: kind, which
    way the table was read, the header of each field, the unit."""
    from core.config import load_call
    from extractors.extract import extract
    from judging.analysis import judge_dossier
    from judging.finalize import finalize_report
    from reports.dossier import write_dossier_reports

    base = load_base("clean-workbook", fresh=False)
    seed = next(
        s for s in range(200) if draw(base, s).transposed == ["planning"] and draw(base, s).arrangement == "workbook"
    )
    plan = draw(base, seed)
    path = write_variant(base, plan, tmp_path / "in")
    report = judge_dossier(path, load_call(base.call.id), extract)
    final = finalize_report(report, lot=[], waivers=[], latest=None, submission_sha256="").report
    write_dossier_reports(final, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    tables = {t["kind"]: t for d in data["documents"] for t in d.get("tables", [])}
    assert set(tables) == {"structures", "budget_essms", "budget_lignes", "planning"}
    planning = tables["planning"]
    assert planning["orientation"] == "colonnes" and planning["rows"] == len(base.spec.planning)
    assert {"field": "phase", "label": "phase", "header": plan.headers["planning"]["phase"].replace("\n", " ")} in [
        {**c, "header": c["header"].replace("\n", " ")} for c in planning["columns"]
    ]
    assert tables["structures"]["orientation"] == "lignes" and tables["structures"]["used"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Lecture des pièces" in html
    assert "tableau en colonnes (en-têtes dans la première colonne" in html
