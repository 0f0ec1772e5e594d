"""DEP-01 — the dossier was deposited within the call's window."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Location, Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.deposit import (
    HOUR_ONLY_NOTE,
    Deposit,
    describe_moment,
    instant,
    parse_deposit,
)
from validators.messages import DOSSIER_LEVEL
from validators.registry import Hit, rule


def deposit_of(data: DossierData) -> tuple[Deposit | None, str | None, Location]:
    """(the deposit, why it is not known, where it is read): the form's ``date_depot``."""
    if data.form is None:
        return (
            None,
            "le formulaire en ligne (dossier.json ou export du téléservice) est absent du dossier",
            DOSSIER_LEVEL,
        )
    if data.form.problem:
        problem = data.form.problem.problem.title
        return None, problem[:1].lower() + problem[1:], Location(data.form.source)
    cell = data.form.get("date_depot")
    if cell is None:
        return None, "le formulaire ne porte pas de date de dépôt", Location(data.form.source, field="date_depot")
    deposit, problem = parse_deposit(cell.raw)
    return deposit, problem, cell.location


def window_text(config: ConfigView) -> str:
    submission = config.submission
    return f"du {describe_moment(submission.opens.value)} au {describe_moment(submission.closes.value)}"


@rule("DEP-01", severity="bloquant", params=("submission.opens", "submission.closes"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Dossier déposé hors des délais de l'appel

    Le dossier a été déposé pendant la période de dépôt de l'appel, entre sa date-heure
    d'ouverture et sa date-heure de clôture (heure de Paris). La date de dépôt est celle du
    formulaire en ligne (date_depot de dossier.json, ou « Date de dépôt » de l'export du
    téléservice, dans chacune des formes qu'il a imprimées). Une date absente ou illisible est
    signalée en alerte, sans rien supposer ; une date sans heure n'est décidée que si la journée
    entière est hors délai ; une heure sans minutes (export de Démarches simplifiées de juin 2023
    à avril 2024, qui imprimait le mois à la place des minutes) n'est décidée que si l'heure
    entière est hors délai, et l'alerte l'explique quand le dépôt tombe dans l'heure de la clôture :
    un dépôt dont la minute n'est pas connue n'est pas établi comme tardif, il n'est pas déclaré
    non recevable et l'instructeur vérifie l'heure exacte dans le téléservice. La date peut aussi
    venir de la colonne « Déposé le » de l'export tableur de la démarche (xlsx, ods, csv).

    Source : Texte de chaque appel et instruction de l'année (date limite de dépôt : CNSA, « Obtenir une aide à
    l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) pour
    2022 ; instruction n° DGCS/DNS/CNSA/2023/13 du 16 janvier 2023 ; instruction n° DNS/DGCS/CNSA/2024/15 du 1er février
    2024) : un dossier reçu après la date limite n'est pas recevable

    Action : Aucune pièce ne peut régulariser un dépôt hors délai : le dossier pourra être présenté à un appel
    ultérieur.

    Action (alerte) : Aucune action du porteur : l'instructeur vérifie la date de dépôt dans le téléservice.

    Exemple : Le dossier a été déposé le 3 octobre 2022 à 10:12, après la clôture de l'appel le 30 septembre 2022 à
    23:59 : un dossier reçu après la date limite n'est pas recevable.
    """
    opens, closes = instant(config.submission.opens.value), instant(config.submission.closes.value)
    expected = f"un dépôt {window_text(config)}"
    deposit, problem, location = deposit_of(data)
    if deposit is None:
        yield Hit(
            message=(
                f"La date de dépôt n'a pas pu être lue ({problem}) : vérifier dans le téléservice que le dossier "
                f"a été déposé dans les délais de l'appel ({window_text(config)})."
            ),
            expected=expected,
            found=problem or "date de dépôt inconnue",
            location=location,
            severity=Severity.ALERTE,
        )
        return
    when = deposit.describe()
    earliest, latest = instant(deposit.moment), instant(deposit.latest)
    if earliest > closes:
        yield Hit(
            message=(
                f"Le dossier a été déposé le {when}, après la clôture de l'appel le {describe_moment(closes)} : "
                "un dossier reçu après la date limite n'est pas recevable."
            ),
            expected=expected,
            found=f"déposé le {when}",
            location=location,
        )
    elif latest < opens:
        yield Hit(
            message=(
                f"Le dossier a été déposé le {when}, avant l'ouverture de l'appel le {describe_moment(opens)} : "
                "il ne relève pas de cet appel."
            ),
            expected=expected,
            found=f"déposé le {when}",
            location=location,
        )
    elif earliest < opens or latest > closes:
        limit = "la clôture" if latest > closes else "l'ouverture"
        if deposit.precision == "hour":
            yield Hit(
                message=(
                    f"Le dossier a été déposé le {when}, heure de {limit} de l'appel ({window_text(config)}) ; "
                    f"{HOUR_ONLY_NOTE} : vérifier l'heure exacte du dépôt dans le téléservice."
                ),
                expected=expected,
                found=f"déposé le {when}, minutes inconnues",
                location=location,
                severity=Severity.ALERTE,
            )
            return
        yield Hit(
            message=(
                f"Le dossier a été déposé le {when}, jour de {limit} de l'appel ({window_text(config)}), et "
                "l'heure du dépôt n'est pas indiquée : la vérifier dans le téléservice."
            ),
            expected=expected,
            found=f"déposé le {when}, heure inconnue",
            location=location,
            severity=Severity.ALERTE,
        )
