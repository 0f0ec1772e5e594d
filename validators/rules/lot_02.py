"""LOT-02 — the same dossier submitted twice under two numbers."""

from __future__ import annotations

from core.models import DOSSIER_FILE, Location
from validators.call_review import CallHits, Submission
from validators.config_view import ConfigView
from validators.registry import Hit, rule

OVERLAP = 0.5  # share of the smaller ESSMS set found in the other dossier


def resubmission_pairs(submissions: list[Submission]) -> set[frozenset[str]]:
    """Pairs of dossiers of one owner (FINESS EJ) whose ESSMS largely overlap."""
    pairs = set()
    for i, a in enumerate(submissions):
        for b in submissions[i + 1 :]:
            if not a.porteur_ej or a.porteur_ej != b.porteur_ej:
                continue
            sa, sb = set(a.finess), set(b.finess)
            if sa and sb and len(sa & sb) >= OVERLAP * min(len(sa), len(sb)):
                pairs.add(frozenset((a.dossier, b.dossier)))
    return pairs


@rule("LOT-02", severity="alerte", params=(), scope="call")
def check(submissions: list[Submission], config: ConfigView) -> CallHits:
    """Dossier déposé deux fois

    Deux dossiers du même porteur (FINESS EJ) dont les ESSMS se recouvrent au moins pour
    moitié sont deux dépôts d'un même projet : la version déposée en dernier fait foi, l'autre
    est signalée comme remplacée. Les deux dossiers reçoivent une alerte.

    Source : Pratique d'instruction : la dernière version déposée fait foi

    Action : Confirmer quelle version du dossier fait foi ; l'autre dépôt sera classé.

    Exemple : Le dossier 2022-ARA-0031 (déposé le 29/09/2022 09:10) et le dossier 2022-ARA-0030 (déposé le 27/09/2022
    16:02) ont le même porteur et 17 ESSMS en commun : la version la plus récente, 2022-ARA-0031, fait foi ;
    2022-ARA-0030 est remplacé.
    """
    by_name = {s.dossier: s for s in submissions}
    for pair in sorted(resubmission_pairs(submissions), key=sorted):
        a, b = (by_name[d] for d in sorted(pair))
        dates = (a.submitted_at, b.submitted_at)
        newer, older = (b, a) if None in dates or dates[1] >= dates[0] else (a, b)
        common = len(set(a.finess) & set(b.finess))
        message = (
            f"Le dossier {newer.dossier} (déposé le {newer.describe_date()}) et le dossier {older.dossier} "
            f"(déposé le {older.describe_date()}) ont le même porteur et {common} ESSMS en commun : la version "
            f"la plus récente, {newer.dossier}, fait foi ; {older.dossier} est remplacé."
        )
        for sub in (a, b):
            yield (
                sub.dossier,
                Hit(
                    message=message,
                    expected="un seul dossier par projet",
                    found=f"{common} ESSMS en commun avec {b.dossier if sub is a else a.dossier}",
                    location=Location(DOSSIER_FILE, field="porteur.finess_ej"),
                ),
            )
