"""Reference data, versioned with their sources in ``reference/``: FINESS categories (label,
sector) and départements → régions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from extractors.categories import match_category
from extractors.values import fold

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    sector: str  # key of ``sectors``
    confort: bool = False  # home-care service that may also sell "confort" services


@dataclass(frozen=True)
class Reference:
    categories: dict[str, Category]
    aliases: dict[str, str]  # folded alias → code
    sectors: dict[str, str]  # key → French label
    department_region: dict[str, str]
    corsica_or_overseas: frozenset[str]
    department_names: dict[str, str]


@lru_cache(maxsize=1)
def reference() -> Reference:
    cats = yaml.safe_load((REFERENCE_DIR / "finess_categories.yaml").read_text(encoding="utf-8"))
    deps = yaml.safe_load((REFERENCE_DIR / "departments.yaml").read_text(encoding="utf-8"))
    categories, aliases = {}, {}
    for code, spec in cats["categories"].items():
        code = str(code)
        categories[code] = Category(code, spec["label"], spec["sector"], bool(spec.get("confort", False)))
        for alias in [spec["label"], *spec.get("aliases", [])]:
            aliases.setdefault(fold(alias), code)
    department_region, special = {}, set()
    for region, spec in deps["regions"].items():
        for dep in spec["departments"]:
            department_region[str(dep)] = region
            if spec["corsica_or_overseas"]:
                special.add(str(dep))
    names = {str(code): str(name) for code, name in (deps.get("names") or {}).items()}
    return Reference(categories, aliases, cats["sectors"], department_region, frozenset(special), names)


_CODE = re.compile(r"^\d{3}$")


def category_of(raw: str | int | None) -> Category | None:
    """A category from a FINESS code (``500``, ``500 - EHPAD``) or a label (``EHPAD``)."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    ref = reference()
    head = text.split()[0].strip("-–:") if text else ""
    if _CODE.match(head) and head in ref.categories:
        return ref.categories[head]
    folded = fold(text)
    if folded in ref.aliases:
        return ref.categories[ref.aliases[folded]]
    # "EHPAD Les Tilleuls" or "IME (enfants)": the first word is often the category
    first = folded.split()[0] if folded else ""
    if first in ref.aliases:
        return ref.categories[ref.aliases[first]]
    # the label in full, its initials, an acronym in parentheses (extractors.categories)
    match = match_category(text, ref.aliases)
    return ref.categories[match.code] if match else None


def region_of(department: str | None) -> str | None:
    return reference().department_region.get(department or "")


def department_name(department: str | None) -> str:
    """« Haute-Corse » for ``2B``, « Saint-Martin » for ``978``; ``""`` for an unknown code."""
    return reference().department_names.get(department or "", "")
