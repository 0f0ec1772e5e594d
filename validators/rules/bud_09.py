"""BUD-09 — no cumulation with other European funds (FEDER, FSE) declared in the dossier."""

from __future__ import annotations

import re
from collections.abc import Iterator

from core.models import Severity
from extractors.values import parse_bool
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.dui import is_none_answer
from validators.registry import Hit, rule

FIELD = "cofinancement_fonds_europeens"


def funds_named(text: str, funds: list[str]) -> list[str]:
    """The European funds of the call's list that a text names (« FEDER », « FSE+ »…): whole
    words, « FSE » not read inside « FSE+ »."""
    upper = text.upper()
    return [
        fund
        for fund in funds
        if fund.strip() and re.search(rf"(?<![A-Z0-9]){re.escape(fund.strip().upper())}(?![A-Z0-9+])", upper)
    ]


@rule("BUD-09", severity="a_corriger", params=("conditions.eu_funds_no_cumulation",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Cumul avec un autre fonds européen (FEDER, FSE)

    Le financement ESMS numérique, payé par l'Union européenne au titre de la Facilité pour la
    reprise et la résilience, ne se cumule pas avec d'autres fonds européens (FEDER, FSE, FSE+ :
    liste de l'appel) pour les mêmes dépenses. Le
    formulaire en ligne le déclare (question « Cofinancement par d'autres fonds européens
    (FEDER, FSE) ») : « Oui » ou le nom d'un de ces fonds est un
    cumul déclaré, à corriger (le porteur renonce à l'un des financements ou montre qu'il porte
    sur d'autres dépenses) — le dossier n'est pas rejeté sur cette seule déclaration, qui peut
    viser d'autres dépenses. « Non », vide ou absent : rien à vérifier. Une réponse qu'on ne sait
    pas lire est une alerte.

    Source : ARS Provence-Alpes-Côte d'Azur, appel à projets ESMS numérique : le programme est financé par l'Union
    européenne au titre de la Facilité pour la reprise et la résilience et n'est pas cumulable avec d'autres fonds
    européens (FEDER, FSE) pour les mêmes dépenses ; financement encadré par le décret relatif au FMIS et les règles des
    fonds structurels européens

    Action : Renoncer au cofinancement européen des dépenses présentées, ou montrer qu'il porte sur d'autres dépenses
    que celles du projet.

    Action (alerte) : Préciser si des dépenses du projet sont aussi présentées au FEDER ou au FSE (Oui ou Non, et
    lequel).

    Exemple : Le formulaire déclare un cofinancement des dépenses du projet par le FEDER : le financement ESMS numérique
    (Facilité pour la reprise et la résilience) ne se cumule pas avec d'autres fonds européens pour les mêmes dépenses.
    """
    funds = list(config.conditions.eu_funds_no_cumulation.value or [])
    if not funds or data.form is None:
        return
    answer = data.form.get(FIELD)
    if answer is None or answer.raw is None or is_none_answer(answer.text):
        return
    text = answer.text or str(answer.raw)
    named = funds_named(text, funds)
    parsed = parse_bool(answer.raw)
    if not named and parsed.value is False:
        return
    if not named and parsed.value is None:
        yield Hit(
            message=(
                f"La réponse du formulaire sur un cofinancement par d'autres fonds européens est illisible "
                f"(« {text.strip()[:80]} ») : le financement ESMS numérique ne se cumule pas avec le "
                f"{' ou le '.join(funds)} pour les mêmes dépenses."
            ),
            expected="Non, ou Oui avec le fonds concerné",
            found=text.strip()[:80] or "(vide)",
            location=answer.location,
            severity=Severity.ALERTE,
        )
        return
    which = " et ".join(f"le {f}" for f in named) if named else "un autre fonds européen"
    yield Hit(
        message=(
            f"Le formulaire déclare un cofinancement des dépenses du projet par {which} : le financement ESMS "
            "numérique (Facilité pour la reprise et la résilience) ne se cumule pas avec d'autres fonds européens "
            "pour les mêmes dépenses."
        ),
        expected=f"aucun cofinancement par le {', le '.join(funds)} des mêmes dépenses",
        found=text.strip()[:80],
        location=answer.location,
    )
