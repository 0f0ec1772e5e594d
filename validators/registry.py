"""The rule catalogue: each rule declared once, with its id, French title, default
severity, the configuration keys it reads and its source (in the spirit of sqlfluff's and
ruff's one-rule-one-place layout). Rules live in ``validators/rules/<family>_<nn>.py``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.models import Location, Severity


@dataclass
class Hit:
    """What a rule found; the runner adds the rule's id, title and severity."""

    message: str
    expected: str | None = None
    found: str | None = None
    location: Location | None = None
    severity: Severity | None = None  # only for rules whose severity depends on the case


CheckFn = Callable[..., Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    params: tuple[str, ...]
    source: str
    description: str
    check: CheckFn
    example: str = ""  # a message as the rule writes it, for the documentation
    scope: str = "dossier"  # "call": run once over every report of the call (LOT rules)

    @property
    def family(self) -> str:
        return self.id.split("-")[0]


_REGISTRY: dict[str, Rule] = {}
_FAMILY_ORDER = {"PIE": 0, "GRP": 1, "BUD": 2, "PLA": 3, "PRO": 4, "COH": 5, "LOT": 6}


def rule(
    rule_id: str, *, title: str, severity: str, params: tuple[str, ...] = (), source: str, example: str = "",
    scope: str = "dossier",
) -> Callable[[CheckFn], CheckFn]:
    """Declare a rule. The function's docstring is its (French) description."""

    def register(fn: CheckFn) -> CheckFn:
        if rule_id in _REGISTRY:
            raise ValueError(f"rule {rule_id} declared twice")
        _REGISTRY[rule_id] = Rule(
            id=rule_id, title=title, severity=Severity(severity), params=params, source=source,
            description=inspect.getdoc(fn) or "", check=fn, example=example, scope=scope,
        )
        return fn

    return register


def all_rules() -> dict[str, Rule]:
    """Every declared rule, by id, in catalogue order."""
    _import_rule_modules()
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (_FAMILY_ORDER.get(kv[1].family, 9), kv[0])))


@functools.cache
def _import_rule_modules() -> None:
    """Once per process: listing the package's modules costs milliseconds, and the flow asks
    for the catalogue once per dossier."""
    import validators.rules as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def rule_ids() -> list[str]:
    """Every rule's id, in catalogue order, without importing the rules: one rule per
    module ``validators/rules/<family>_<nn>.py`` declares the rule ``<FAMILY>-<nn>``."""
    import validators.rules as package

    ids = [m.name.upper().replace("_", "-") for m in pkgutil.iter_modules(package.__path__) if "_" in m.name]
    return sorted(ids, key=lambda rule_id: (_FAMILY_ORDER.get(rule_id.split("-")[0], 9), rule_id))


class _Rules:
    """Mapping view that loads the rule modules on first use."""

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in all_rules()

    def __getitem__(self, rule_id: str) -> Rule:
        return all_rules()[rule_id]


RULES = _Rules()
