"""The rule catalogue documents itself: docs/rules.md is generated and kept in sync."""

from pathlib import Path

from core.config import available_calls, load_call
from validators.docs import render
from validators.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_docs_rules_md_is_up_to_date():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `python -m validators.docs > docs/rules.md`"
    )


def test_every_rule_is_fully_declared():
    rules = all_rules()
    for required in (
        "PIE-01",
        "PIE-02",
        "GRP-01",
        "GRP-02",
        "GRP-03",
        "GRP-04",
        "GRP-05",
        "GRP-10",
        "BUD-02",
        "BUD-03",
        "BUD-07",
        "PLA-01",
        "PLA-03",
        "COH-01",
    ):
        assert required in rules
    for rule in rules.values():
        assert rule.title and rule.description and rule.source and rule.example, rule.id
        module = ROOT / "validators" / "rules" / f"{rule.id.lower().replace('-', '_')}.py"
        assert module.is_file(), f"{rule.id} must live in {module.name}"


def test_every_parameter_a_rule_reads_exists_in_every_call():
    for call_id in available_calls():
        config = load_call(call_id)
        for rule in all_rules().values():
            for param in rule.params:
                node = config
                for part in param.split("."):
                    if node is None:
                        break  # e.g. region is null for a national call: the rule does not apply
                    assert hasattr(node, part), f"{rule.id} reads {param}, absent from {call_id}"
                    node = getattr(node, part)


def test_the_readme_counts_the_demo_dossiers_make_demo_writes():
    """« make demo » generates the ``DEMO_CASES`` of each 2022 call's catalogue (what
    ``fixtures.generate`` walks): the README says how many."""
    import re

    from fixtures.generate import catalogue

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    cases = set(re.search(r"^DEMO_CASES := (.+)$", makefile, re.MULTILINE).group(1).split(","))
    counts = [
        sum(1 for case in catalogue(load_call(c)) if case.id in cases)
        for c in ("ars-ara-2022-regional", "cnsa-2022-national")
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(
        r"génère (\d+) dossiers d'exemple des deux appels 2022 \((\d+) régionaux, (\d+) nationaux\)", readme
    )
    assert said and [int(x) for x in said.groups()] == [sum(counts), *counts]
