"""Every rule of the catalogue is exercised by the generator: at least one dossier built to
trigger it, checked end to end by tests/test_pipeline.py — overall, and in each shipped call
for every rule that can fire there. (Near misses are described in each case's description:
they cannot be told apart from other clean dossiers in expected.json.)"""

from __future__ import annotations

from conftest import load_json
from core.config import load_call
from validators.registry import all_rules


def _triggered_by_call(generated) -> dict[str, set[str]]:
    """Call id → the rule ids its generated dossiers are built to raise (the generator's own
    folders only: the format variants do not stand in for a call's catalogue)."""
    triggered: dict[str, set[str]] = {}
    for call_dir in sorted(p for p in generated.iterdir() if p.is_dir()):
        expected = load_json(call_dir / "expected.json")
        if call_dir.name != expected["call"]:
            continue
        rules = triggered.setdefault(expected["call"], set())
        for case in expected["dossiers"].values():
            rules.update(case["rules"])
    return triggered


def _parameter(config, key: str):
    node = config
    for part in key.split("."):
        node = getattr(node, part, None) if node is not None else None
    return getattr(node, "value", node)


def rules_that_can_fire(call_id: str) -> set[str]:
    """The rules enabled in the call (``rules:`` of its YAML) whose parameters the call sets: a
    rule whose every parameter is null or false there cannot fire (GRP-07 without a minimum of
    organismes gestionnaires, GRP-12 without a cap, GRP-05 in a call without a region)."""
    from core.config import load_call

    config = load_call(call_id)
    out = set()
    for rule in all_rules().values():
        if not config.rule_setting(rule.id).enabled:
            continue
        values = [_parameter(config, key) for key in rule.params]
        if values and all(value is None or value is False for value in values):
            continue
        out.add(rule.id)
    return out


def test_every_rule_is_triggered_by_a_generated_dossier(generated):
    triggered = set().union(*_triggered_by_call(generated).values())
    missing = sorted(set(all_rules()) - triggered)
    assert not missing, f"rules without a generated dossier that triggers them: {missing}"


def test_every_rule_that_can_fire_in_a_call_is_triggered_there(generated):
    from fixtures.calls import DEFAULT_CALLS

    triggered = _triggered_by_call(generated)
    problems = []
    # The amorçage has no Ségur bonus (0 €, it starts with the généralisation): its dossiers ask
    # none, and one that did would be over its forfait first (BUD-03).
    not_generated = {"ars-ara-2021-amorcage": {"BUD-04"}}
    for call_id in DEFAULT_CALLS:  # the calls the generator writes dossiers for
        missing = rules_that_can_fire(call_id) - triggered.get(call_id, set()) - not_generated.get(call_id, set())
        if missing:
            problems.append(f"{call_id}: no generated dossier triggers {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_the_rules_that_cannot_fire_are_the_expected_ones():
    """The reading of "cannot fire" above, on the shipped calls."""
    every = set(all_rules())
    # DEP-02 only where the call sets a date for resubmitted projects (national 2022)
    assert every - rules_that_can_fire("ars-ara-2021-amorcage") == {"DEP-02"}
    assert every - rules_that_can_fire("ars-grand-est-2023-regional") == {"DEP-02", "GRP-07", "GRP-12"}
    assert every - rules_that_can_fire("cnsa-2022-national") == {"GRP-05", "GRP-07", "GRP-12"}


def test_every_shipped_call_has_generated_dossiers(generated):
    """The generator writes dossiers for the calls of 2021 to 2023; the calls of 2024 and 2025
    judge dossiers of the 2022 call in tests/test_programme_years.py (year-specific outcomes)."""
    from core.config import available_calls
    from fixtures.calls import DEFAULT_CALLS

    calls = {load_json(d / "expected.json")["call"] for d in generated.iterdir() if d.is_dir()}
    assert set(DEFAULT_CALLS) <= calls
    judged_elsewhere = set(available_calls()) - calls
    assert all(load_call(c).year >= 2024 or c == "ars-ara-2021-amorcage-t2" for c in judged_elsewhere)
