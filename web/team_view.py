"""What the dossier page shows of the team's work beyond the instruction: the experts' avis,
the call's labels, the dossier's private annotations (``templates/team.html.j2``), and their
entries in the dossier's chronology."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from instruction.annotations import COLOURS, KINDS, annotation_entries, shown
from instruction.experts import AVIS, avis_entries
from instruction.timeline import Entry
from web.scope import is_expert
from web.workspace import CallSite


def _workspace(request: Request):
    return request.app.state.workspace


def team_entries(request: Request, site: CallSite, dossier: str) -> list[Entry]:
    """The chronology's entries of the avis, labels and annotations (an expert: its own avis)."""
    avis = avis_entries(
        site.experts, site.call_id, dossier, only=request.state.account.name if is_expert(request) else None
    )
    if is_expert(request):
        return avis
    return avis + annotation_entries(site.annotations, site.call_id, dossier)


def team_timeline(request: Request, entries: list[Entry]) -> list[Entry]:
    """The dossier's chronology as the account may read it: an expert reads no team comment."""
    return [e for e in entries if e.kind != "commentaire"] if is_expert(request) else entries


def team_comments(request: Request, comments: list) -> list:
    """The team's comments: none for an expert (they are the team's private notes)."""
    return [] if is_expert(request) else comments


def dossier_extras(request: Request, site: CallSite, dossier: str) -> dict[str, Any]:
    """What the dossier page's « équipe » partial shows: avis, labels, annotations."""
    account = request.state.account
    requests = site.experts.of_dossier(site.call_id, dossier)
    expert = is_expert(request)
    out: dict[str, Any] = {
        "avis": [r for r in requests if not expert or r.expert == account.name],
        "avis_labels": list(AVIS.items()),
        "pending": [r for r in requests if expert and r.expert == account.name and r.avis is None],
        "experts": experts_available(request) if not expert else [],
        "private": not expert,  # labels and private annotations: the team's, not an expert's
    }
    if expert:
        return out
    store = site.annotations
    on = store.dossier_label_ids(site.call_id).get(dossier, set())
    values = store.values(site.call_id).get(dossier, {})
    fields = store.fields(site.call_id)
    out.update(
        labels=[{"label": label, "on": label.id in on} for label in store.labels(site.call_id)],
        colours=list(COLOURS.items()),
        kinds=list(KINDS.items()),
        fields=[
            {
                "field": f,
                "value": (v.value if (v := values.get(f.id)) else None),
                "shown": shown(f.kind, v.value if v else None),
                "by": v.author if v else None,
                "at": v.created_at if v else None,
            }
            for f in fields
        ],
    )
    return out


def experts_available(request: Request) -> list[str]:
    """Active expert accounts (an avis can be asked of them)."""
    return [a.name for a in _workspace(request).accounts.all() if a.active and a.role == "expert"]
