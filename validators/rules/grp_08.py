"""GRP-08 — every ESSMS states its project type and its software."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.values import parse_project_type
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("GRP-08", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Type de projet ou logiciel non précisé

    Pour chaque ESSMS, la liste des structures précise le type de projet (acquisition ou
    mise en conformité) et le logiciel DUI (logiciel ou éditeur). À défaut de colonne dans la
    liste, le type de projet et le logiciel du formulaire en ligne valent pour tous les ESSMS.

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 ; ARS Grand Est, « Point d'avancement du programme
    ESMS Numérique en Grand Est »
    (https://www.grand-est.ars.sante.fr/point-davancement-du-programme-esms-numerique-en-grand-est) : acquisition d'une
    solution DUI ou mise en conformité de la solution en place

    Action : Préciser pour chaque ESSMS le type de projet (acquisition ou mise en conformité) et le logiciel DUI retenu
    ou en place.

    Exemple : La liste des structures ne précise pas le logiciel DUI de IME Le Clos Fleuri (FINESS 380001234). Indiquer
    le logiciel (ou l'éditeur) retenu ou en place.
    """
    table = data.structures
    if table is None:
        return
    form_type = parse_project_type(data.form.raw("type_projet")).value if data.form else None
    form_software = None
    if data.form is not None:
        form_software = data.form.raw("logiciel") or data.form.raw("editeur")
    has_type = "type_projet" in table.columns
    has_software = "logiciel" in table.columns or "editeur" in table.columns
    if not has_type and form_type not in ("acquisition", "mise_en_conformite"):
        yield Hit(
            message=(
                "La liste des structures n'indique pas le type de projet de chaque ESSMS (acquisition ou mise "
                "en conformité), et le formulaire ne le précise pas pour l'ensemble du projet."
            ),
            expected="une colonne « Type de projet » (Acquisition / Mise en conformité)",
            found="aucune colonne de type de projet",
            location=table.header_location,
        )
    if not has_software and not form_software:
        yield Hit(
            message="La liste des structures n'indique pas le logiciel DUI des ESSMS, et le formulaire non plus.",
            expected="une colonne « Logiciel DUI » ou « Éditeur »",
            found="aucune colonne de logiciel",
            location=table.header_location,
        )
    for essms in data.distinct_essms:
        row = essms.row
        if has_type:
            cell = row.get("type_projet")
            parsed = parse_project_type(cell.raw if cell else None)
            if parsed.value not in ("acquisition", "mise_en_conformite"):
                yield Hit(
                    message=(
                        f"Le type de projet de {essms.label} n'est pas précisé"
                        f"{' : ' + parsed.problem if parsed.problem else ''}. Indiquer « Acquisition » "
                        "ou « Mise en conformité »."
                    ),
                    expected="Acquisition ou Mise en conformité",
                    found=cell.text if cell and cell.text else "(vide)",
                    location=cell.location if cell else row.location,
                )
        if has_software:
            cells = [row.get("logiciel"), row.get("editeur")]
            if not any(c is not None and c.text for c in cells):
                where = next((c for c in cells if c is not None), None)
                yield Hit(
                    message=(
                        f"La liste des structures ne précise pas le logiciel DUI de {essms.label}. "
                        "Indiquer le logiciel (ou l'éditeur) retenu ou en place."
                    ),
                    expected="le logiciel DUI ou son éditeur",
                    found="(vide)",
                    location=where.location if where else row.location,
                )
