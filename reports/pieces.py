"""The checklist of the pieces a call requires (``documents.required`` of its configuration, in
the report's snapshot of the call: ``call_snapshot.required_documents``) against the files of
the dossier: for
each required type, present (in which file, where), unreadable (the only file of that type is
a scan or could not be read), or missing, naming the unreadable files that may hold it.
"""

from __future__ import annotations

from typing import Any

from core.french import count, word
from core.report import DocumentEntry, DossierReport

# Kinds of pieces as the call's texts name them (seed 001, « documents types »).
PIECE_LABELS = {
    "budget": "Budget détaillé",
    "structures": "Liste des structures engagées",
    "planning": "Planning du projet",
    "gouvernance": "Gouvernance du projet",
    "strategie_deploiement": "Stratégie de déploiement",
    "conduite_changement": "Plan de conduite du changement",
}
STATUS_LABELS = {"presente": "Présente", "illisible": "Illisible", "manquante": "Manquante"}


def piece_label(kind: str | None) -> str:
    return PIECE_LABELS.get(kind or "", (kind or "pièce").replace("_", " "))


def _kinds(record: DocumentEntry) -> list[tuple[str, str | None]]:
    """(kind, where in the file) of every part a file was recognised to hold."""
    parts = [(p.kind.value, p.where) for p in record.parts]
    if record.kind.value not in {k for k, _ in parts}:
        parts.append((record.kind.value, None))
    return parts


def _unreadable(record: DocumentEntry) -> bool:
    return bool(record.error) or record.scanned or record.kind.value == "illisible"


def pieces_checklist(report: DossierReport) -> list[dict[str, Any]]:
    """One line per required type: ``{kind, label, status, status_label, files: [{file, where}],
    note}``; [] when the report does not say what the call requires (an older report)."""
    required = [k.value for k in report.call_snapshot.required_documents]
    records = [d for d in report.documents if d.role != "formulaire"]
    unreadable_files = [d.file for d in records if _unreadable(d) and not _kinds_known(d)]
    lines = []
    for kind in required:
        readable, scanned = [], []
        for record in records:
            for part_kind, where in _kinds(record):
                if part_kind != kind:
                    continue
                entry = {"file": record.file, "where": _where(record.file, where)}
                bucket = scanned if _unreadable(record) else readable
                if entry not in bucket:
                    bucket.append(entry)
        if readable:
            status, files = "presente", readable
            note = (
                f"{len(readable)} fichiers candidats : celui retenu est indiqué par le constat PIE-04"
                if len({f["file"] for f in readable}) > 1
                else None
            )
        elif scanned:
            status, files, note = "illisible", scanned, "document scanné ou illisible : le fichier natif est demandé"
        else:
            status, files = "manquante", []
            note = (
                "peut-être dans un fichier illisible : " + ", ".join(str(f) for f in unreadable_files)
                if unreadable_files
                else None
            )
        lines.append(
            {
                "kind": kind,
                "label": piece_label(kind),
                "status": status,
                "status_label": STATUS_LABELS[status],
                "files": files,
                "note": note,
            }
        )
    return lines


def _kinds_known(record: DocumentEntry) -> bool:
    return any(k != "illisible" and k != "autre" for k, _ in _kinds(record))


def _where(file: str | None, where: str | None) -> str | None:
    """Where in the file the part lies (a sheet, a page), without repeating the file's name."""
    if not where:
        return None
    text = str(where)
    if file and text.startswith(f"{file}, "):
        text = text[len(file) + 2 :]
    if text == file:
        return None
    return text if text.startswith(("page", "feuille", "tableau", "paragraphe")) else f"feuille {text}"


def pieces_summary(lines: list[dict[str, Any]]) -> str:
    """« 6 pièces exigées : 5 présentes, 1 manquante »."""
    if not lines:
        return ""
    counts = {s: sum(1 for line in lines if line["status"] == s) for s in STATUS_LABELS}
    words = {"presente": "présente", "illisible": "illisible", "manquante": "manquante"}
    parts = [count(n, words[s]) for s, n in counts.items() if n]
    total = len(lines)
    return f"{count(total, 'pièce')} {word(total, 'exigée')} par l'appel : {', '.join(parts)}"
