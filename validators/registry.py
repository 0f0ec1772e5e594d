"""The rule catalogue: each rule declared once, in its own file, with everything about it.

A rule lives in ``validators/rules/<family>_<nn>.py`` (in the spirit of sqlfluff's and ruff's
one-rule-one-place layout) and declares, with ``@rule(...)`` on its check function: its id,
French title, default severity, the configuration keys it reads (``params``: its check sees
only those, see ``validators.config_view``), its source, the action asked of the owner, an
example message, and — for the table-shaped checks — its pandera checks (``checks``). The
check function's docstring is its French documentation (docs/rules.md).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.models import Finding, Location, Severity
from validators.config_view import unknown_params
from validators.schemas import TABLE_KINDS

if TYPE_CHECKING:  # pandera is imported where a dossier's tables are checked, not to list the rules
    import pandera.pandas as pa


@dataclass
class Hit:
    """What a rule found; the runner adds the rule's id, title and severity."""

    message: str
    expected: str | None = None
    found: str | None = None
    location: Location | None = None
    severity: Severity | None = None  # only for rules whose severity depends on the case

    def finding(self, rule: Rule, severity: Severity) -> Finding:
        """The finding of ``rule`` at the call's ``severity`` for it (unless the hit has its own)."""
        return Finding(
            rule=rule.id,
            severity=self.severity or severity,
            title=rule.title,
            message=self.message,
            expected=self.expected,
            found=self.found,
            location=self.location,
        )


CheckFn = Callable[..., Iterable[Any]]
"""``check(data, config)`` → hits; ``check(data, config, failures)`` for a rule with table
checks; ``check(submissions, config)`` → (dossier, hit) pairs for a call rule."""

TableChecks = Callable[[Any, frozenset[str]], Mapping[str, Sequence["pa.Check"]]]
"""``(config view, columns of the table) → {column: [pandera checks]}``: checks over the typed
table (``validators.schemas``), each returning a boolean per row; a row that fails one of them
becomes a ``Failure`` located at that column's cell, handed to the rule's check."""

DEFAULT_ACTION = "Vérifier ce point avec le porteur et compléter ou corriger la pièce concernée."

FAMILIES = {  # rule families in catalogue order, with their French titles
    "DEP": "Dépôt du dossier",
    "PIE": "Pièces du dossier",
    "GRP": "Grappe (liste des structures)",
    "REF": "Répertoire FINESS (existence, catégorie, gestionnaire)",
    "BUD": "Budget",
    "PLA": "Planning",
    "PRO": "Textes (gouvernance, déploiement, conduite du changement)",
    "COH": "Cohérence entre pièces",
    "LOT": "Ensemble de l'appel",
}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    params: tuple[str, ...]
    source: str
    action: str  # what the owner must do (French, infinitive): shown under each finding and in the letter
    description: str
    check: CheckFn
    example: str = ""  # a message as the rule writes it, for the documentation
    scope: str = "dossier"  # "call": run once over every report of the call (LOT rules)
    checks: Mapping[str, TableChecks] = field(default_factory=dict)  # table kind → its pandera checks
    # where the severity depends on the case, the action of a finding at another severity
    # (an alerte asks the owner nothing the rule would ask of a blocking finding)
    severity_actions: Mapping[str, str] = field(default_factory=dict)
    # a rule that excludes ESSMS from the count and the funding (GRP-05, GRP-06): ``(essms,
    # config) → French reason or None``; the dossier's list applies it (validators.context)
    excludes: Callable[[Any, Any], str | None] | None = None

    @property
    def family(self) -> str:
        return self.id.split("-")[0]


_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    title: str,
    severity: str,
    params: tuple[str, ...] = (),
    source: str,
    action: str,
    example: str = "",
    scope: str = "dossier",
    checks: Mapping[str, TableChecks] | None = None,
    severity_actions: Mapping[str, str] | None = None,
    excludes: Callable[[Any, Any], str | None] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Declare a rule. The function's docstring is its (French) description."""

    def register(fn: CheckFn) -> CheckFn:
        problems = _declaration_problems(rule_id, params, action, scope, checks or {}, fn)
        if problems:
            raise ValueError(f"rule {rule_id} is badly declared: " + "; ".join(problems))
        _REGISTRY[rule_id] = Rule(
            id=rule_id,
            title=title,
            severity=Severity(severity),
            params=tuple(params),
            source=source,
            action=action,
            description=inspect.getdoc(fn) or "",
            check=fn,
            example=example,
            scope=scope,
            checks=dict(checks or {}),
            severity_actions=dict(severity_actions or {}),
            excludes=excludes,
        )
        return fn

    return register


def _declaration_problems(
    rule_id: str, params: tuple[str, ...], action: str, scope: str, checks: Mapping[str, TableChecks], fn: CheckFn
) -> list[str]:
    problems = []
    if rule_id in _REGISTRY:
        problems.append("declared twice")
    if unknown := unknown_params(params):
        problems.append(f"params not in a call configuration: {unknown}")
    if len(set(params)) != len(params):
        problems.append("a param is declared twice")
    if not action.strip() or not action[0].isupper() or not action.rstrip().endswith("."):
        problems.append("its action must be a French sentence (capital letter, final full stop)")
    if scope not in ("dossier", "call"):
        problems.append(f"unknown scope {scope!r}")
    if unknown_kinds := sorted(set(checks) - set(TABLE_KINDS)):
        problems.append(f"checks on unknown tables {unknown_kinds} (known: {', '.join(TABLE_KINDS)})")
    if checks and scope != "dossier":
        problems.append("a call rule cannot have table checks")
    arity = len(inspect.signature(fn).parameters)
    if arity != (3 if checks else 2):
        problems.append("its check takes (data, config, failures) with table checks, (data, config) without")
    return problems


_catalogue: dict[str, Rule] = {}


def all_rules() -> dict[str, Rule]:
    """Every declared rule, by id, in catalogue order (the rule modules are imported once)."""
    global _catalogue
    if not _catalogue or len(_catalogue) != len(_REGISTRY):
        import validators.rules as package

        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        order = {family: i for i, family in enumerate(FAMILIES)}
        _catalogue = dict(sorted(_REGISTRY.items(), key=lambda kv: (order.get(kv[1].family, 9), kv[0])))
    return dict(_catalogue)


def rule_ids() -> list[str]:
    """Every rule's id, in catalogue order, without importing the rules: one rule per
    module ``validators/rules/<family>_<nn>.py`` declares the rule ``<FAMILY>-<nn>``."""
    import validators.rules as package

    order = {family: i for i, family in enumerate(FAMILIES)}
    ids = [m.name.upper().replace("_", "-") for m in pkgutil.iter_modules(package.__path__) if "_" in m.name]
    return sorted(ids, key=lambda rule_id: (order.get(rule_id.split("-")[0], 9), rule_id))


class _Rules:
    """Mapping view that loads the rule modules on first use."""

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in all_rules()

    def __getitem__(self, rule_id: str) -> Rule:
        return all_rules()[rule_id]


RULES = _Rules()


def action_for(rule_id: str | None, severity: str | None = None) -> str:
    """The owner's action for a finding of a rule, at its severity when the rule declares one
    for it (a generic sentence for an unknown id, e.g. an internal error or a rule retired
    since the report was written)."""
    found = all_rules().get(rule_id or "")
    if found is None:
        return DEFAULT_ACTION
    return found.severity_actions.get(str(severity or ""), found.action)


def rule_anchor(rule_id: str) -> str:
    """The anchor of a rule in ``docs/rules.md`` (``BUD-03`` → ``bud-03``): the reports link there."""
    return rule_id.lower()
