"""Generate ``docs/rules.md`` (French) from the rule declarations and the shipped calls.

    python -m validators.docs > docs/rules.md

A test checks that the checked-in file is what this prints.
"""

from __future__ import annotations

import sys

from core.config import available_calls
from reports.actions import action_for, rule_anchor
from validators.engine import load_call, severity_for
from validators.registry import all_rules

FAMILIES = {
    "DEP": "Dépôt du dossier",
    "PIE": "Pièces du dossier",
    "GRP": "Grappe (liste des structures)",
    "BUD": "Budget",
    "PLA": "Planning",
    "PRO": "Textes (gouvernance, déploiement, conduite du changement)",
    "COH": "Cohérence entre pièces",
    "LOT": "Ensemble de l'appel",
}


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
        lines.append(f"| [{rule.id}](#{rule_anchor(rule.id)}) | {rule.title} | {rule.severity.label} | " + " | ".join(per_call) + " |")
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
            f"- Action demandée au porteur : {action_for(rule.id)}",
            f"- Source : {rule.source}",
            "- Paramètres lus dans la configuration de l'appel : "
            + (", ".join(f"`{p}`" for p in rule.params) if rule.params else "aucun"),
        ]
        if rule.example:
            lines.append(f"- Exemple de message : « {rule.example} »")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
