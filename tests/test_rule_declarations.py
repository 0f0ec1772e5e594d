"""Each rule owns its declaration, and its declared parameters are exactly what it reads.

A rule's check sees the call configuration through a view limited to its declared ``params``
(validators/config_view.py): reading another key raises. Running every rule over the
generator's dossiers of every shipped call proves that no rule reads an undeclared key, and
that every declared key is read somewhere — so the parameters docs/rules.md lists are true.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pandera.pandas as pa
import pytest

from core.config import load_call
from extractors.intake import discover_dossiers, open_dossier
from judging.analysis import read_dossier
from validators.call_review import review_call
from validators.config_view import ConfigView, ReadLog, UndeclaredParameter
from validators.engine import run_rules
from validators.registry import all_rules, parse_rule_doc, rule

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the view


def test_a_view_returns_declared_keys_and_refuses_the_others():
    config = load_call("ars-ara-2022-regional")
    reads = ReadLog()
    view = ConfigView(config, "BUD-99", ("funding.amount_tolerance", "region.name"), reads)
    assert view.funding.amount_tolerance == config.funding.amount_tolerance
    assert view.region.name.value == config.region.name.value
    with pytest.raises(UndeclaredParameter, match=r"BUD-99.*'funding.equipment_ceiling'"):
        view.funding.equipment_ceiling  # noqa: B018
    with pytest.raises(UndeclaredParameter, match="'channel'"):
        getattr(view, "channel", None)  # a default does not hide an undeclared read
    assert reads.read == {"BUD-99": {"funding.amount_tolerance", "region.name"}}
    assert reads.undeclared == {"BUD-99": {"funding.equipment_ceiling", "channel"}}


def test_a_section_absent_from_the_call_reads_as_none():
    national = load_call("cnsa-2022-national")
    assert national.region is None
    assert ConfigView(national, "GRP-05", ("region.name", "region.departments")).region is None


DOC = """Intitulé

Ce que la règle vérifie.

Source : un texte public

