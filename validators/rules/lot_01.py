"""LOT-01 — an ESSMS in two dossiers of the call, or already funded by an earlier call."""

from __future__ import annotations

from core.models import Severity
from validators.call_review import CallHits, Submission
from validators.config_view import ConfigView
from validators.registry import Hit, rule
from validators.rules.lot_02 import resubmission_pairs


@rule("LOT-01", severity="a_corriger", params=("history.previously_funded",), scope="call")
def check(submissions: list[Submission], config: ConfigView) -> CallHits:
    """ESSMS déjà présent dans un autre dossier ou déjà financé

    Un ESSMS (FINESS ET) ne figure que dans un dossier de l'appel et n'a pas déjà été financé
    par un appel précédent (liste de l'appel). L'ESSMS en double est exclu du décompte et du
    financement du dossier déposé le plus tard (à corriger), puis ce dossier est jugé sur ce
    qui reste : il ne devient non recevable que si la grappe restante est trop petite
    (GRP-03). Le dossier déposé le plus tôt reçoit une alerte ; si une date de dépôt manque,
    les deux reçoivent une alerte, sans exclusion. Un ESSMS déjà financé par un appel
    précédent (liste ``history.previously_funded`` de l'appel) est exclu de la même façon ; si
    cette liste est marquée données d'exemple, le constat le dit. Un dossier redéposé (LOT-02) n'est pas comparé à
    sa version précédente.

    Source : Pas de double financement : un ESSMS ne peut être financé deux fois pour installer ou faire évoluer le même
    logiciel, ni pour deux DUI (ARS Provence-Alpes-Côte d'Azur, page de l'appel ESMS numérique ; arrêté du 2 février
    2022)

    Action : Retirer de la liste et du budget l'ESSMS déjà présent dans un dossier déposé plus tôt ou déjà financé (il
    est exclu du financement de ce projet), ou justifier l'absence de double financement.

    Action (alerte) : Aucune action immédiate : l'ESSMS figure aussi dans un autre dossier de l'appel ; confirmer au
    besoin à l'instructeur à quel projet il appartient.

    Exemple : EHPAD Les Tilleuls (FINESS 010000016) figure aussi dans le dossier 2022-ARA-0003 (déposé le 28 septembre
    2022 à 10:12), déposé plus tôt : un ESSMS ne peut être financé qu'une fois. Il est exclu du décompte et du
    financement de ce dossier, qui est examiné sur les ESSMS restants.
    """
    funded = set(config.history.previously_funded.value)
    # Example data shipped to show the format is never presented as the ARS's list (docs/calls.md).
    sample = config.history.previously_funded.sample
    funded_text = (
        "figure dans la liste d'exemple des ESSMS déjà financés livrée avec la configuration (données d'exemple, "
        "à remplacer par la liste de l'ARS)"
        if sample
        else "a déjà été financé par un appel précédent ESMS numérique"
    )
    listing = "la liste d'exemple des ESSMS déjà financés" if sample else "la liste des ESSMS déjà financés"
    excused = resubmission_pairs(submissions)
    consequence = "Il est exclu du décompte et du financement de ce dossier, qui est examiné sur les ESSMS restants."
    owners: dict[str, list[Submission]] = {}
    for sub in submissions:
        for finess in sub.finess:
            owners.setdefault(finess, []).append(sub)
            if finess in funded:
                name = sub.finess[finess].get("name") or "ESSMS"
                yield (
                    sub.dossier,
                    Hit(
                        message=(
                            f"{name} (FINESS {finess}) {funded_text} : "
                            f"il ne peut pas être financé une seconde fois. {consequence}"
                        ),
                        expected="un ESSMS non encore financé",
                        found=f"FINESS {finess} dans {listing}",
                        location=sub.location_of(finess),
                        severity=Severity.A_CORRIGER,
                    ),
                )
    for finess, subs in owners.items():
        if len(subs) < 2:
            continue
        for sub in subs:
            others = [o for o in subs if o is not sub and frozenset((o.dossier, sub.dossier)) not in excused]
            if not others:
                continue
            name = sub.finess[finess].get("name") or "ESSMS"
            mine = sub.submitted_at
            dated = mine is not None and all(o.submitted_at is not None for o in others)
            later = dated and any(o.submitted_at < mine for o in others)
            listed = ", ".join(f"{o.dossier} (déposé le {o.describe_date()})" for o in others)
            if later:
                message = (
                    f"{name} (FINESS {finess}) figure aussi dans le dossier {listed}, déposé plus tôt : un ESSMS "
                    f"ne peut être financé qu'une fois. {consequence}"
                )
                severity = Severity.A_CORRIGER
            else:
                message = (
                    f"{name} (FINESS {finess}) figure aussi dans le dossier {listed}"
                    + (
                        ", déposé plus tard, qui ne sera pas financé pour cet ESSMS"
                        if dated
                        else " (dates de dépôt à vérifier)"
                    )
                    + " : vérifier auprès des porteurs à quel projet l'ESSMS appartient."
                )
                severity = Severity.ALERTE
            yield (
                sub.dossier,
                Hit(
                    message=message,
                    expected="un ESSMS dans un seul dossier de l'appel",
                    found=f"FINESS {finess} dans {len(subs)} dossiers",
                    location=sub.location_of(finess),
                    severity=severity,
                ),
            )
