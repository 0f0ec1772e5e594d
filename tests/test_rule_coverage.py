"""Every rule of the catalogue is exercised by the generator: at least one dossier built to
trigger it, checked end to end by tests/test_pipeline.py."""

from __future__ import annotations

from conftest import load_json
from validators.registry import all_rules

SUMMARY_ONLY = {"LOT-03"}  # compared with the envelope in the call summary, no per-dossier finding


def test_every_rule_is_triggered_by_a_generated_dossier(generated):
    triggered: dict[str, set[str]] = {}
    for call_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        expected = load_json(call_dir / "expected.json")
        for case in expected["dossiers"].values():
            for rule_id in case["rules"]:
                triggered.setdefault(rule_id, set()).add(expected["call"])
    missing = sorted(set(all_rules()) - SUMMARY_ONLY - set(triggered))
    assert not missing, f"rules without a generated dossier that triggers them: {missing}"


def test_every_shipped_call_has_generated_dossiers(generated):
    from esmsnum.config import available_calls

    calls = {load_json(d / "expected.json")["call"] for d in generated.iterdir() if d.is_dir()}
    assert set(available_calls()) <= calls
