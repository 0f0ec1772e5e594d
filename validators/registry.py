"""The rule catalogue: each rule declared once, in its own file, with everything about it.

A rule lives in ``validators/rules/<family>_<nn>.py`` (in the spirit of sqlfluff's and ruff's
one-rule-one-place layout, where a rule's docstring is its documentation). ``@rule(...)`` on its
check function declares what is code: its id, default severity, the configuration keys it
reads (``params``: its check sees only those, see ``validators.config_view``) and, where used,
its pandera checks (``checks``, for the table-shaped checks), its ``scope`` (``"call"`` for a
rule run once over the whole call) and the ESSMS it ``excludes``. Its prose, in French, is the
check function's docstring (``parse_rule_doc``), which docs/rules.md, the reports and the
letters show:

- first paragraph: the rule's title (the reports' heading);
- then the description, verbatim (line breaks kept), up to the first section;
- then one paragraph per section, its label first, wrapped at will (its lines are joined with
  a space): ``Source : …`` (the public text the rule comes from), ``Action : …`` (what the
  owner must do, a French sentence), ``Action (alerte) : …`` or ``Action (à corriger) : …``
  (the action of a finding at that severity, where the severity depends on the case) and
  ``Exemple : …`` (a message as the rule writes it, optional).

A rule without its title, source or action, or with an unknown section, fails at import.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
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

# A section of a check's docstring: ``Source : …``, ``Action : …``, ``Action (alerte) : …`` (the
# action of a finding at that severity), ``Exemple : …``.
_SECTION = re.compile(r"(?P<label>Source|Action|Exemple)(?: \((?P<severity>[^)]*)\))? : ")
_FIELDS = {"Source": "source", "Action": "action", "Exemple": "example"}
_SEVERITY_LABELS = {s.label.lower(): s.value for s in Severity}  # "à corriger" → "a_corriger"


@dataclass(frozen=True)
class RuleDoc:
    """What a check's docstring says of its rule (see the module docstring), and what is wrong
    with it."""

    title: str = ""
    description: str = ""
    source: str = ""
    action: str = ""
    example: str = ""
    severity_actions: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def _paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    return paragraphs


def _joined(paragraph: str) -> str:
    """A paragraph wrapped over several lines, on one line."""
    return " ".join(line.strip(" \t") for line in paragraph.splitlines())


def parse_rule_doc(doc: str) -> RuleDoc:
    """Read a check's docstring (as ``inspect.getdoc`` cleans it): its title, its description
    (verbatim, line breaks kept) and its labelled sections (each joined on one line)."""
    paragraphs = _paragraphs(doc)
    problems: list[str] = []
    title = _joined(paragraphs.pop(0)) if paragraphs and not _SECTION.match(paragraphs[0]) else ""
    description: list[str] = []
    sections: dict[str, str] = {}
    severity_actions: dict[str, str] = {}
    for paragraph in paragraphs:
        found = _SECTION.match(paragraph)
        if found is None:
            if sections:
                problems.append(f"a paragraph of its docstring after the sections is not a section: {paragraph[:40]!r}")
            else:
                description.append(paragraph)
            continue
        label, severity, text = found["label"], found["severity"], _joined(paragraph[found.end() :])
        if severity is not None:
            if label != "Action" or severity.lower() not in _SEVERITY_LABELS:
                problems.append(f"its docstring has an unknown section '{found[0]}…'")
                continue
            key, target = _SEVERITY_LABELS[severity.lower()], severity_actions
        else:
            key, target = _FIELDS[label], sections
        if key in target:
            problems.append(f"its docstring gives the section '{found[0]}…' twice")
        target[key] = text
    return RuleDoc(
        title=title,
        description="\n\n".join(description),
        source=sections.get("source", ""),
        action=sections.get("action", ""),
        example=sections.get("example", ""),
        severity_actions=severity_actions,
        problems=tuple(problems),
    )


def rule(
    rule_id: str,
    *,
    severity: str,
    params: tuple[str, ...] = (),
    scope: str = "dossier",
    checks: Mapping[str, TableChecks] | None = None,
    excludes: Callable[[Any, Any], str | None] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Declare a rule: what is code here, its prose in the function's docstring (module docstring)."""

    def register(fn: CheckFn) -> CheckFn:
        doc = parse_rule_doc(inspect.getdoc(fn) or "")
        problems = _declaration_problems(rule_id, params, doc, scope, checks or {}, fn)
        if problems:
            raise ValueError(f"rule {rule_id} is badly declared: " + "; ".join(problems))
        _REGISTRY[rule_id] = Rule(
            id=rule_id,
            title=doc.title,
            severity=Severity(severity),
            params=tuple(params),
            source=doc.source,
            action=doc.action,
            description=doc.description,
            check=fn,
            example=doc.example,
            scope=scope,
            checks=dict(checks or {}),
            severity_actions=dict(doc.severity_actions),
            excludes=excludes,
        )
        return fn

    return register


def _is_sentence(text: str) -> bool:
    return bool(text.strip()) and text[0].isupper() and text.rstrip().endswith(".")


def _declaration_problems(
    rule_id: str, params: tuple[str, ...], doc: RuleDoc, scope: str, checks: Mapping[str, TableChecks], fn: CheckFn
) -> list[str]:
    problems = list(doc.problems)
    if not doc.title:
        problems.append("its docstring must start with its title")
    problems += [
        f"its docstring has no section '{label} : …'"
        for label, text in (("Source", doc.source), ("Action", doc.action))
        if not text
    ]
    if rule_id in _REGISTRY:
        problems.append("declared twice")
    if unknown := unknown_params(params):
        problems.append(f"params not in a call configuration: {unknown}")
    if len(set(params)) != len(params):
        problems.append("a param is declared twice")
    if doc.action and not _is_sentence(doc.action):
        problems.append("its action must be a French sentence (capital letter, final full stop)")
    if bad := sorted(s for s, action in doc.severity_actions.items() if not _is_sentence(action)):
        problems.append(f"its action at severity {', '.join(bad)} must be a French sentence")
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
