"""LOT-01 — an ESSMS in two dossiers of the call, or already funded by an earlier call."""

from __future__ import annotations

from core.models import Severity
from validators.call_review import CallHits, Submission
from validators.config_view import ConfigView
from validators.registry import Hit, rule
from validators.rules.lot_02 import resubmission_pairs


@rule(
    "LOT-01",
    title="ESSMS déjà présent dans un autre dossier ou déjà financé",
    severity="bloquant",
    params=("history.previously_funded",),
    source="sources.md § Eligibility : pas de double financement d'un ESSMS pour le même logiciel",
    scope="call",
    action=("Retirer de la grappe l'ESSMS déjà présent dans un autre dossier ou déjà financé, ou justifier "
            "l'absence de double financement."),
    example=("EHPAD Les Tilleuls (FINESS 010000016) figure aussi dans le dossier 2022-ARA-0003, déposé plus tôt "
             "(28/09/2022 10:12) : un ESSMS ne peut être financé qu'une fois. Le dossier déposé le plus tard ne "
             "peut pas être retenu pour cet ESSMS."),
)
def check(submissions: list[Submission], config: ConfigView) -> CallHits:
    """Un ESSMS (FINESS ET) ne figure que dans un dossier de l'appel et n'a pas déjà été financé
    par un appel précédent (liste de l'appel). Deux dossiers qui partagent un ESSMS : le dossier
    déposé le plus tard reçoit un constat bloquant, le plus ancien une alerte ; si une date de
    dépôt manque, les deux reçoivent une alerte. Un dossier redéposé (LOT-02) n'est pas comparé
    à sa version précédente."""
    funded = set(config.history.previously_funded.value)
    excused = resubmission_pairs(submissions)
    owners: dict[str, list[Submission]] = {}
    for sub in submissions:
        for finess in sub.finess:
            owners.setdefault(finess, []).append(sub)
            if finess in funded:
                name = sub.finess[finess].get("name") or "ESSMS"
                yield sub.dossier, Hit(
                    message=(f"{name} (FINESS {finess}) a déjà été financé par un appel précédent ESMS numérique : "
                             "il ne peut pas être financé une seconde fois."),
                    expected="un ESSMS non encore financé",
                    found=f"FINESS {finess} dans la liste des ESSMS déjà financés",
                    location=sub.location_of(finess),
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
                message = (f"{name} (FINESS {finess}) figure aussi dans le dossier {listed}, déposé plus tôt : un ESSMS "
                           "ne peut être financé qu'une fois. Le dossier déposé le plus tard ne peut pas être retenu "
                           "pour cet ESSMS.")
                severity = Severity.BLOQUANT
            else:
                message = (f"{name} (FINESS {finess}) figure aussi dans le dossier {listed}"
                           + (", déposé plus tard" if dated else " (dates de dépôt à vérifier)")
                           + " : vérifier auprès des porteurs à quel projet l'ESSMS appartient.")
                severity = Severity.ALERTE
            yield sub.dossier, Hit(
                message=message, expected="un ESSMS dans un seul dossier de l'appel",
                found=f"FINESS {finess} dans {len(subs)} dossiers", location=sub.location_of(finess),
                severity=severity,
            )
