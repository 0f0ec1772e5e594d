"""Every rule tells the owner what to do, and every rule has an anchor the reports link to."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from reports.view import rule_doc_href
from validators.registry import DEFAULT_ACTION, action_for, all_rules, rule_anchor

ROOT = Path(__file__).resolve().parents[1]


def test_every_rule_declares_its_owner_action():
    for rule_id, rule in all_rules().items():
        assert rule.action.strip().endswith(".") and rule.action[0].isupper(), rule_id
        assert rule.action != DEFAULT_ACTION, f"{rule_id} must say what to do about it"
        assert action_for(rule_id) == rule.action


def test_an_unknown_rule_still_gets_a_french_action():
    assert action_for("XYZ-99") == DEFAULT_ACTION and DEFAULT_ACTION.startswith("Vérifier")
    assert action_for("LOT-03") == DEFAULT_ACTION  # a figure of the summary now, no longer a rule
    assert action_for(None)


def test_every_rule_has_an_anchor_in_docs_rules_md():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule_id in all_rules():
        assert f'<a id="{rule_anchor(rule_id)}"></a>{rule_id}' in text, rule_id
        assert f"Action demandée au porteur : {action_for(rule_id)}" in text, rule_id


def test_reports_link_to_the_rule_anchor():
    href = rule_doc_href("BUD-03")  # from a dossier's report, one folder below the output folder
    assert href == "../regles.html#bud-03"
    parsed = urlparse(href)
    assert not parsed.scheme and not parsed.netloc and parsed.fragment == "bud-03"  # relative: survives a copy
    assert rule_doc_href("BUD-03", 0) == "regles.html#bud-03"  # from the summary
