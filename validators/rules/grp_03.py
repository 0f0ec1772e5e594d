"""GRP-03 — minimum size of the grouping."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.grouping import minimum_for, size_basis, size_hit
from validators.registry import Hit, rule

__all__ = ["check", "minimum_for"]


@rule(
    "GRP-03",
    severity="bloquant",
    params=("grouping.min_essms", "grouping.min_essms_corsica_overseas"),  # + reference/departments.yaml
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Grappe trop petite

    La grappe réunit au moins le nombre minimal d'ESSMS distincts fixé par l'appel (15 ;
    8 lorsque tous les ESSMS sont en Corse ou outre-mer). Les doublons ne comptent qu'une
    fois ; les ESSMS exclus (hors région GRP-05, non éligibles GRP-06, déjà présents dans un
    autre dossier ou déjà financés LOT-01) sont retirés avant de compter. Une ligne sans FINESS
    n'est ni comptée ni exclue : si la grappe n'atteint le minimum qu'avec elle, la règle ne
    décide pas (alerte) et le FINESS manquant est demandé (GRP-01). Sans liste des structures
    lisible, la règle ne s'applique pas (PIE-01/PIE-02).

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    groupement de 15 ESSMS minimum, 8 pour la Corse et les territoires ultramarins ; Instruction
    n° DNS/CNSA/DGCS/2022/34 du 8 février 2022

    Action : Le projet ne peut pas être financé en l'état : la grappe doit réunir au moins le nombre d'ESSMS éligibles
    fixé par l'appel.

    Action (alerte) : Indiquer le FINESS géographique des ESSMS qui n'en ont pas dans la liste des structures : la
    taille de la grappe en dépend.

    Exemple : La grappe compte 12 ESSMS éligibles distincts ; l'appel exige au moins 15 ESSMS. Le dossier ne peut pas
    être financé en l'état.
    """
    basis = size_basis(data, config)
    if basis is None:
        return
    hit = size_hit(basis)
    if hit is not None:
        yield hit
