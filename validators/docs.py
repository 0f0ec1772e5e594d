"""Generate ``docs/rules.md`` (French) from the rule declarations and the shipped calls, and
the per-year parameter tables of ``docs/calls.md`` from ``calls/programme/``.

    python -m validators.docs > docs/rules.md
    python -m validators.docs --annees     # the tables between the markers of docs/calls.md

Tests check that the checked-in files hold what this prints.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from core.config import (
    CHANNEL_LABELS,
    COMMON_PROGRAMME,
    CONFIDENCE_LABELS,
    Sourced,
    available_calls,
    available_programmes,
    merge_layers,
    programme_path,
)
from core.french import config_value
from validators.call_figures import CALL_FIGURES
from validators.engine import load_call, severity_for
from validators.registry import FAMILIES, all_rules, rule_anchor


def render() -> str:
    calls = [load_call(c) for c in available_calls()]
    lines = [
        "# Catalogue des règles",
        "",
        "<!-- Généré par `python -m validators.docs` à partir des déclarations de `validators/rules/` "
        "et des configurations de `calls/` : ne pas modifier à la main. -->",
        "",
        "Chaque règle a un identifiant stable, une gravité par défaut (modifiable par appel dans la "
        "section `rules` de sa configuration) et une source. Le verdict d'un dossier : **non recevable** "
        "si un constat est *bloquant* ; sinon **à compléter** si un constat est *à corriger* ; sinon "
        "**recevable** (les *alertes* ne changent pas le verdict).",
        "",
        "| Règle | Intitulé | Gravité par défaut | " + " | ".join(c.id for c in calls) + " |",
        "|---|---|---|" + "---|" * len(calls),
    ]
    rules = all_rules()
    for rule in rules.values():
        per_call = []
        for config in calls:
            setting = config.rule_setting(rule.id)
            per_call.append(severity_for(rule, config).label if setting.enabled else "désactivée")
        lines.append(
            f"| [{rule.id}](#{rule_anchor(rule.id)}) | {rule.title} | {rule.severity.label} | "
            + " | ".join(per_call)
            + " |"
        )
    family = None
    for rule in rules.values():
        if rule.family != family:
            family = rule.family
            lines += ["", f"## {FAMILIES.get(family, family)}"]
        lines += [
            "",
            f'### <a id="{rule_anchor(rule.id)}"></a>{rule.id}',  # the reports link here
            "",
            f"**{rule.title}** — gravité par défaut : *{rule.severity.label}*.",
            "",
            rule.description,
            "",
            f"- Action demandée au porteur : {rule.action}",
            f"- Source : {rule.source}",
            "- Paramètres lus dans la configuration de l'appel : "
            + (", ".join(f"`{p}`" for p in rule.params) if rule.params else "aucun"),
        ]
        if rule.example:
            lines.append(f"- Exemple de message : « {rule.example} »")
    lines += _figures()
    return "\n".join(lines) + "\n"


def _figures() -> list[str]:
    """The call summary's figures: they cite an identifier, but are not rules."""
    lines = ["", "## Chiffres de la synthèse de l'appel (ce ne sont pas des règles)"]
    for figure in CALL_FIGURES:
        lines += [
            "",
            f'### <a id="{rule_anchor(figure.id)}"></a>{figure.id}',  # the summary cites it
            "",
            f"**{figure.title}** — sans constat ni gravité : chiffre de la synthèse de l'appel.",
            "",
            figure.description,
            "",
            f"- Source : {figure.source}",
            "- Paramètres lus dans la configuration de l'appel : " + ", ".join(f"`{p}`" for p in figure.params),
        ]
    return lines


YEARS_BEGIN = "<!-- tables des années : générées par `python -m validators.docs --annees` -->"
YEARS_END = "<!-- fin des tables des années -->"


def _leaves(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict) and "value" in node:
        return [(path, node)]
    if isinstance(node, dict):
        return [leaf for key, child in node.items() for leaf in _leaves(child, f"{path}.{key}" if path else key)]
    return []


def _row(key: str, node: dict[str, Any]) -> str:
    sourced = Sourced[Any].model_validate(node)
    value = config_value(key, sourced.value)
    confidence = CONFIDENCE_LABELS[sourced.confidence]
    if sourced.confidence == "a_confirmer":
        confidence = f"**{confidence}**"
    source = " ".join(sourced.source.split()).replace("|", "/")
    name = key if " " in key else f"`{key}`"
    return f"| {name} | {value} | {source} | {confidence} |"


def programme_tables() -> str:
    """Per programme year, every parameter it sets with its value, source and confidence (the
    values common to every year, in ``_commun.yaml``, in a last table)."""
    lines = [YEARS_BEGIN]
    for key in available_programmes():
        data = yaml.safe_load(programme_path(key).read_text(encoding="utf-8"))
        lines += ["", f"### {data['label']} (`calls/programme/{key}.yaml`)", ""]
        instruction = Sourced[str].model_validate(data["instruction"])
        lines += [f"Texte : {instruction.value} — {instruction.source}.", ""]
        lines += ["| paramètre | valeur | source | confiance |", "|---|---|---|---|"]
        for name, spec in (data.get("channels") or {}).items():
            lines.append(_row(f"date limite, canal {CHANNEL_LABELS[name]}", spec["deadline"]))
        lines += [_row(k, n) for k, n in _leaves(data.get("values") or {})]
        for name, spec in (data.get("channels") or {}).items():
            for k, n in _leaves((spec or {}).get("values") or {}):
                lines.append(_row(f"{k} (canal {CHANNEL_LABELS[name]})", n))
    common = yaml.safe_load(programme_path(COMMON_PROGRAMME).read_text(encoding="utf-8"))
    lines += ["", f"### Valeurs communes à toutes les années (`calls/programme/{COMMON_PROGRAMME}.yaml`)", ""]
    lines += ["| paramètre | valeur | source | confiance |", "|---|---|---|---|"]
    lines += [_row(k, n) for k, n in _leaves(merge_layers({}, common.get("values") or {}))]
    lines += ["", YEARS_END]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(programme_tables() + "\n" if "--annees" in sys.argv[1:] else render())
