"""PIE-02 — every file can be read."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Location, Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("PIE-02", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Fichier illisible

    Chaque fichier du dossier peut être lu : il n'est ni endommagé, ni chiffré, ni vide,
    son format est pris en charge et il tient dans les limites de taille et de temps. Les
    membres d'archive refusés (chemins dangereux, bombes zip) sont signalés ici aussi.

    Source : Pratique d'instruction : une pièce doit pouvoir être ouverte par l'instructeur

    Action : Déposer à nouveau le fichier dans un format lisible (xlsx, csv, docx ou PDF non scanné), sans mot de passe
    ni protection.

    Action (alerte) : Aucune action du porteur : l'instructeur consulte lui-même la partie du fichier qui n'a pas été
    lue.

    Exemple : Le fichier annexe_convention.xlsx n'a pas pu être lu : fichier endommagé ou tronqué (archive illisible) :
    le déposer à nouveau.
    """
    # Every reason comes from the catalogue of file problems (core.file_problems).
    for problem in data.intake_problems:
        yield Hit(
            message=f"Le fichier {problem.file} n'a pas pu être pris en compte : {problem.reason.message}.",
            expected="un fichier lisible",
            found=problem.reason.message,
            location=Location(problem.file),
        )
    if data.form is not None and data.form.problem:
        yield Hit(
            message=f"Le formulaire en ligne ({data.form.source}) n'a pas pu être lu : {data.form.problem.message}.",
            expected="un formulaire lisible",
            found=data.form.problem.message,
            location=Location(data.form.source),
        )
    for doc in data.documents:
        if doc.readable:
            for warning in doc.warnings:  # read in part only (rows or pages beyond the limits): said, never hidden
                yield Hit(
                    message=f"Le fichier {doc.file} n'a été lu qu'en partie : {warning}.",
                    expected="un fichier lu en entier",
                    found=warning,
                    location=Location(doc.file),
                    severity=Severity.ALERTE,
                )
            continue
        yield Hit(
            message=f"Le fichier {doc.file} n'a pas pu être lu : {doc.error}.",
            expected="un fichier lisible (xlsx, csv, docx ou PDF non protégé)",
            found=doc.error,
            location=Location(doc.file),
        )
