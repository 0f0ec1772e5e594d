"""GRP-09 — the software is Ségur-referenced, except AHI/PJM-only projects."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.values import parse_bool, parse_project_type
from validators.config_view import ConfigView
from validators.context import DossierData, Essms
from validators.registry import Hit, rule


def segur_exempt(data: DossierData, config: ConfigView) -> bool:
    """A project made only of exempt-sector ESSMS (AHI, PJM) need not use referenced software."""
    sectors = {e.sector for e in data.eligible_essms}
    exempt = set(config.eligibility.segur_exempt_sectors.value)
    return bool(sectors) and None not in sectors and sectors <= exempt


def moves_to_new_version(essms: Essms, form_type: str | None) -> bool:
    """A mise en conformité: the ESSMS keeps its software and moves to a Ségur-referenced
    version of it (the Ségur upgrade is paid through the SONS). Its type is read in the list, else in the form."""
    return (essms.project_type or form_type) == "mise_en_conformite"


@rule("GRP-09", severity="a_corriger", params=("eligibility.segur_exempt_sectors",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Logiciel non référencé Ségur

    Le logiciel DUI de chaque ESSMS est référencé Ségur (DSR vague 1 de son domaine),
    d'après la colonne « Référencé Ségur » de la liste ou, à défaut, le champ
    referencement_segur du formulaire. Les projets composés uniquement d'ESSMS AHI et PJM en
    sont exemptés (ils doivent néanmoins atteindre les cibles d'usage). En mise en conformité,
    ce qui doit être référencé est la version vers laquelle l'ESSMS fait évoluer son logiciel
    (instruction de la généralisation : la montée de version est financée par la prestation Ségur du SONS) : un « Non » y décrit la version en place, que le projet fait justement évoluer,
    et n'est pas un constat.

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 et instructions suivantes : DUI conforme au dossier
    de spécification de référencement Ségur vague 1 du domaine (Agence du numérique en santé) ; projets uniquement AHI
    et PJM dispensés

    Action : Justifier le référencement Ségur du logiciel (attestation de l'éditeur) ou retenir un logiciel référencé
    Ségur vague 1.

    Exemple : Le logiciel de EHPAD Les Glycines (FINESS 690012347) est déclaré non référencé Ségur ; l'appel exige un
    DUI conforme au référencement Ségur vague 1 (seuls les projets uniquement AHI ou PJM en sont exemptés).
    """
    if data.structures is None or segur_exempt(data, config):
        return
    form_type = parse_project_type(data.form.raw("type_projet")).value if data.form else None
    exemption = "seuls les projets uniquement AHI ou PJM en sont exemptés"
    if "referencement_segur" in data.structures.columns:
        for essms in data.eligible_essms:
            cell = essms.row.get("referencement_segur")
            parsed = parse_bool(cell.raw if cell else None)
            if parsed.problem:
                yield Hit(
                    message=f"Le référencement Ségur du logiciel de {essms.label} est illisible : {parsed.problem}.",
                    expected="Oui ou Non",
                    found=cell.text,
                    location=cell.location,
                )
            elif parsed.value is False and not moves_to_new_version(essms, form_type):
                yield Hit(
                    message=(
                        f"Le logiciel de {essms.label} est déclaré non référencé Ségur ; l'appel exige un DUI "
                        f"conforme au référencement Ségur vague 1 ({exemption})."
                    ),
                    expected="un logiciel référencé Ségur",
                    found="Non",
                    location=cell.location,
                )
        return
    if form_type == "mise_en_conformite":
        return
    if data.form is not None and (cell := data.form.get("referencement_segur")) is not None:
        parsed = parse_bool(cell.raw)
        if parsed.value is False:
            yield Hit(
                message=(
                    f"Le formulaire déclare un logiciel non référencé Ségur ; l'appel exige un DUI conforme au "
                    f"référencement Ségur vague 1 ({exemption})."
                ),
                expected="un logiciel référencé Ségur",
                found=cell.text or "non",
                location=cell.location,
            )
