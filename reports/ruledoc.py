"""The rule documentation shipped inside every output folder: ``regles.html``, one page with
an anchor per rule (``#bud-03``), generated from the rule declarations
(``validators.registry.all_rules``) as ``docs/rules.md`` is, with the values and sources of
the call's configuration when it is known. Reports and the summary link to it relatively
(``../regles.html#bud-03`` from a dossier's report), so the links work wherever the folder is
copied or served.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from core.french import CONFIDENCE_LABELS
from core.french import config_value as value_text
from core.report import CallSnapshot
from reports.files import atomic_write_text
from validators.registry import FAMILIES, action_for, rule_anchor

RULES_PAGE = "regles.html"


def rules_href(rule_id: str | None, depth: int) -> str | None:
    """Relative link to a rule's section of the output's ``regles.html``, from a page ``depth``
    folders below the output folder (0: the summary, 1: a dossier's report)."""
    if not rule_id:
        return None
    return f"{'../' * depth}{RULES_PAGE}#{rule_anchor(rule_id)}"


def _parameters(snapshot: CallSnapshot, path: str) -> list[dict[str, str]]:
    """The call's values under ``path`` (``funding.forfaits.acquisition``), each with its
    source; one line saying so when the path is not in this call's configuration."""
    values = snapshot.values_under(path)
    if not values:
        return [{"key": path, "value": "non fixé pour cet appel", "source": "", "confidence": "", "level": ""}]
    return [_parameter(key, v) for key, v in values]


def _parameter(key: str, value: Any) -> dict[str, str]:
    extra = value.model_extra or {}
    level = str(extra.get("confidence") or "")
    label = CONFIDENCE_LABELS.get(level, "")
    if extra.get("sample"):
        label = "données d'exemple, à remplacer"
        level = "a_confirmer"
    return {
        "key": key,
        "value": value_text(key, value.value),
        "source": value.source,
        "confidence": label,
        "level": level,
    }


def to_confirm(snapshot: CallSnapshot | None) -> list[dict[str, str]]:
    """The call's values not found in a public text (``a_confirmer``) or shipped as example data."""
    if snapshot is None:
        return []
    out = []
    for key, value in snapshot.values.items():
        extra = value.model_extra or {}
        if extra.get("confidence") == "a_confirmer" or extra.get("sample"):
            out.append(_parameter(key, value))
    return out


def rules_view(snapshot: CallSnapshot | None = None) -> dict[str, Any]:
    """What ``regles.html.j2`` shows: the rules by family, with this call's severity and
    parameters when the call's ``snapshot`` is given."""
    from validators.registry import all_rules

    families: list[dict[str, Any]] = []
    index = []
    for rule in all_rules().values():
        setting = snapshot.rules.get(rule.id) if snapshot is not None else None
        severity = setting.severity if setting is not None else rule.severity
        entry = {
            "id": rule.id,
            "anchor": rule_anchor(rule.id),
            "title": rule.title,
            "default_severity": rule.severity.value,
            "default_severity_label": rule.severity.label,
            "severity": severity.value,
            "severity_label": severity.label,
            "enabled": setting.enabled if setting is not None else True,
            "setting_source": setting.source if setting is not None else None,
            "description": " ".join(rule.description.split()),
            "action": action_for(rule.id),
            "source": rule.source,
            "example": rule.example,
            "parameters": [p for path in rule.params for p in _parameters(snapshot, path)] if snapshot else [],
            "param_keys": list(rule.params),
        }
        index.append(entry)
        if not families or families[-1]["code"] != rule.family:
            families.append({"code": rule.family, "title": FAMILIES.get(rule.family, rule.family), "rules": []})
        families[-1]["rules"].append(entry)
    from validators.call_figures import CALL_FIGURES

    figures = [
        {
            "id": f.id,
            "anchor": rule_anchor(f.id),
            "title": f.title,
            "description": f.description,
            "source": f.source,
            "params": list(f.params),
            "parameters": [p for path in f.params for p in _parameters(snapshot, path)] if snapshot else [],
        }
        for f in CALL_FIGURES
    ]
    return {
        "families": families,
        "index": index,
        "figures": figures,
        "call_title": snapshot.title if snapshot else None,
        "call_reference": snapshot.reference if snapshot else None,
        "call_id": snapshot.id if snapshot else None,
        "complete": snapshot.complete if snapshot else False,
        "to_confirm": to_confirm(snapshot),
        "programme": _programme(snapshot),
    }


def _programme(snapshot: CallSnapshot | None) -> str | None:
    """« Généralisation 2024 — Instruction n° … » when the call names its programme year."""
    if snapshot is None:
        return None
    instruction = snapshot.values.get("programme_year.instruction")
    if instruction is None:
        return None
    return f"{snapshot.programme} — {instruction.value}" if snapshot.programme else str(instruction.value)


def write_rules_page(out_dir: Path, snapshot: CallSnapshot | None = None) -> Path:
    """``out_dir/regles.html`` (the call's values when its ``snapshot`` is given)."""
    from reports.html import render

    path = out_dir / RULES_PAGE
    atomic_write_text(path, render("regles.html.j2", view=rules_view(snapshot)))
    return path


def ensure_rules_page(out_dir: Path, snapshot: CallSnapshot | None = None) -> None:
    """Write the rules page if the output folder has none yet (a report written before the
    summary); never raises: the summary writes it in full at the end of the run."""
    if (out_dir / RULES_PAGE).is_file():
        return
    with contextlib.suppress(Exception):  # the links then point to a page the summary writes
        write_rules_page(out_dir, snapshot)
