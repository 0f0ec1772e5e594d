"""``esmsnum history DOSSIER``: a dossier's analyses, oldest first, in French."""

from __future__ import annotations

from core.models import Verdict
from judging.history import Analysis, Waiver, iso
from reports.dates import datetime_fr


def format_timeline(dossier: str, analyses: list[Analysis], waivers: list[Waiver]) -> str:
    lines = [f"Dossier {dossier} : {len(analyses)} analyse(s) enregistrée(s)"]
    previous: Analysis | None = None
    for a in analyses:
        verdict = Verdict(a.verdict).label
        active = [f for f in a.findings if "waiver" not in f]
        waived = len(a.findings) - len(active)
        head = f"- {datetime_fr(iso(a.created_at))} [{a.call_id}] {verdict} — {len(active)} constat(s)"
        head += f" et {waived} levé(s)" if waived else ""
        if previous is None:
            lines.append(head + " (première analyse)")
        else:
            before = {f["fingerprint"] for f in previous.findings}
            now = {f["fingerprint"] for f in a.findings}
            what = "nouveau dépôt" if a.submission_sha256 != previous.submission_sha256 else "même dépôt"
            lines.append(head + f" ({what} : {len(before - now)} résolu(s), {len(now - before)} nouveau(x), "
                                f"{len(now & before)} inchangé(s))")
            for f in previous.findings:
                if f["fingerprint"] not in now:
                    lines.append(f"    résolu : {f['rule']} — {f.get('message', '')}")
        for f in a.findings:
            if previous is None or f["fingerprint"] not in {g["fingerprint"] for g in previous.findings}:
                lines.append(f"    {f['rule']} ({f['severity']}) — {f.get('message', '')}")
        previous = a
    if waivers:
        lines.append("Constats levés par les instructeurs :")
        for w in waivers:
            lines.append(f"- {datetime_fr(iso(w.created_at))} {w.rule} par {w.author} : {w.motif}")
    return "\n".join(lines)
