"""The sending date of a dossier's letter: checked (never before the deposit, never in the
future), recorded in the history (the chronology shows it, and a re-run writes the letter
with it again: ``instruction_of`` carries it into the report), then the letter, the report
and the summary written again with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.french import date_long, now_paris, paris_day
from core.report import DossierReport
from instruction.rerender import apply_instruction
from instruction.store import History
from reports.letter import current_kind, letter_content

DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d")  # what a reviewer types, what an <input type=date> sends


class SendingError(ValueError):
    """A sending date refused (French message)."""


def parse_day(text: str, *, iso_ok: bool = False) -> dt.date:
    """``JJ/MM/AAAA`` (``iso_ok``: or ISO, what a web date field sends) as a date;
    SendingError otherwise."""
    value = (text or "").strip()
    for form in DATE_FORMS if iso_ok else DATE_FORMS[:1]:
        try:
            return dt.datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise SendingError(f"Date d'envoi invalide : « {value[:40]} » (attendu JJ/MM/AAAA).")


def sending_refusal(report: DossierReport, day: dt.date, today: dt.date | None = None) -> str | None:
    """Why ``day`` cannot be the letter's sending date (French), None when it can."""
    if current_kind(report) is None:
        return f"Le dossier {report.dossier} est recevable et non décidé : il n'a pas de courrier à envoyer."
    today = today or now_paris().date()
    if day > today:
        return f"La date d'envoi du {date_long(day)} est dans le futur : indiquez le jour où le courrier est parti."
    deposited = paris_day(report.deposit.moment) if report.deposit else None
    if deposited and day < deposited:
        return (
            f"La date d'envoi du {date_long(day)} précède le dépôt du dossier, le {date_long(deposited)} : "
            "rien n'a été enregistré."
        )
    return None


def record_sending(
    out_dir: Path, report: DossierReport, history: History, day: dt.date, author: str, today: dt.date | None = None
) -> DossierReport:
    """Check and record the sending date, then write the letter, report and summary with it."""
    refusal = sending_refusal(report, day, today)
    if refusal:
        raise SendingError(refusal)
    content = letter_content(report)
    history.record_sending(report.call_id, report.dossier, day, author, content["kind"] if content else None)
    report = report.model_copy(update={"letter_sending_date": day})
    return apply_instruction(out_dir, report, history)