Action : Faire ceci.
"""


def _documented(doc: str):
    """A check documented by ``doc``."""

    def check(data, config):
        return iter(())

    check.__doc__ = doc
    return check


_check = _documented(DOC)


def _check_with_failures(data, config, failures):
    return iter(())


_check_with_failures.__doc__ = DOC


@pytest.mark.parametrize(
    ("rule_id", "declaration", "check", "problem"),
    [
        (
            "ZZZ-01",
            {"params": ("funding.no_such_key",)},
            _check,
            "params not in a call configuration.*funding.no_such_key",
        ),
        ("ZZZ-02", {"checks": {"planning": lambda view, columns: {}}}, _check, r"\(data, config, failures\)"),
        ("ZZZ-03", {"checks": {"budget_lignes": lambda view, columns: {}}}, _check_with_failures, "unknown tables"),
        ("ZZZ-04", {}, _documented(DOC.replace("Faire ceci.", "faire ceci")), "French sentence"),
        ("ZZZ-05", {}, _documented(""), "must start with its title"),
        ("ZZZ-06", {}, _documented(DOC.replace("Source : un texte public", "")), "no section 'Source : …'"),
        ("ZZZ-07", {}, _documented(DOC.replace("Action : Faire ceci.", "")), "no section 'Action : …'"),
        ("ZZZ-08", {}, _documented(DOC + "\nAction (urgent) : Faire cela.\n"), "unknown section"),
        ("ZZZ-09", {}, _documented(DOC + "\nUn paragraphe égaré.\n"), "after the sections"),
    ],
)
def test_a_rule_cannot_declare_what_a_call_configuration_does_not_have(rule_id, declaration, check, problem):
    with pytest.raises(ValueError, match=rf"rule {rule_id} is badly declared: .*{problem}"):
        rule(rule_id, severity="alerte", **declaration)(check)
    assert rule_id not in all_rules()


def test_a_docstring_holds_the_prose_of_its_rule():
    """Title, description (verbatim), then sections whose wrapped lines are joined with a space."""
    doc = parse_rule_doc(
        "Intitulé sur\ndeux lignes\n\nPremier paragraphe\nsur deux lignes.\n\nSecond paragraphe.\n\n"
        "Source : un texte\n  public\n\nAction : Faire\nceci.\n\nAction (à corriger) : Faire cela.\n\n"
        "Exemple : Un message."
    )
    assert (doc.title, doc.description) == (
        "Intitulé sur deux lignes",
        "Premier paragraphe\nsur deux lignes.\n\nSecond paragraphe.",
    )
    assert (doc.source, doc.action, doc.example) == ("un texte public", "Faire ceci.", "Un message.")
    assert doc.severity_actions == {"a_corriger": "Faire cela."}
    assert doc.problems == ()


# ----------------------------------------------------------------------------- one rule, one place


def test_no_rule_reaches_the_whole_configuration():
    """The rule modules only read the configuration through the view they are handed: never
    through ``data.config`` (the dossier's own copy, for the extraction facts)."""
    offenders = []
    for path in sorted((ROOT / "validators" / "rules").glob("[a-z]*_[0-9]*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "config":
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"rules reading the whole configuration: {offenders}"


def test_table_checks_are_declared_by_their_rule_only():
    """The shared modules build typed tables; the checks (and the rule ids) live in the rules."""
    for module in ("schemas.py", "table_checks.py", "context.py", "engine.py"):
        text = (ROOT / "validators" / module).read_text(encoding="utf-8")
        for rule_id in all_rules():
            assert f'"{rule_id}' not in text, f"{module} decides {rule_id}"
    with_checks = {r.id for r in all_rules().values() if r.checks}
    assert {"GRP-01", "GRP-02", "BUD-01", "BUD-02", "BUD-03", "BUD-04", "BUD-05", "PLA-01", "PLA-03"} <= with_checks


def test_the_envelope_is_a_figure_of_the_summary_not_a_rule():
    assert "LOT-03" not in all_rules()
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "| [LOT-03]" not in text  # not in the rules' table
    assert '<a id="lot-03"></a>LOT-03' in text and "ce ne sont pas des règles" in text


# ----------------------------------------------------------------------------- over generated dossiers


@pytest.fixture(scope="module")
def reads_over_generated(generated) -> dict[str, ReadLog]:
    """Every rule over every dossier the generator writes for each shipped call (and its
    format variants): what each rule read, per call."""
    logs: dict[str, ReadLog] = {}
    for call_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        call_id = json.loads((call_dir / "expected.json").read_text(encoding="utf-8"))["call"]
        config = load_call(call_id)
        reads = logs.setdefault(call_id, ReadLog())
        paths = discover_dossiers(call_dir / "dossiers")
        for path in paths:
            with open_dossier(path, config.limits.zip_limits()) as dossier:
                run_rules(read_dossier(dossier, config), config, reads)
        review_call([{"dossier": path.name} for path in paths], config, reads)  # the call rules' reads
    return logs


def test_no_rule_reads_an_undeclared_key(reads_over_generated):
    problems = [
        f"{call}: {rule_id} reads {sorted(keys)}"
        for call, log in reads_over_generated.items()
        for rule_id, keys in log.undeclared.items()
    ]
    assert not problems, "declare these keys in the rules' params:\n" + "\n".join(problems)


def test_every_declared_key_is_read_by_its_rule(reads_over_generated):
    from fixtures.calls import DEFAULT_CALLS  # the calls the generator writes dossiers for

    assert set(reads_over_generated) == set(DEFAULT_CALLS)
    read: dict[str, set[str]] = {}
    for log in reads_over_generated.values():
        for rule_id, keys in log.read.items():
            read.setdefault(rule_id, set()).update(keys)
    unread = {r.id: sorted(set(r.params) - read.get(r.id, set())) for r in all_rules().values()}
    unread = {rule_id: keys for rule_id, keys in unread.items() if keys}
    assert not unread, f"declared but never read over the generated dossiers (remove them from params): {unread}"


def _fails_to_declare(view, columns):
    raise ZeroDivisionError


def _fails_to_run(view, columns):
    return {"forfait_moa": [pa.Check(lambda d: d["no_such_column"] > 0)]}


@pytest.mark.parametrize("broken", [_fails_to_declare, _fails_to_run])
def test_a_failing_table_check_costs_its_rule_only(generated, monkeypatch, broken):
    config = load_call("ars-ara-2022-regional")
    rules = all_rules()
    patched = dict(rules)
    patched["BUD-03"] = dataclasses.replace(rules["BUD-03"], checks={"budget_essms": broken})
    monkeypatch.setattr("validators.engine.all_rules", lambda: patched)
    [path] = [p for p in discover_dossiers(generated / "ars-ara-2022-regional" / "dossiers") if p.name.endswith("0001")]
    with open_dossier(path, config.limits.zip_limits()) as dossier:
        data = read_dossier(dossier, config)
    findings = run_rules(data, config)
    [bud03] = [f for f in findings if f.rule == "BUD-03"]
    assert bud03.found == "erreur interne" and "n'a pas pu être réalisé" in bud03.message
    assert not [f for f in findings if f.found == "erreur interne" and f.rule != "BUD-03"]
