"""The fixed cost of a command: heavy libraries are imported only when a command needs them
(``esmsnum --help`` imports neither Prefect nor pandas; the call flow imports neither the
readers, pandas nor spaCy until a dossier must be judged). Checked on ``sys.modules`` of a
fresh interpreter, never on timings."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

HEAVY = ("prefect", "pandas", "pandera", "spacy", "pdfplumber", "openpyxl", "pypdfium2", "docx", "sqlalchemy")


def _imported_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {name.split(".")[0] for name in json.loads(proc.stdout.splitlines()[-1])}


def test_the_command_line_imports_nothing_heavy():
    assert not _imported_after("import esmsnum.cli") & set(HEAVY)


def test_loading_a_call_configuration_imports_neither_pandas_nor_the_rules():
    loaded = _imported_after("from validators.engine import load_call; load_call('ars-ara-2022-regional')")
    assert not loaded & {"pandas", "pandera", "spacy", "prefect"}


def test_the_flow_imports_no_reader_no_pandas_no_spacy_until_a_dossier_is_judged():
    loaded = _imported_after("import flows.call")
    assert "prefect" in loaded
    assert not loaded & {"pandas", "pandera", "spacy", "pdfplumber", "openpyxl", "pypdfium2", "docx"}


def test_the_rule_catalogue_loads_without_pandas_and_ids_come_without_importing_it():
    from validators.registry import all_rules, rule_ids

    assert rule_ids() == list(all_rules())
    loaded = _imported_after("from validators.registry import all_rules; all_rules()")
    assert not loaded & {"pandas", "pandera", "spacy"}


def test_french_stop_words_are_spacys_without_importing_spacy():
    loaded = _imported_after(
        "from validators.prose import french_ratio; assert french_ratio('le projet de la ville') > 0.5"
    )
    assert "spacy" not in loaded
    from spacy.lang.fr.stop_words import STOP_WORDS

    from extractors.values import fold
    from validators.prose import _french_stop_words

    assert _french_stop_words() == frozenset(fold(w) for w in STOP_WORDS)


def test_the_report_renderers_are_imported_only_when_a_report_is_written():
    """An unchanged call renders no report: the flow does not import the dossier report and
    letter renderers (docx, PDF) until it writes one."""
    code = "import flows.call"
    loaded = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    modules = set(json.loads(loaded.stdout.splitlines()[-1]))
    assert not modules & {"reports.dossier", "reports.letter", "reports.letter_pdf", "fpdf", "docx"}


def test_a_command_handed_to_the_kept_server_imports_no_prefect():
    """``esmsnum run`` with the kept server running costs a file read and a socket: the
    command's side of the hand-over (``flows.server``, ``flows.warm``) imports no Prefect."""
    loaded = _imported_after("import flows.server, flows.warm; flows.server.read_state(); flows.server.idle_setting()")
    assert not loaded & set(HEAVY)
