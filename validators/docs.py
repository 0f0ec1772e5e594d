"""Generate ``docs/rules.md`` (French) from the rule declarations and the shipped calls.

    python -m validators.docs > docs/rules.md

A test checks that the checked-in file is what this prints.
"""

from __future__ import annotations

import sys

from core.config import available_calls
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


if __name__ == "__main__":
    sys.stdout.write(render())
