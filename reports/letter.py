"""The draft letter to the owner of a dossier *à compléter* (« demande de pièces
complémentaires »): what to provide or correct, the call's reference and a reply deadline
from the call configuration (``letters``). Written as ``courrier.docx`` beside the report and
shown in ``report.html``; the reviewer reads it, completes the signature and sends it.

Built from ``report.json`` alone (the report carries ``letter_settings``), so that a report
rewritten later (call rules) gets its letter rewritten too.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from reports.actions import action_for

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
DEFAULT_REPLY_DAYS = 15
INTERNAL_ERROR = "erreur interne"  # how ``found`` starts for a failed analysis or rule


def date_long(day: dt.date) -> str:
    """``1er mars 2025``, ``15 avril 2025``."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def parse_day(value: Any) -> dt.date | None:
    if not value:
        return None
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def describe(location: dict[str, Any] | None) -> str:
    if not location or not location.get("file") or location.get("file") == "(dossier)":
        return ""
    parts = [str(location["file"])]
    if location.get("sheet"):
        parts.append(f"feuille {location['sheet']}")
    if location.get("cell"):
        parts.append(f"cellule {location['cell']}")
    if location.get("page"):
        parts.append(f"page {location['page']}")
    if location.get("detail"):
        parts.append(str(location["detail"]))
    return ", ".join(parts)


def requested_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What the owner is asked to provide or correct: the *à corriger* findings not waived
    by the reviewer, each once. An internal error of the analysis is the operator's business,
    not the owner's: never asked."""
    seen = set()
    out = []
    for finding in report.get("findings") or []:
        if finding.get("severity") != "a_corriger" or finding.get("waiver"):
            continue
        if str(finding.get("found") or "").startswith(INTERNAL_ERROR):
            continue
        key = (finding.get("rule"), finding.get("message"), describe(finding.get("location")))
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out


def letter_content(report: dict[str, Any], today: dt.date | None = None) -> dict[str, Any] | None:
    """The letter as plain data (rendered to docx and HTML), or None when the dossier is not
    *à compléter* or has nothing to ask."""
    if report.get("verdict") != "a_completer":
        return None
    findings = requested_findings(report)
    if not findings:
        return None
    settings = report.get("letter_settings") or {}
    sender = settings.get("sender") or report.get("authority") or "Le service instructeur de l'appel"
    try:
        reply_days = int(settings.get("reply_days") or DEFAULT_REPLY_DAYS)
    except (TypeError, ValueError):
        reply_days = DEFAULT_REPLY_DAYS
    day = today or parse_day(report.get("generated_at")) or dt.date.today()
    deadline = day + dt.timedelta(days=reply_days)
    porteur = report.get("porteur") or {}
    owner = porteur.get("raison_sociale") or "Porteur du projet"
    reference = report.get("call") or ""
    title = report.get("call_title") or reference
    dossier = report.get("dossier") or ""
    deposited = parse_day(report.get("date_depot"))
    items = []
    for number, finding in enumerate(findings, start=1):
        items.append({
            "number": number,
            "rule": finding.get("rule"),
            "action": action_for(finding.get("rule"), finding.get("severity")),
            "message": finding.get("message") or "",
            "where": describe(finding.get("location")),
        })
    received = f"déposé le {date_long(deposited)} " if deposited else ""
    return {
        "sender": sender,
        "sender_source": settings.get("sender_source"),
        "owner": owner,
        "owner_finess": porteur.get("finess_ej"),
        "place_date": f"Le {date_long(day)}",
        "date": day.isoformat(),
        "reference": reference,
        "dossier": dossier,
        "subject": (f"Appel à projets « {title} » (référence {reference}) — dossier n° {dossier} : "
                    "demande de pièces complémentaires"),
        "opening": "Madame, Monsieur,",
        "intro": (f"Nous avons bien reçu votre dossier n° {dossier} {received}en réponse à l'appel à projets "
                  f"« {title} » (référence {reference}). Son examen de recevabilité montre qu'il ne peut pas être "
                  "instruit en l'état."),
        "request": (f"Afin de poursuivre l'instruction, nous vous remercions de nous transmettre, au plus tard le "
                    f"{date_long(deadline)} (soit {reply_days} jours à compter de la date du présent courrier), "
                    "les pièces et corrections suivantes :"),
        "items": items,
        "reply_days": reply_days,
        "reply_days_source": settings.get("reply_days_source"),
        "deadline": deadline.isoformat(),
        "deadline_label": date_long(deadline),
        "how": (f"Merci de déposer ces éléments sur la plateforme de dépôt de l'appel en rappelant la référence "
                f"{reference} et le numéro de dossier {dossier}. À défaut de réception des éléments demandés dans ce "
                "délai, votre dossier ne pourra pas être instruit."),
        "closing": "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "signature": sender,
        "signatory": "[Nom, fonction et coordonnées de l'instructeur]",
    }


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(value: Any) -> Any:
    """Text a Word document can hold (control characters from a dossier are dropped)."""
    if isinstance(value, str):
        return _XML_UNSAFE.sub("", value)
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def letter_docx(content: dict[str, Any]) -> bytes:
    """The letter as a Word document (python-docx); every text is written as text."""
    content = _safe(content)
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    core = document.core_properties
    core.title = f"Demande de pièces complémentaires — dossier {content['dossier']}"
    core.subject = content["subject"]
    core.language = "fr-FR"
    core.author = content["sender"]

    header = document.sections[0].header.paragraphs[0]
    header.text = "PROJET — à relire et compléter par l'instructeur avant envoi"
    header.runs[0].font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
    header.runs[0].font.size = Pt(9)

    document.add_paragraph().add_run(content["sender"]).bold = True
    recipient = document.add_paragraph()
    recipient.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    recipient.add_run(content["owner"])
    if content.get("owner_finess"):
        recipient.add_run(f"\nFINESS juridique {content['owner_finess']}")
    when = document.add_paragraph(content["place_date"])
    when.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    subject = document.add_paragraph()
    subject.add_run("Objet : ").bold = True
    subject.add_run(content["subject"])
    reference = document.add_paragraph()
    reference.add_run("Référence de l'appel : ").bold = True
    reference.add_run(content["reference"])
    reference.add_run(" — dossier n° ").bold = True
    reference.add_run(content["dossier"])

    document.add_paragraph(content["opening"])
    document.add_paragraph(content["intro"])
    document.add_paragraph(content["request"])
    for item in content["items"]:
        paragraph = document.add_paragraph(style="List Number")
        paragraph.add_run(item["action"]).bold = True
        paragraph.add_run(f" {item['message']}")
        if item["where"]:
            paragraph.add_run(f" (emplacement : {item['where']})").italic = True
    deadline = document.add_paragraph()
    deadline.add_run("Date limite de réponse : ").bold = True
    deadline.add_run(f"{content['deadline_label']} ({content['reply_days']} jours).")
    document.add_paragraph(content["how"])
    document.add_paragraph(content["closing"])
    document.add_paragraph(content["signature"])
    document.add_paragraph(content["signatory"])

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_letter(report: dict[str, Any], report_dir: Path) -> dict[str, Any] | None:
    """Write ``courrier.docx`` for a dossier à compléter; remove a stale one otherwise.
    Returns the letter's content (or None)."""
    from reports.files import atomic_write_bytes

    path = report_dir / "courrier.docx"
    content = letter_content(report)
    if content is None:
        path.unlink(missing_ok=True)
        return None
    atomic_write_bytes(path, letter_docx(content))
    return content
