"""GRP-15 — one DUI per project: the ESSMS of the grouping deploy the same software."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.dui import same_dui, software_of
from validators.registry import Hit, rule


def softwares(data: DossierData) -> list[tuple[str, list]]:
    """The distinct DUI the counted ESSMS name (as first written, with their ESSMS), most
    named first; spellings of one software (case, accents, version, « DUI ») are one."""
    groups: list[tuple[str, str, list]] = []  # (key, name, ESSMS)
    for essms in data.counted_essms:
        name, key = software_of(data, essms)
        if not key:
            continue  # no software stated: GRP-08 asks for it
        for index, (known, first, members) in enumerate(groups):
            if same_dui(known, key):
                members.append(essms)
                if len(key) < len(known):
                    groups[index] = (key, first, members)
                break
        else:
            groups.append((key, name, [essms]))
    return sorted(((name, members) for _, name, members in groups), key=lambda g: -len(g[1]))


@rule("GRP-15", severity="a_corriger", params=("conditions.single_dui",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Plusieurs DUI dans un même projet

    Un projet porte sur un seul DUI : les ESSMS de la grappe acquièrent, ou mettent en
    conformité, le même logiciel. Le logiciel de chaque ESSMS est celui de la colonne Logiciel
    de la liste, à défaut celui du formulaire ; les graphies d'un même logiciel (majuscules,
    accents, numéro de version, mot « DUI ») ne comptent que pour un. Les ESSMS dont le
    logiciel n'est pas indiqué ne sont pas comptés ici (GRP-08 le demande) ; les ESSMS exclus
    non plus. Quand la liste cite plusieurs logiciels, le constat les nomme avec leurs ESSMS :
    le porteur précise le DUI du projet (une faute de saisie se corrige) ou présente les
    autres ESSMS dans un projet distinct — à corriger, jamais un rejet sur cette seule
    lecture. L'appel peut lever la condition dans sa configuration.

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 relative à la phase de généralisation du programme
    ESMS numérique : un projet réunit des ESSMS autour d'un même dossier usager informatisé (lecture à confirmer dans
    l'annexe de l'instruction de l'année)

    Action : Indiquer le DUI unique que déploieront tous les ESSMS du projet, ou présenter les ESSMS d'un autre DUI dans
    un projet distinct.

    Exemple : Les ESSMS du projet citent 2 logiciels DUI : « Sillage DUI » (16 ESSMS) et « Kalisto Soins » (2 ESSMS :
    IME Le Clos Fleuri (FINESS 380001234), SESSAD Les Sources (FINESS 380004567)). Un projet porte sur un seul DUI.
    """
    if not config.conditions.single_dui.value or data.structures is None:
        return
    groups = softwares(data)
    if len(groups) < 2:
        return
    main_name, _ = groups[0]
    described = []
    for name, members in groups:
        count = french.count(len(members), "ESSMS", "ESSMS")
        if name == main_name or len(members) > 3:
            described.append(f"« {name} » ({count})")
        else:
            described.append(f"« {name} » ({count} : {', '.join(m.label for m in members)})")
    others = [m for _, members in groups[1:] for m in members]
    first = others[0]
    cell = first.row.get("logiciel")
    yield Hit(
        message=(
            f"Les ESSMS du projet citent {len(groups)} logiciels DUI : {_join(described)}. Un projet porte sur un "
            "seul DUI."
        ),
        expected=f"un seul DUI pour les {data.essms_count} ESSMS (« {main_name} »)",
        found=", ".join(f"« {name} »" for name, _ in groups),
        location=cell.location if cell is not None else first.row.location,
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]
