"""DEP-02 — a project not selected in an earlier call is submitted before the date the call sets."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Severity
from extractors.values import parse_bool
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.deposit import describe_moment, instant
from validators.registry import Hit, rule
from validators.rules.dep_01 import deposit_of

FIELD = "depot_anterieur_non_retenu"


@rule("DEP-02", severity="bloquant", params=("submission.resubmission_closes",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Projet redéposé après la date qui lui est fixée

    Quand l'appel fixe une date limite propre aux projets déjà présentés à un appel précédent
    et non retenus (appel national 2022 : 6 juin 2022), un tel projet est déposé au plus tard à
    cette date. Le formulaire en ligne le déclare (champ depot_anterieur_non_retenu, « Projet
    déposé en 2021 et non retenu » dans l'export du téléservice) ; sans cette réponse, le projet
    est traité comme nouveau. Sans date fixée par l'appel, la règle ne s'applique pas.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) : les
    porteurs ayant déposé un projet en 2021, mais qui n'ont pas été retenus, doivent le soumettre avant le 6 juin 2022
    (appel national)

    Action : Aucune pièce ne peut régulariser un redépôt tardif : le projet pourra être présenté à un appel ultérieur.

    Action (alerte) : Aucune action du porteur : l'instructeur vérifie la date de dépôt dans le téléservice.

    Exemple : Le formulaire indique un projet déjà déposé lors d'un appel précédent et non retenu : l'appel lui fixait
    un dépôt au plus tard le 6 juin 2022 à 23:59 ; il a été déposé le 20 juin 2022 à 14:02.
    """
    deadline = config.submission.resubmission_closes.value
    if deadline is None or data.form is None:
        return
    answer = data.form.get(FIELD)
    if answer is None:
        return
    parsed = parse_bool(answer.raw)
    if parsed.problem:
        yield Hit(
            message=(
                f"La réponse du formulaire sur un dépôt antérieur non retenu est illisible ({parsed.problem}) : "
                f"si le projet a déjà été présenté, il devait être déposé au plus tard le "
                f"{describe_moment(deadline)}."
            ),
            expected="Oui ou Non",
            found=answer.text or "(vide)",
            location=answer.location,
            severity=Severity.ALERTE,
        )
        return
    if parsed.value is not True:
        return
    deposit, _problem, location = deposit_of(data)
    if deposit is None:
        return  # DEP-01 says the date is not known
    if instant(deposit.moment) > instant(deadline):
        yield Hit(
            message=(
                f"Le formulaire indique un projet déjà déposé lors d'un appel précédent et non retenu : l'appel lui "
                f"fixait un dépôt au plus tard le {describe_moment(deadline)} ; il a été déposé le "
                f"{deposit.describe()}."
            ),
            expected=f"un dépôt au plus tard le {describe_moment(deadline)}",
            found=f"déposé le {deposit.describe()}",
            location=location,
        )
    elif instant(deposit.latest) > instant(deadline):
        yield Hit(
            message=(
                f"Le formulaire indique un projet déjà déposé lors d'un appel précédent et non retenu, déposé le "
                f"{deposit.describe()}, {'jour' if deposit.day_only else 'heure'} de sa date limite "
                f"({describe_moment(deadline)}) ; {deposit.note} : la vérifier dans le téléservice."
            ),
            expected=f"un dépôt au plus tard le {describe_moment(deadline)}",
            found=f"déposé le {deposit.describe()}, {deposit.note}",
            location=location,
            severity=Severity.ALERTE,
        )
