"""Run the catalogue's rules on a dossier and decide its verdict (rules.md § severity)."""

from __future__ import annotations

import logging
import os
import traceback
from typing import TYPE_CHECKING

import core.config
from core.config import CallConfig, ConfigError
from core.models import Finding, Severity, Verdict
from validators.config_view import ConfigView, ReadLog
from validators.messages import DOSSIER_LEVEL
from validators.registry import Rule, all_rules, rule_ids
from validators.table_checks import run_table_checks

if TYPE_CHECKING:  # the rules' data model pulls the readers: not needed to load a configuration
    from validators.context import DossierData

log = logging.getLogger(__name__)


def severity_for(rule: Rule, config: CallConfig) -> Severity:
    setting = config.rule_setting(rule.id)
    return setting.severity or rule.severity


def enabled_rules(config: CallConfig) -> list[Rule]:
    return [r for r in all_rules().values() if r.scope == "dossier" and config.rule_setting(r.id).enabled]


def rule_views(rules: list[Rule], config: CallConfig, reads: ReadLog | None = None) -> dict[str, ConfigView]:
    """Each rule's view of the call configuration: only the keys it declares."""
    return {r.id: ConfigView(config, r.id, r.params, reads) for r in rules}


def run_rules(data: DossierData, config: CallConfig, reads: ReadLog | None = None) -> list[Finding]:
    """The findings of the call's enabled rules on a dossier. ``reads`` records the
    configuration keys each rule read (the tests keep the declarations exact with it)."""
    findings: list[Finding] = []
    rules = enabled_rules(config)
    views = rule_views(rules, config, reads)
    tables = run_table_checks(rules, views, data.typed)
    for rule in rules:
        severity = severity_for(rule, config)
        try:
            if rule.id in tables.errors:
                raise RuntimeError(f"table checks of {rule.id} could not run: {tables.errors[rule.id]}")
            if rule.checks:
                hits = list(rule.check(data, views[rule.id], tables.failures[rule.id]))
            else:
                hits = list(rule.check(data, views[rule.id]))
        except Exception:  # noqa: BLE001 - a rule bug must not cost the dossier its report
            log_error(rule, data.numero)
            findings.append(internal_error(rule))
            continue
        findings.extend(hit.finding(rule, severity) for hit in hits[:MAX_FINDINGS_PER_RULE])
        if len(hits) > MAX_FINDINGS_PER_RULE:
            findings.append(the_rest(rule, [hit.severity or severity for hit in hits[MAX_FINDINGS_PER_RULE:]]))
    return sort_findings(findings)


#: Findings of one rule in one dossier beyond which the rest are counted, not listed: a
#: million-row table with a fault on every row gives a readable report, not a 100 MB one.
MAX_FINDINGS_PER_RULE = 100


def the_rest(rule: Rule, severities: list[Severity]) -> Finding:
    """The one finding that counts the findings of ``rule`` beyond the cap, with the gravest
    severity among them (the verdict is the one the full list would give)."""
    from core.french import count

    gravest = min(severities, key=lambda s: s.rank)
    rest = count(len(severities), "autre constat", "autres constats")
    return Finding(
        rule=rule.id,
        severity=gravest,
        title=rule.title,
        message=(
            f"Et {rest} de la même règle, non détaillés : le rapport en montre au plus {MAX_FINDINGS_PER_RULE} par "
            "règle et par dossier ; corriger d'abord ceux qui sont listés, la nouvelle analyse montrera le reste."
        ),
        expected=None,
        found=f"{len(severities)} constats non détaillés",
        location=DOSSIER_LEVEL,
    )


def log_error(rule: Rule, numero: str) -> None:
    log.error("rule %s failed on %s\n%s", rule.id, numero, traceback.format_exc())


def internal_error(rule: Rule) -> Finding:
    """The finding that stands for a rule that could not be applied (rules.md: never a rejection)."""
    return Finding(
        rule=rule.id,
        severity=Severity.A_CORRIGER,
        title=rule.title,
        message=(
            f"Le contrôle {rule.id} (« {rule.title} ») n'a pas pu être réalisé à la suite d'une "
            "erreur interne : vérifier ce point manuellement et signaler l'erreur à l'exploitant."
        ),
        expected="contrôle réalisé",
        found="erreur interne",
    )


def sort_findings(findings: list[Finding]) -> list[Finding]:
    order = {rid: i for i, rid in enumerate(all_rules())}
    return sorted(findings, key=lambda f: (f.severity.rank, order.get(f.rule, 999)))


def decide(findings: list[Finding]) -> Verdict:
    """Non recevable if any bloquant; else à compléter if any à corriger; else recevable."""
    severities = {f.severity for f in findings}
    if Severity.BLOQUANT in severities:
        return Verdict.NON_RECEVABLE
    if Severity.A_CORRIGER in severities:
        return Verdict.A_COMPLETER
    return Verdict.RECEVABLE


def load_call(call: str | os.PathLike[str]) -> CallConfig:
    """A call configuration, with its ``rules`` section checked against the catalogue."""
    config = core.config.load_call(call)
    known = set(rule_ids())
    unknown = [rule_id for rule_id in config.rules if rule_id not in known]
    if unknown:
        raise ConfigError(
            f"Configuration d'appel invalide : {config.config_path}\n"
            + "\n".join(f"  - clé « rules.{rule_id} » : règle inconnue" for rule_id in unknown)
        )
    return config
