"""DEP-05 — the vendor contract is not signed before the dossier is deposited."""

from __future__ import annotations

from collections.abc import Iterator

from core.config import PARIS
from core.french import date_long
from core.models import Severity
from extractors.values import parse_date
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.dui import is_none_answer
from validators.registry import Hit, rule
from validators.rules.dep_01 import deposit_of

FIELD = "date_signature_contrat_editeur"


@rule("DEP-05", severity="a_corriger", params=("conditions.vendor_contract_before_deposit",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Contrat avec l'éditeur signé avant le dépôt

    Le contrat (ou le bon de commande) avec l'éditeur du DUI n'est pas signé avant le dépôt
    du dossier : signer, c'est commencer l'exécution du projet, et une aide à l'investissement
    ne finance pas un projet commencé avant d'être demandé. Le formulaire en ligne donne la date
    de signature (question « Date de signature du contrat avec l'éditeur ») ; vide, « Non » ou absent : le contrat n'est pas signé, rien à vérifier. Une date
    donnée au mois près compte pour le dernier jour du mois, et un contrat signé le jour du dépôt
    n'est pas réputé antérieur (l'heure n'est pas connue) : seul ce que le dossier montre
    positivement fait un constat. La dépense engagée avant le dépôt est à retirer ou à expliquer
    (à corriger) ; une date illisible est une alerte. Lecture à confirmer pour les crédits du FMIS
    (documentation des appels, « Conditions d'accès »).

    Source : Décret n° 2018-514 du 25 juin 2018 relatif aux subventions de l'État pour des projets d'investissement,
    article 3 : aucun commencement d'exécution du projet avant la date de réception de la demande, le premier acte
    juridique passé pour sa réalisation (le contrat ou le bon de commande signé) valant commencement d'exécution ;
    application au financement ESMS numérique (FMIS) à confirmer

    Action : Préciser ce que couvre le contrat déjà signé avec l'éditeur et retirer du budget les dépenses qu'il engage
    avant le dépôt, ou corriger la date du formulaire.

    Action (alerte) : Indiquer la date de signature du contrat avec l'éditeur au format JJ/MM/AAAA (vide s'il n'est pas
    signé).

    Exemple : Le formulaire indique un contrat avec l'éditeur signé le 2 mai 2022, avant le dépôt du dossier (le 28
    septembre 2022) : un projet dont l'exécution a commencé avant la demande ne peut être financé pour les dépenses déjà
    engagées.
    """
    if not config.conditions.vendor_contract_before_deposit.value or data.form is None:
        return
    answer = data.form.get(FIELD)
    if answer is None or answer.raw is None or is_none_answer(answer.text):
        return
    signed = parse_date(answer.raw, end_of_period=True)
    if signed.value is None:
        yield Hit(
            message=(
                f"La date de signature du contrat avec l'éditeur est illisible ({signed.problem or 'date attendue'}) : "
                "un contrat signé avant le dépôt engage des dépenses que l'aide ne finance pas."
            ),
            expected="une date (JJ/MM/AAAA), ou vide si le contrat n'est pas signé",
            found=answer.text or "(vide)",
            location=answer.location,
            severity=Severity.ALERTE,
        )
        return
    deposit, _problem, _location = deposit_of(data)
    if deposit is None:
        return  # DEP-01 says the deposit date is not known
    deposited = deposit.moment.astimezone(PARIS).date()
    if signed.value >= deposited:
        return
    yield Hit(
        message=(
            f"Le formulaire indique un contrat avec l'éditeur signé le {date_long(signed.value)}, avant le dépôt du "
            f"dossier (le {date_long(deposited)}) : un projet dont l'exécution a commencé avant la demande ne peut "
            "être financé pour les dépenses déjà engagées."
        ),
        expected=f"un contrat signé le {date_long(deposited)} ou après, ou pas encore signé",
        found=f"signé le {date_long(signed.value)}",
        location=answer.location,
    )
